"""Upbit KRW spot trading rules: price-band tick sizes, 5,000 KRW minimum order, 8-decimal volume.

Sources (checked 2026-11-23; the live adapter should prefer `GET /v1/orderbook/instruments`,
which returns each market's `tick_size`, and fall back to this table):

- Tick table: Upbit developer center, "원화(KRW) 마켓 주문 가격 단위 / 최소 주문 가능 금액"
  (https://docs.upbit.com/kr/docs/krw-market-info, page version updated 2026-05-04; the policy
  in force since the KRW-market overhaul of 2025-07-31). The bands from 100 KRW upward are read
  from that page; the bands below 100 KRW follow the same policy as transcribed (dated
  2025-12-31) by an independent implementation, because the stored copy of the official page
  was cut at that row. Re-check them before trading sub-100 KRW coins live.
- Minimum order total: 5,000 KRW (the same page's second section, which the stored copy cuts
  off; also SPEC U12's re-implementer note and many client libraries).
- Error names: Upbit API error list (`under_min_total_bid/ask`, `create_bid/ask_error`,
  `invalid_price_bid/ask`); Upbit returns names, not numeric codes, so `code` is None.

Not modelled: the 2025-03-21 exception that gave KRW-USDT and KRW-USDC a 0.5 KRW tick between
1,000 and 10,000 KRW (it is unclear whether the 2025-07-31 overhaul kept it); pass explicit
`bands` to `krw_filters` for those two markets if you trade them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from coinpilot.domain.enums import MarketType, Venue
from coinpilot.domain.errors import DataError, UnknownSymbolError
from coinpilot.domain.filters import LotSize, PriceFilter, SymbolFilters, TickBand
from coinpilot.domain.rejections import Check, RejectStyle
from coinpilot.domain.symbols import MarketCatalog, SymbolSpec

D = Decimal

# (price floor in KRW, tick in KRW), ascending; a price uses the last band whose floor it reaches.
KRW_TICK_BANDS: tuple[TickBand, ...] = tuple(
    TickBand(D(floor), D(tick))
    for floor, tick in (
        ("0", "0.00000001"),
        ("0.00001", "0.0000001"),
        ("0.0001", "0.000001"),
        ("0.001", "0.00001"),
        ("0.01", "0.0001"),
        ("0.1", "0.001"),
        ("1", "0.01"),
        ("10", "0.1"),
        ("100", "1"),
        ("1000", "1"),
        ("5000", "5"),
        ("10000", "10"),
        ("50000", "50"),
        ("100000", "100"),
        ("500000", "500"),
        ("1000000", "1000"),
        ("2000000", "1000"),
    )
)
KRW_MIN_ORDER_TOTAL = D(5000)
VOLUME_DECIMALS = 8
VOLUME_STEP = D(1).scaleb(-VOLUME_DECIMALS)

UPBIT = RejectStyle(
    name="upbit",
    messages={
        Check.QTY_NOT_POSITIVE: (None, "create_{bid_ask}_error: order volume must be positive"),
        Check.QTY_PRECISION: (None, "create_{bid_ask}_error: order volume has too many decimals"),
        Check.QTY_BELOW_MIN: (None, "create_{bid_ask}_error: order volume below the minimum"),
        Check.QTY_ABOVE_MAX: (None, "create_{bid_ask}_error: order volume above the maximum"),
        Check.QTY_OFF_STEP: (None, "create_{bid_ask}_error: order volume has too many decimals"),
        Check.PRICE_NOT_POSITIVE: (None, "create_{bid_ask}_error: order price must be positive"),
        Check.PRICE_PRECISION: (None, "invalid_price_{bid_ask}: order price is off the tick size"),
        Check.PRICE_BELOW_MIN: (None, "invalid_price_{bid_ask}: order price below the minimum"),
        Check.PRICE_ABOVE_MAX: (None, "invalid_price_{bid_ask}: order price above the maximum"),
        Check.PRICE_OFF_TICK: (None, "invalid_price_{bid_ask}: order price is off the tick size"),
        Check.STOP_NOT_POSITIVE: (None, "validation_error: trigger price must be positive"),
        Check.STOP_ABOVE_MAX: (None, "validation_error: trigger price above the maximum"),
        Check.PRICE_ABOVE_MULTIPLIER_UP: (None, "invalid_price_{bid_ask}: price out of range"),
        Check.PRICE_BELOW_MULTIPLIER_DOWN: (None, "invalid_price_{bid_ask}: price out of range"),
        Check.NOTIONAL_TOO_SMALL: (
            None,
            "under_min_total_{bid_ask}: order total is below the minimum of {min_notional} KRW",
        ),
    },
    # spot has no reduce-only: selling a dust remainder under 5,000 KRW is refused too
    reduce_only_skips_min_notional=False,
)

_KRW_MARKET = re.compile(r"^KRW-[A-Z0-9]{1,15}$")


def _check_market(market: str) -> str:
    code = market.strip().upper()
    if not _KRW_MARKET.match(code):
        raise UnknownSymbolError(
            f"{market!r} is not an Upbit KRW market code; expected 'KRW-<COIN>', e.g. 'KRW-BTC'"
        )
    return code


def krw_filters(market: str, *, bands: Sequence[TickBand] = KRW_TICK_BANDS) -> SymbolFilters:
    """Filters for a KRW-* market: banded tick, 8-decimal volume, 5,000 KRW minimum total."""
    code = _check_market(market)
    return SymbolFilters(
        symbol=code,
        price=PriceFilter(bands=tuple(bands)),
        lot=LotSize(step_size=VOLUME_STEP, min_qty=VOLUME_STEP),
        min_notional=KRW_MIN_ORDER_TOTAL,
        quantity_precision=VOLUME_DECIMALS,
        style=UPBIT,
    )


def krw_spec(market: str, *, status: str = "TRADING") -> SymbolSpec:
    code = _check_market(market)
    return SymbolSpec(
        venue=Venue.UPBIT,
        market=MarketType.SPOT,
        symbol=code,
        base=code.split("-", 1)[1],
        quote="KRW",
        margin_asset="KRW",
        contract_type="SPOT",
        filters=krw_filters(code),
        status=status,
        order_types=frozenset({"LIMIT", "MARKET"}),
        time_in_force=frozenset({"GTC", "IOC", "FOK"}),
    )


def krw_catalog(markets: Iterable[str]) -> MarketCatalog:
    return MarketCatalog(krw_spec(m) for m in markets)


def parse_market_all(payload: Sequence[Mapping[str, Any]]) -> MarketCatalog:
    """Catalog of the KRW markets in a `GET /v1/market/all` response (other quotes skipped).

    Markets under a delisting warning stay listed with status "CAUTION" so an open position
    can still be closed, while `trading_only` listings leave them out.
    """
    specs = []
    for row in payload:
        code = str(row.get("market", ""))
        if not code.startswith("KRW-"):
            continue
        if not _KRW_MARKET.match(code):
            raise DataError(f"market/all: unexpected market code {code!r}")
        event = row.get("market_event") or {}
        warned = row.get("market_warning") == "CAUTION" or bool(event.get("warning"))
        specs.append(krw_spec(code, status="CAUTION" if warned else "TRADING"))
    return MarketCatalog(specs)
