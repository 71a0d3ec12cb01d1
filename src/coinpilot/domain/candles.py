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
