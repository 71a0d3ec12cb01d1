"""Per-symbol market arrays for the simulator and the compiled scans over them.

The scans find the first bar at or after `start` where a price level is crossed, so the
engine can jump straight to the next bar where anything can happen instead of visiting every
bar in Python. They loop only over the bars actually skipped, so a scan costs what a trade
lasts, not what the data set holds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from coinpilot.domain.candles import open_ms
from coinpilot.domain.errors import DataError
from coinpilot.domain.timeframe import Timeframe


def earliest_bar(a: int, b: int) -> int:
    """The earlier of two bars, where -1 means 'never'."""
    if a < 0:
        return b
    if b < 0 or a <= b:
        return a
    return b


def first_at_or_below(low: np.ndarray, start: int, level: float, stop: int = -1) -> int:
    """First bar i in [start, stop) with low[i] <= level, or -1 (stop -1: to the end).

    Scans chunks of growing size: trades last tens to hundreds of bars, so a first chunk of
    64 bars usually answers, and the doubling keeps a never-touched level at O(n) total work.
    Plain numpy: no JIT start-up cost in the event engine."""
    n = low.shape[0] if stop < 0 else min(stop, low.shape[0])
    width = 64
    while start < n:
        end = min(n, start + width)
        mask = low[start:end] <= level
        k = int(mask.argmax())
        if mask[k]:
            return start + k
        start, width = end, width * 2
    return -1


def first_at_or_above(high: np.ndarray, start: int, level: float, stop: int = -1) -> int:
    """First bar i in [start, stop) with high[i] >= level, or -1 (see first_at_or_below)."""
    n = high.shape[0] if stop < 0 else min(stop, high.shape[0])
    width = 64
    while start < n:
        end = min(n, start + width)
        mask = high[start:end] >= level
        k = int(mask.argmax())
        if mask[k]:
            return start + k
        start, width = end, width * 2
    return -1


def first_touch(low: np.ndarray, high: np.ndarray, start: int, below: float, above: float, stop: int = -1) -> int:
    """First bar i in [start, stop) with low[i] <= below or high[i] >= above, or -1.

    `below` = -inf or `above` = +inf leaves that side out (it is then not compared at all)."""
    if above == math.inf:
        return first_at_or_below(low, start, below, stop)
    if below == -math.inf:
        return first_at_or_above(high, start, above, stop)
    n = low.shape[0] if stop < 0 else min(stop, low.shape[0])
    width = 64
    while start < n:
        end = min(n, start + width)
        mask = (low[start:end] <= below) | (high[start:end] >= above)
        k = int(mask.argmax())
        if mask[k]:
            return start + k
        start, width = end, width * 2
    return -1


_trailing_kernel = None


def first_trailing_hit(
    high: np.ndarray, low: np.ndarray, start: int, is_long: int, extreme: float, callback: float,
    activation: float,
) -> int:
    """Compiled on first use (numba), so runs without trailing stops never pay its start-up."""
    global _trailing_kernel
    if _trailing_kernel is None:
        from numba import njit

        _trailing_kernel = njit(cache=True)(_first_trailing_hit)
    return int(_trailing_kernel(high, low, start, is_long, extreme, callback, activation))


def _first_trailing_hit(
    high: np.ndarray, low: np.ndarray, start: int, is_long: int, extreme: float, callback: float,
    activation: float,
) -> int:
    """First bar >= start where a trailing stop fires (Binance TRAILING_STOP_MARKET semantics).

    For a long position's sell trailing stop, the tracked extreme is the highest price seen since
    activation; it fires when price falls `callback` (fraction) below it. The extreme is updated
    with bar highs at the end of each bar, so within a bar the stop uses the extreme known at the
    bar's start (pessimistic, and no intrabar look-ahead). Returns -1 if never.
    """
    active = activation != activation or (is_long == 1 and extreme >= activation) or (
        is_long == 0 and extreme <= activation
    )
    for i in range(start, high.shape[0]):
        if active:
            if is_long == 1:
                if low[i] <= extreme * (1.0 - callback):
                    return i
            elif high[i] >= extreme * (1.0 + callback):
                return i
        if is_long == 1:
            extreme = max(extreme, high[i])
            if not active and extreme >= activation:
                active = True
        else:
            extreme = min(extreme, low[i])
            if not active and extreme <= activation:
                active = True
    return -1


#: how far after a mark candle's open an instant still reads that open (funding-time jitter)
MARK_JITTER_MS = 1_000


@dataclass
class SimMarket:
    """One symbol's candles as arrays, plus its funding series (times in epoch ms)."""

    symbol: str
    timeframe: Timeframe
    times: np.ndarray  # open times, int64 ms
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    funding_times: np.ndarray  # int64 ms
    funding_rates: np.ndarray
    mark_times: np.ndarray  # int64 ms, open times of mark candles
    mark_open: np.ndarray

    @classmethod
    def from_frames(
        cls,
        symbol: str,
        timeframe: Timeframe,
        candles: pd.DataFrame,
        funding: pd.DataFrame | None = None,
        mark: pd.DataFrame | None = None,
    ) -> SimMarket:
        if len(candles) == 0:
            raise DataError(f"{symbol}: no candles to simulate (empty period?)")
        times = open_ms(candles)
        if np.any(np.diff(times) <= 0):
            raise DataError(f"{symbol}: candle times must be strictly increasing")
        if funding is not None and len(funding):
            f_times = funding["funding_time"].to_numpy(dtype="datetime64[ms]").astype(np.int64)
            f_rates = funding["rate"].to_numpy(dtype=np.float64)
        else:
            f_times, f_rates = np.empty(0, np.int64), np.empty(0)
        if mark is not None and len(mark):
            m_times, m_open = open_ms(mark), mark["open"].to_numpy(dtype=np.float64)
        else:
            m_times, m_open = np.empty(0, np.int64), np.empty(0)
        col = {c: np.ascontiguousarray(candles[c].to_numpy(dtype=np.float64)) for c in ("open", "high", "low", "close", "volume")}
        return cls(symbol, timeframe, times, col["open"], col["high"], col["low"], col["close"],
                   col["volume"], f_times, f_rates, m_times, m_open)

    def __len__(self) -> int:
        return int(self.times.shape[0])

    def time(self, i: int) -> pd.Timestamp:
        return pd.Timestamp(int(self.times[i]), unit="ms", tz="UTC")

    def close_time(self, i: int) -> pd.Timestamp:
        return pd.Timestamp(int(self.times[i]) + self.timeframe.ms, unit="ms", tz="UTC")

    def mark_at(self, t_ms: int, fallback: float) -> float:
        """Mark price at an instant: the open of the mark candle starting then (up to
        MARK_JITTER_MS earlier: Binance stamps funding a few ms after the hour), else `fallback`."""
        if self.mark_times.shape[0] == 0:
            return fallback
        j = int(self.mark_times.searchsorted(t_ms, side="right")) - 1
        if j >= 0 and t_ms - self.mark_times[j] <= MARK_JITTER_MS:
            return float(self.mark_open[j])
        return fallback

    def funding_between(self, after_ms: int, upto_ms: int) -> range:
        """Indices of funding events with after_ms < time <= upto_ms."""
        lo = int(self.funding_times.searchsorted(after_ms, side="right"))
        hi = int(self.funding_times.searchsorted(upto_ms, side="right"))
        return range(lo, hi)

    def next_funding_bar(self, start: int) -> int:
        """First bar >= start whose open time is at or after the next funding time, or -1."""
        if start >= len(self) or self.funding_times.shape[0] == 0:
            return -1
        prev_open = int(self.times[start - 1]) if start > 0 else int(self.times[0]) - 1
        k = int(self.funding_times.searchsorted(prev_open, side="right"))
        if k >= self.funding_times.shape[0]:
            return -1
        i = int(self.times.searchsorted(self.funding_times[k], side="left"))
        return i if i < len(self) else -1
