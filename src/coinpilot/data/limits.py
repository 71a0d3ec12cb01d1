"""The bounds a stored value must respect, and the names a stored series may carry.

Values outside these bounds are refused on import (FATAL in the validation report), because a
single absurd row is enough to make a whole backtest meaningless: an infinite high fills every
stop, a funding rate of 5.0 charges 500 % of the position every eight hours. The bounds are
set far outside anything real so that they only ever catch broken data:

    prices         finite, > 0 and <= MAX_PRICE (1e12): the dearest real quote is Upbit KRW-BTC
                   at ~1.5e8 KRW; the cheapest tokens quote around 1e-8, which stays valid
    volume         finite and >= 0 (base units; a meme coin trades ~1e13 units a day, so no cap)
    optional       quote_volume, trades, taker_buy_base, taker_buy_quote: finite and >= 0 where
                   present (a missing value, NaN, is allowed)
    funding rate   finite and |rate| <= MAX_ABS_FUNDING_RATE (0.1 = 10 % per funding interval);
                   Binance caps USDⓈ-M funding at a few % per interval (±0.3 % .. ±4 %)
    open interest  finite and >= 0

Names: a store path is built from (venue, market, symbol, timeframe), so each part is checked
before any file is touched (a symbol such as `../../tmp/x` would otherwise write outside the
store). Venues and markets are the ones coinpilot trades (`MARKETS`); a symbol is letters and
digits, with one inner '-' for Upbit's quote-first names (KRW-BTC).
"""

from __future__ import annotations

from coinpilot.domain.enums import MarketType, Venue
from coinpilot.domain.errors import DataError

MAX_PRICE = 1e12
MAX_ABS_FUNDING_RATE = 0.1

MARKETS: frozenset[tuple[str, str]] = frozenset({
    (Venue.BINANCE.value, MarketType.FUTURES.value),
    (Venue.BINANCE.value, MarketType.SPOT.value),
    (Venue.UPBIT.value, MarketType.SPOT.value),
})
VENUES = tuple(sorted({v for v, _ in MARKETS}))
MARKET_TYPES = tuple(sorted({m for _, m in MARKETS}))



def allowed_markets() -> str:
    """'binance futures, binance spot, upbit spot', for messages."""
    return ", ".join(f"{v} {m}" for v, m in sorted(MARKETS))


def check_venue_market(venue: str, market: str) -> None:
    """Refuse a (venue, market) pair coinpilot does not know; the message lists the known ones."""
    if venue not in VENUES:
        raise DataError(f"unknown venue {venue!r}; known: {', '.join(VENUES)}")
    if market not in MARKET_TYPES:
        raise DataError(f"unknown market {market!r}; known: {', '.join(MARKET_TYPES)}")
    if (venue, market) not in MARKETS:
        raise DataError(f"{venue} has no {market} market here; known: {allowed_markets()}")


def check_symbol(symbol: str) -> str:
    """The symbol in upper case, or DataError when it is not a plain exchange symbol
    (the rule is domain.symbols.check_symbol_name, shared with the configuration)."""
    from coinpilot.domain.symbols import check_symbol_name

    try:
        return check_symbol_name(symbol)
    except ValueError as exc:
        raise DataError(f"invalid symbol: {exc}; no '/', '.', spaces or path separators") from None
