"""Multi-timeframe alignment: an as-of join on candle CLOSE times (SPEC F06).

A 1h candle that opens at 10:00 is only known at 11:00. Joining on open times would hand the
10:55 5m bar the 10:00-11:00 candle, i.e. 5 minutes of the future; this module joins on close
times, so each primary row sees the last other candle that had closed when the primary candle
closed, and nothing (NaN) before the first one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coinpilot.domain.candles import TIME, close_ms
from coinpilot.domain.errors import DataError
from coinpilot.domain.timeframe import Timeframe


def _check_sorted(frame: pd.DataFrame, label: str) -> None:
    if TIME not in frame.columns:
        raise DataError(f"align_to: {label} frame has no {TIME!r} column")
    if len(frame) > 1 and not frame[TIME].is_monotonic_increasing:
        raise DataError(f"align_to: {label} candles must be sorted by {TIME}; validate them first")


def aligned_index(
    primary: pd.DataFrame,
    primary_tf: Timeframe | str,
    other: pd.DataFrame,
    other_tf: Timeframe | str,
) -> np.ndarray:
    """For each primary row, the position in `other` of the last candle closed by then, or -1."""
    _check_sorted(primary, "primary")
    _check_sorted(other, "other")
    if not len(other) or not len(primary):
        return np.full(len(primary), -1, dtype=np.int64)
    p_close = close_ms(primary, Timeframe.parse(primary_tf))
    o_close = close_ms(other, Timeframe.parse(other_tf))
    return np.searchsorted(o_close, p_close, side="right").astype(np.int64) - 1


def align_to(
    primary: pd.DataFrame,
    primary_tf: Timeframe | str,
    other: pd.DataFrame,
    other_tf: Timeframe | str,
    prefix: str | None = None,
) -> pd.DataFrame:
    """`other`'s columns, one row per primary candle (same index as `primary`).

    Row i holds the last `other` candle whose close time <= primary row i's close time, NaN
    (NaT for times) before the first such candle. Columns keep their names, prefixed with
    `prefix` when given (e.g. prefix='1h_' gives '1h_close', '1h_open_time'), so the result can
    be joined onto `primary` with `primary.join(...)`.
    """
    idx = aligned_index(primary, primary_tf, other, other_tf)
    found = idx >= 0
    if len(other):
        out = other.iloc[np.where(found, idx, 0)].reset_index(drop=True)
        if not found.all():  # rows before the first closed candle: NaN / NaT
            out = out.mask(np.broadcast_to(~found[:, None], out.shape))
    else:
        out = other.reindex(range(len(primary))).reset_index(drop=True)
    out.index = primary.index
    if prefix:
        out = out.add_prefix(prefix)
    return out
