"""The candle frame contract shared by the data, indicator and strategy layers.

A candle frame is a pandas DataFrame with a RangeIndex and these columns, sorted by `open_time`
with no duplicates, each row a *closed* candle:

    open_time  datetime64[ms, UTC]   candle open time
    open, high, low, close, volume   float64 (volume in the base asset)

Optional columns kept when a source has them: quote_volume, trades, taker_buy_base,
taker_buy_quote. The close time of a row is open_time + timeframe; a candle is closed at a
moment `now` iff its close time <= now. Research code reads the columns as float64 arrays.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np
import pandas as pd

from coinpilot.domain.timeframe import Timeframe

OHLCV = ("open", "high", "low", "close", "volume")
OPTIONAL = ("quote_volume", "trades", "taker_buy_base", "taker_buy_quote")
TIME = "open_time"
TIME_DTYPE = "datetime64[ms, UTC]"


def open_ms(frame: pd.DataFrame) -> np.ndarray:
    """Open times as int64 milliseconds since the epoch."""
    return frame[TIME].to_numpy(dtype="datetime64[ms]").astype(np.int64)


_STAMPS: dict[int, pd.Timestamp] = {}
_UTC = datetime.UTC


def utc_stamp(ms: int) -> pd.Timestamp:
    """The UTC Timestamp of epoch milliseconds, shared process-wide.

    Building one costs ~1.4 µs, more than a whole simulated fill's arithmetic, and the same
    instants recur all through a run (a bar's close is the next bar's open, symbols share bar
    times, the strategy's decision time is the simulator's clock). Timestamps are immutable,
    so sharing is safe, and sharing also lets identity checks on times hit. The cache is
    dropped whole when it grows: runs move forward in time, so old instants are not asked
    again."""
    ts = _STAMPS.get(ms)
    if ts is None:
        if len(_STAMPS) >= 8192:
            _STAMPS.clear()
        ts = _STAMPS[ms] = pd.Timestamp(ms, unit="ms", tz=_UTC)  # tz object: ~10 % quicker than "UTC"
    return ts


def close_ms(frame: pd.DataFrame, timeframe: Timeframe) -> np.ndarray:
    return open_ms(frame) + timeframe.ms


def empty_candles() -> pd.DataFrame:
    cols: dict[str, pd.Series] = {TIME: pd.Series([], dtype=TIME_DTYPE)}
    for c in OHLCV:
        cols[c] = pd.Series([], dtype="float64")
    return pd.DataFrame(cols)


@dataclass(frozen=True, slots=True)
class SeriesKey:
    """Identifies one stored series: (venue, market, symbol, timeframe or kind)."""

    venue: str
    market: str
    symbol: str
    timeframe: str  # '5m', '1h', … or 'funding' / 'mark-1h' for non-candle series

    def __str__(self) -> str:
        return f"{self.venue}/{self.market}/{self.symbol}/{self.timeframe}"
