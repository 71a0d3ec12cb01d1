"""Assemble the MarketData a strategy needs from a CandleStore.

A strategy states its needs (primary timeframe, informative timeframes, context symbols); this
module loads them, building a timeframe that is not stored from the finest stored one that
divides it (complete buckets only). The CLI and tests use it; the engine can too.
"""

from __future__ import annotations

import pandas as pd

from coinpilot.data.resample import resample
from coinpilot.data.store import FUNDING, CandleStore
from coinpilot.domain.candles import SeriesKey
from coinpilot.domain.errors import DataNotFoundError
from coinpilot.domain.timeframe import Timeframe
from coinpilot.strategies.base import MarketData, Strategy

Time = pd.Timestamp | str | None


def stored_timeframes(store: CandleStore, symbol: str, venue: str = "binance", market: str = "futures") -> list[Timeframe]:
    """Candle timeframes stored for a symbol, finest first (funding and mark series excluded)."""
    found = []
    for key in store.keys():  # noqa: SIM118  (CandleStore.keys is not a dict view)
        if (key.venue, key.market, key.symbol) != (venue, market, symbol.upper()):
            continue
        try:
            found.append(Timeframe.parse(key.timeframe))
        except ValueError:
            continue  # 'funding', 'mark-1h', ...
    return sorted(set(found))


def load_candles(
    store: CandleStore, symbol: str, timeframe: Timeframe | str, *, venue: str = "binance",
    market: str = "futures", start: Time = None, end: Time = None,
) -> pd.DataFrame:
    """Stored candles of `timeframe`, or ones resampled from the finest stored timeframe dividing it."""
    tf = Timeframe.parse(timeframe)
    stored = stored_timeframes(store, symbol, venue, market)
    if tf in stored:
        return store.load(SeriesKey(venue, market, symbol.upper(), tf.name), start, end)
    sources = [s for s in stored if s.divides(tf)]
    if not sources:
        have = ", ".join(s.name for s in stored) or "nothing"
        raise DataNotFoundError(
            f"no {tf} candles for {venue}/{market}/{symbol} and none that divide it (stored: {have}); "
            "import them with `coinpilot data import`"
        )
    src = sources[-1]  # the coarsest divisor: fewest rows to aggregate
    frame = store.load(SeriesKey(venue, market, symbol.upper(), src.name), start, end)
    return resample(frame, src, tf)


def market_data_for(
    strategy: Strategy, store: CandleStore, symbol: str, *, venue: str = "binance",
    market: str = "futures", start: Time = None, end: Time = None,
) -> MarketData:
    """Everything `strategy` reads for `symbol`: primary, informative, context candles, funding."""
    tf = strategy.timeframe
    kw = {"venue": venue, "market": market, "start": start, "end": end}
    candles = load_candles(store, symbol, tf, **kw)  # type: ignore[arg-type]
    informative = {name: load_candles(store, symbol, name, **kw) for name in strategy.informative_timeframes}  # type: ignore[arg-type]
    context = {
        other: load_candles(store, other, tf, **kw)  # type: ignore[arg-type]
        for other in strategy.context_symbols if other.upper() != symbol.upper()
    }
    try:
        funding = store.load(SeriesKey(venue, market, symbol.upper(), FUNDING), start, end)
    except DataNotFoundError:
        funding = None
    return MarketData(symbol=symbol.upper(), timeframe=tf, candles=candles, informative=informative,
                      context=context, funding=funding)


def load_mark(
    store: CandleStore, symbol: str, *, venue: str = "binance", market: str = "futures",
    start: Time = None, end: Time = None,
) -> pd.DataFrame | None:
    """The finest stored mark-price series of `symbol`, or None.

    Funding is paid on the mark price at the funding time (Binance's rule); the simulator and
    the fast path read the open of the mark candle starting then, the bar's open without one.
    """
    from coinpilot.data.store import Kind, parse_store_name

    found = []
    for key in store.keys():  # noqa: SIM118  (CandleStore.keys is not a dict view)
        if (key.venue, key.market, key.symbol) != (venue, market, symbol.upper()):
            continue
        try:
            kind, tf = parse_store_name(key.timeframe)
        except ValueError:
            continue
        if kind is Kind.MARK and tf is not None:
            found.append((tf, key))
    if not found:
        return None
    return store.load(min(found, key=lambda item: item[0])[1], start, end)
