"""Binance USDⓈ-M trading rules: exchangeInfo → SymbolSpec/SymbolFilters, and leverage tiers.

`parse_exchange_info` reads the venue payload with its own field names (strings for every
number, as Binance sends them) and turns it into domain types once, here. The bundled payloads
(see data/README.md) are the offline default; the live adapter passes a fresh payload to the
same parser, wrapped in a `CachedCatalog` with a 24 h TTL (C34).
"""

from __future__ import annotations

import difflib
import gzip
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from coinpilot.domain.enums import MarketType, Venue
from coinpilot.domain.errors import DataError, UnknownSymbolError
from coinpilot.domain.filters import (
    BINANCE_FUTURES,
    LotSize,
    PercentPrice,
    PriceFilter,
    SymbolFilters,
)
from coinpilot.domain.leverage import LeverageTiers
from coinpilot.domain.money import to_decimal
from coinpilot.domain.symbols import MarketCatalog, SymbolSpec

EXCHANGE_INFO_FILE = "fapi_v1_exchangeInfo_2025-12-24_alphadogs.json.gz"
LEVERAGE_TIERS_FILE = "binance_leverage_tiers_freqtrade.json.gz"


def _read_json(path: Path | None, default_name: str) -> Any:
    if path is None:
        source = resources.files("coinpilot.exchanges.binance").joinpath("data", default_name)
        raw = source.read_bytes()
        where = f"bundled {default_name}"
    else:
        if not path.is_file():
            raise DataError(f"{path}: file not found")
        raw = path.read_bytes()
        where = str(path)
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise DataError(f"{where}: not valid JSON ({exc})") from None


def parse_filters(symbol: Mapping[str, Any]) -> SymbolFilters:
    """SymbolFilters from one `symbols[]` entry of /fapi/v1/exchangeInfo."""
    name = str(symbol["symbol"])
    by_type = {f["filterType"]: f for f in symbol.get("filters", [])}
    try:
        pf, lot = by_type["PRICE_FILTER"], by_type["LOT_SIZE"]
    except KeyError as exc:
        raise DataError(f"exchangeInfo {name}: filter {exc.args[0]} missing") from None
    market = by_type.get("MARKET_LOT_SIZE")
    pct = by_type.get("PERCENT_PRICE")
    return SymbolFilters(
        symbol=name,
        price=PriceFilter(
            tick_size=to_decimal(pf["tickSize"], field=f"{name}.tickSize"),
            min_price=to_decimal(pf["minPrice"], field=f"{name}.minPrice"),
            max_price=to_decimal(pf["maxPrice"], field=f"{name}.maxPrice"),
        ),
        lot=_lot(lot, name),
        market_lot=_lot(market, name) if market else None,
        min_notional=to_decimal(by_type.get("MIN_NOTIONAL", {}).get("notional", "0")),
        percent_price=PercentPrice(
            multiplier_up=to_decimal(pct["multiplierUp"]),
            multiplier_down=to_decimal(pct["multiplierDown"]),
            multiplier_decimal=int(pct.get("multiplierDecimal", 4)),
        )
        if pct
        else None,
        price_precision=_int_or_none(symbol.get("pricePrecision")),
        quantity_precision=_int_or_none(symbol.get("quantityPrecision")),
        max_num_orders=_int_or_none(by_type.get("MAX_NUM_ORDERS", {}).get("limit")),
        max_num_algo_orders=_int_or_none(by_type.get("MAX_NUM_ALGO_ORDERS", {}).get("limit")),
        style=BINANCE_FUTURES,
    )


def _lot(raw: Mapping[str, Any], name: str) -> LotSize:
    max_qty = to_decimal(raw["maxQty"], field=f"{name}.maxQty")
    return LotSize(
        step_size=to_decimal(raw["stepSize"], field=f"{name}.stepSize"),
        min_qty=to_decimal(raw["minQty"], field=f"{name}.minQty"),
        max_qty=max_qty if max_qty > 0 else None,
    )


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def parse_symbol(symbol: Mapping[str, Any]) -> SymbolSpec:
    onboard = symbol.get("onboardDate")
    return SymbolSpec(
        venue=Venue.BINANCE,
        market=MarketType.FUTURES,
        symbol=str(symbol["symbol"]),
        base=str(symbol["baseAsset"]),
        quote=str(symbol["quoteAsset"]),
        margin_asset=str(symbol.get("marginAsset", symbol["quoteAsset"])),
        contract_type=str(symbol.get("contractType", "PERPETUAL")),
        filters=parse_filters(symbol),
        status=str(symbol.get("status", "TRADING")),
        onboard_date=datetime.fromtimestamp(int(onboard) / 1000, tz=UTC) if onboard else None,
        order_types=frozenset(symbol.get("orderTypes", ())),
        time_in_force=frozenset(symbol.get("timeInForce", ())),
    )


def parse_exchange_info(payload: Mapping[str, Any]) -> MarketCatalog:
    """Catalog of every symbol in a /fapi/v1/exchangeInfo response (all statuses)."""
    symbols = payload.get("symbols")
    if not isinstance(symbols, list):
        raise DataError("exchangeInfo payload has no 'symbols' list")
    return MarketCatalog(parse_symbol(s) for s in symbols)


def load_exchange_info(path: Path | None = None) -> MarketCatalog:
    """Parse a saved exchangeInfo JSON (plain or gzip); the bundled capture by default."""
    return parse_exchange_info(_read_json(path, EXCHANGE_INFO_FILE))


@cache
def bundled_catalog() -> MarketCatalog:
    """The bundled exchangeInfo, parsed once per process (it is immutable)."""
    return load_exchange_info()


def ccxt_to_binance_id(unified: str) -> str:
    """Map a ccxt unified symbol to the venue id: "BTC/USDT:USDT" → "BTCUSDT" (base + quote),
    and a delivery contract "BTC/USDT:USDT-250328" → "BTCUSDT_250328"."""
    pair, _, settle = unified.partition(":")
    _, _, expiry = settle.partition("-")
    venue_id = pair.replace("/", "").upper()
    return f"{venue_id}_{expiry}" if expiry else venue_id


def load_leverage_tiers(path: Path | None = None) -> dict[str, LeverageTiers]:
    """Tiers per Binance id from a ccxt-format file ({unified symbol: [tier rows]})."""
    raw = _read_json(path, LEVERAGE_TIERS_FILE)
    if not isinstance(raw, dict):
        raise DataError("leverage tiers file must map unified symbols to tier lists")
    out: dict[str, LeverageTiers] = {}
    for unified, rows in raw.items():
        symbol = ccxt_to_binance_id(unified)
        try:
            out[symbol] = LeverageTiers.from_ccxt(symbol, rows)
        except (KeyError, ValueError) as exc:
            raise DataError(f"leverage tiers for {unified}: {exc}") from None
    return out


@cache
def _bundled_tiers() -> dict[str, LeverageTiers]:
    return load_leverage_tiers()


def leverage_tiers(symbol: str) -> LeverageTiers:
    """Bundled tiers of a Binance id or unified symbol; UnknownSymbolError suggests neighbours."""
    tiers = _bundled_tiers()
    key = ccxt_to_binance_id(symbol) if "/" in symbol else symbol.upper()
    if key in tiers:
        return tiers[key]
    close = difflib.get_close_matches(key, list(tiers), n=3, cutoff=0.6)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise UnknownSymbolError(
        f"no bundled leverage tiers for {symbol!r} (the bundled brackets date from 2024-10; "
        f"fetch fresh ones from the venue for newer listings).{hint}"
    )
