"""Build higher-timeframe candles from lower ones the way Binance does.

Open is the first constituent's open, high the max, low the min, close the last close; volume,
quote_volume, trades and taker volumes are sums. Buckets start on multiples of the target
duration since the epoch (Timeframe.bucket_start_ms). A bucket with a missing constituent bar is
not a candle Binance would print, so by default it is dropped; `keep_incomplete=True` keeps it
with `complete=False` for callers that want to show it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coinpilot.data.report import utc_series
from coinpilot.domain.candles import OHLCV, OPTIONAL, TIME, open_ms
from coinpilot.domain.errors import DataError
from coinpilot.domain.timeframe import Timeframe

SUMMED = ("volume", *OPTIONAL)


def aggregate(
    frame: pd.DataFrame, source_tf: Timeframe | str, target_tf: Timeframe | str
) -> tuple[pd.DataFrame, np.ndarray]:
    """Every bucket touched by `frame`, and how many source bars each one got.

    `frame` must be a clean candle frame (sorted, unique, on the source grid); the counts let
    the caller tell complete buckets (count == target/source) from partial ones.
    """
    src, dst = Timeframe.parse(source_tf), Timeframe.parse(target_tf)
    if not src.divides(dst):
        raise DataError(f"cannot resample {src} into {dst}: {dst} is not a whole multiple of {src}")
    if (dst.offset_ms - src.offset_ms) % src.ms:
        raise DataError(f"cannot resample {src} into {dst}: bucket boundaries are off the {src} grid")
    t = open_ms(frame) if len(frame) else np.empty(0, np.int64)
    if t.size and (np.any(np.diff(t) <= 0) or np.any((t - src.offset_ms) % src.ms)):
        raise DataError(
            f"resample needs sorted, unique {src} candles on the {src} grid; validate the frame first"
        )
    buckets = dst.bucket_start_ms(t)
    starts = np.flatnonzero(np.r_[True, buckets[1:] != buckets[:-1]]) if t.size else np.empty(0, np.int64)
    ends = np.r_[starts[1:], t.size].astype(np.int64)
    counts = ends - starts
    out: dict[str, object] = {
        TIME: utc_series(buckets[starts])
    }
    if t.size:
        out["open"] = frame["open"].to_numpy(np.float64)[starts]
        out["high"] = np.maximum.reduceat(frame["high"].to_numpy(np.float64), starts)
        out["low"] = np.minimum.reduceat(frame["low"].to_numpy(np.float64), starts)
        out["close"] = frame["close"].to_numpy(np.float64)[ends - 1]
        for col in SUMMED:
            if col in frame.columns:
                out[col] = np.add.reduceat(frame[col].to_numpy(np.float64, na_value=np.nan), starts)
    else:
        for col in (*OHLCV, *(c for c in OPTIONAL if c in frame.columns)):
            out[col] = np.empty(0, np.float64)
    return pd.DataFrame(out), counts


def resample(
    frame: pd.DataFrame,
    source_tf: Timeframe | str,
    target_tf: Timeframe | str,
    *,
    keep_incomplete: bool = False,
) -> pd.DataFrame:
    """Candles of `target_tf` built from `frame`; only complete buckets unless asked otherwise."""
    src, dst = Timeframe.parse(source_tf), Timeframe.parse(target_tf)
    candles, counts = aggregate(frame, src, dst)
    complete = counts == dst.ms // src.ms
    if keep_incomplete:
        candles["complete"] = complete
        return candles
    return candles.loc[complete].reset_index(drop=True)
