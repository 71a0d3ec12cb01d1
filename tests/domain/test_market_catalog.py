from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from coinpilot.domain.enums import MarketType, Venue
from coinpilot.domain.errors import UnknownSymbolError
from coinpilot.domain.filters import LotSize, PriceFilter, SymbolFilters
from coinpilot.domain.symbols import CachedCatalog, MarketCatalog, SymbolSpec


def spec(symbol: str, base: str, *, status: str = "TRADING", venue: Venue = Venue.BINANCE) -> SymbolSpec:
    market = MarketType.FUTURES if venue is Venue.BINANCE else MarketType.SPOT
    quote = "USDT" if venue is Venue.BINANCE else "KRW"
    return SymbolSpec(
        venue=venue,
        market=market,
        symbol=symbol,
        base=base,
        quote=quote,
        margin_asset=quote,
        contract_type="PERPETUAL" if venue is Venue.BINANCE else "SPOT",
        filters=SymbolFilters(
            symbol=symbol,
            price=PriceFilter(tick_size=Decimal("0.1")),
            lot=LotSize(step_size=Decimal("0.001"), min_qty=Decimal("0.001")),
        ),
        status=status,
    )


CATALOG = MarketCatalog(
    [
        spec("BTCUSDT", "BTC"),
        spec("ETHUSDT", "ETH"),
        spec("BTCUSDT_260626", "BTC", status="TRADING"),
        spec("LUNAUSDT", "LUNA", status="SETTLING"),
        spec("KRW-BTC", "BTC", venue=Venue.UPBIT),
    ]
)


def test_get_accepts_any_case_and_enum_or_string_keys() -> None:
    assert CATALOG.get("binance", "futures", "btcusdt").symbol == "BTCUSDT"
    assert CATALOG.get(Venue.UPBIT, MarketType.SPOT, "krw-btc").base == "BTC"


def test_get_accepts_ccxt_unified_symbols() -> None:
    assert CATALOG.get("binance", "futures", "BTC/USDT:USDT").symbol == "BTCUSDT"
    assert CATALOG.get("binance", "futures", "BTC/USDT:USDT-260626").symbol == "BTCUSDT_260626"
    assert CATALOG.get("upbit", "spot", "BTC/KRW").symbol == "KRW-BTC"


def test_unknown_symbol_suggests_close_names() -> None:
    with pytest.raises(UnknownSymbolError, match=r"Did you mean BTCUSDT"):
        CATALOG.get("binance", "futures", "BTCUSTD")
    with pytest.raises(UnknownSymbolError) as err:
        CATALOG.get("binance", "futures", "ZZZZ")
    assert "Did you mean" not in str(err.value)
    # a symbol of the other market is not found either: markets are separate namespaces
    with pytest.raises(UnknownSymbolError):
        CATALOG.get("binance", "spot", "BTCUSDT")


def test_listing_membership_and_merge() -> None:
    assert CATALOG.symbols("binance", "futures", trading_only=True) == ["BTCUSDT", "BTCUSDT_260626", "ETHUSDT"]
    assert "LUNAUSDT" in CATALOG.symbols("binance", "futures")
    assert ("binance", "futures", "ethusdt") in CATALOG
    assert ("binance", "futures", "XRPUSDT") not in CATALOG
    assert "garbage" not in CATALOG
    merged = CATALOG.merged(MarketCatalog([spec("XRPUSDT", "XRP"), spec("BTCUSDT", "BTC", status="BREAK")]))
    assert len(merged) == len(CATALOG) + 1
    assert merged.get("binance", "futures", "BTCUSDT").status == "BREAK"  # the newer one wins
    with pytest.raises(ValueError, match="duplicate"):
        MarketCatalog([spec("BTCUSDT", "BTC"), spec("btcusdt", "BTC")])


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2025, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_cached_catalog_reloads_after_ttl_and_on_invalidate() -> None:
    clock, calls = FakeClock(), []

    def loader() -> MarketCatalog:
        calls.append(clock.now)
        return CATALOG

    cache = CachedCatalog(loader, ttl=timedelta(hours=24), clock=clock)
    cache.get("binance", "futures", "BTCUSDT")
    clock.now += timedelta(hours=23)
    cache.get("binance", "futures", "ETHUSDT")
    assert len(calls) == 1
    clock.now += timedelta(hours=1)
    cache.catalog()
    assert len(calls) == 2
    cache.invalidate()  # e.g. after a -1013/-4164 from the venue (A09)
    cache.catalog()
    assert len(calls) == 3


def test_cached_catalog_keeps_serving_when_refresh_fails_and_backs_off() -> None:
    clock, state = FakeClock(), {"fail": False, "calls": 0}

    def loader() -> MarketCatalog:
        state["calls"] += 1
        if state["fail"]:
            raise ConnectionError("venue down")
        return CATALOG

    cache = CachedCatalog(loader, ttl=timedelta(hours=24), retry_after=timedelta(minutes=5), clock=clock)
    cache.catalog()
    state["fail"] = True
    clock.now += timedelta(hours=25)
    assert cache.catalog() is CATALOG  # stale but served
    calls = state["calls"]
    clock.now += timedelta(minutes=1)
    cache.catalog()
    assert state["calls"] == calls  # no retry before retry_after
    clock.now += timedelta(minutes=5)
    cache.catalog()
    assert state["calls"] == calls + 1


def test_cached_catalog_first_load_failure_propagates() -> None:
    def loader() -> MarketCatalog:
        raise ConnectionError("venue down")

    with pytest.raises(ConnectionError):
        CachedCatalog(loader).catalog()
