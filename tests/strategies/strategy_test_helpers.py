"""Constants and small builders shared by the strategy tests (imported by name; not a test file)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from coinpilot.domain.timeframe import Timeframe

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / "configs" / "strategies"
SAMPLE_SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "BNBUSDT", "DOGEUSDT")

# parameters under which each built-in is exercised (u_dual_momentum also on its context path)
BUILTIN_PARAMS: dict[str, dict[str, object]] = {"u_dual_momentum": {"context_symbols": ["BTCUSDT"]}}


def candles(
    close: np.ndarray | list[float],
    *,
    timeframe: str = "5m",
    start: str = "2025-01-01",
    open_: np.ndarray | list[float] | None = None,
    high: np.ndarray | list[float] | None = None,
    low: np.ndarray | list[float] | None = None,
    volume: np.ndarray | list[float] | None = None,
) -> pd.DataFrame:
    """A candle frame (domain contract) from arrays; missing OHLC derived from close."""
    c = np.asarray(close, dtype=np.float64)
    o = np.r_[c[0], c[:-1]] if open_ is None else np.asarray(open_, dtype=np.float64)
    h = np.maximum(o, c) if high is None else np.asarray(high, dtype=np.float64)
    lo = np.minimum(o, c) if low is None else np.asarray(low, dtype=np.float64)
    v = np.ones(len(c)) if volume is None else np.asarray(volume, dtype=np.float64)
    step = Timeframe.parse(timeframe).delta
    times = pd.date_range(pd.Timestamp(start, tz="UTC"), periods=len(c), freq=step).as_unit("ms")
    return pd.DataFrame({"open_time": times, "open": o, "high": h, "low": lo, "close": c, "volume": v})
