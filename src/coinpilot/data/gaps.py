"""Gap detection (SPEC F03) and grouping of flagged bars into time ranges.

Gaps are reported, never filled: a filled bar is an invented price, and a backtest that trades
on it reports fills that could not have happened. Gap ranges drive re-fetches instead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coinpilot.data.report import TimeRange, ms_to_times
from coinpilot.domain.candles import open_ms
from coinpilot.domain.timeframe import Timeframe


def _to_ms(value: pd.Timestamp | str) -> int:
    ts = pd.Timestamp(value)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return int(ts.value // 1_000_000)


def missing_ranges(
    times_ms: np.ndarray,
    step_ms: int,
    start_ms: int | None = None,
    end_ms: int | None = None,
) -> list[tuple[int, int, int]]:
    """(first missing, last missing, count) in ms for a sorted, unique, on-grid time array.

    `start_ms`/`end_ms` widen the window (end exclusive) so leading and trailing misses count.
    """
    t = np.asarray(times_ms, dtype=np.int64)
    if start_ms is not None:
        t = t[t >= start_ms]
    if end_ms is not None:
        t = t[t < end_ms]
    # sentinels turn leading/trailing misses into ordinary inner gaps
    lo = [start_ms - step_ms] if start_ms is not None else []
    hi = [end_ms] if end_ms is not None else []
    grid = np.concatenate([np.asarray(lo, np.int64), t, np.asarray(hi, np.int64)])
    if grid.size < 2:
        return []
    steps = np.diff(grid)
    at = np.flatnonzero(steps > step_ms)
    first = grid[at] + step_ms
    count = (steps[at] - 1) // step_ms
    last = first + (count - 1) * step_ms
    return [(int(a), int(b), int(n)) for a, b, n in zip(first, last, count, strict=True)]


def find_gaps(
    candles: pd.DataFrame,
    timeframe: Timeframe | str,
    start: pd.Timestamp | str | None = None,
    end: pd.Timestamp | str | None = None,
) -> list[TimeRange]:
    """Missing candle open times as (start, end) ranges, both included.

    Without `start`/`end` only holes between the first and last candle count; with them the
    expected grid spans [start, end) so a re-fetch also covers missing head and tail bars.
    """
    tf = Timeframe.parse(timeframe)
    t = open_ms(candles) if len(candles) else np.empty(0, np.int64)
    lo = None
    if start is not None:  # first grid time at or after `start`
        s = _to_ms(start)
        lo = int(tf.bucket_start_ms(np.asarray([s - 1], np.int64))[0]) + tf.ms
    hi = _to_ms(end) if end is not None else None
    return ranges_from_ms(missing_ranges(t, tf.ms, lo, hi))


def ranges_from_ms(found: list[tuple[int, int, int]]) -> list[TimeRange]:
    """(first ms, last ms, count) tuples to TimeRanges for reports."""
    if not found:
        return []
    arr = np.asarray(found, dtype=np.int64)
    starts, ends = ms_to_times(arr[:, 0]), ms_to_times(arr[:, 1])
    return [TimeRange(s, e, int(n)) for s, e, n in zip(starts, ends, arr[:, 2], strict=True)]


def flagged_runs(mask: np.ndarray, times_ms: np.ndarray, step_ms: int) -> list[TimeRange]:
    """Group flagged bars that follow each other on the grid into ranges (e.g. maintenance)."""
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return []
    t = np.asarray(times_ms, dtype=np.int64)[idx]
    breaks = np.flatnonzero(np.diff(t) != step_ms) + 1
    starts = np.concatenate([[0], breaks])
    ends = np.concatenate([breaks, [t.size]]) - 1
    return ranges_from_ms(
        [(int(t[s]), int(t[e]), int(e - s + 1)) for s, e in zip(starts, ends, strict=True)]
    )
