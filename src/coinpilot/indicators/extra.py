"""The few indicators TA-Lib lacks, written once so research, backtest and live share them.

Conventions (same as the TA-Lib wrappers): float64 numpy in and out, one value per row, NaN
while a window is not yet full. Divisions go through `safe_div`: a zero denominator gives 0,
never ±inf and never an epsilon-inflated ratio (P44: `x / (y + 1e-8)` turned flat BTC bars
into ratios of 10⁶ that wrecked a 288-bar z-score).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coinpilot.indicators._arrays import ArrayLike, FloatArray, as_f64
from coinpilot.indicators.ta import sma


def safe_div(numerator: ArrayLike, denominator: ArrayLike) -> FloatArray:
    """numerator / denominator, with 0 where the denominator is exactly 0 (NaN stays NaN)."""
    num = as_f64(numerator)
    den = as_f64(denominator)
    num, den = np.broadcast_arrays(num, den)
    out = np.zeros(num.shape, dtype=np.float64)
    np.divide(num, den, out=out, where=den != 0)
    # den == NaN satisfies `den != 0`, so NaN propagates through the division itself
    return out


def volume_ratio(volume: ArrayLike, period: int = 20) -> FloatArray:
    """volume / SMA(volume, period): how unusual this bar's volume is (C14 vol_ratio)."""
    vol = as_f64(volume)
    return safe_div(vol, sma(vol, period))


def bb_width(upper: ArrayLike, middle: ArrayLike, lower: ArrayLike) -> FloatArray:
    """Bollinger band width (upper − lower) / middle, the F07 regime input."""
    return safe_div(as_f64(upper) - as_f64(lower), middle)


def percent_b(close: ArrayLike, upper: ArrayLike, lower: ArrayLike) -> FloatArray:
    """%B = (close − lower) / (upper − lower): 0 at the lower band, 1 at the upper.

    A zero-width band (flat prices) gives 0 through `safe_div`; callers that need "middle"
    there can test the width themselves.
    """
    low = as_f64(lower)
    return safe_div(as_f64(close) - low, as_f64(upper) - low)


def rolling_zscore(
    values: ArrayLike, window: int, min_periods: int | None = None, ddof: int = 1
) -> FloatArray:
    """(x − rolling mean) / rolling std over the last `window` rows.

    NaN until `min_periods` non-NaN values are in the window (default: the full window, so
    a short live buffer cannot silently produce differently scaled values, P36). Where the
    window's std is 0 (a constant stretch) the score is 0, not ±inf or NaN (P44).
    Uses pandas' rolling kernels, whose value at row t depends only on rows <= t.
    """
    series = pd.Series(as_f64(values))
    roll = series.rolling(window, min_periods=window if min_periods is None else min_periods)
    mean = roll.mean().to_numpy()
    std = roll.std(ddof=ddof).to_numpy()
    return safe_div(series.to_numpy() - mean, std)


def log_returns(close: ArrayLike) -> FloatArray:
    """ln(close[t] / close[t−1]); row 0 is NaN."""
    c = as_f64(close)
    out = np.full(c.shape, np.nan)
    if len(c) > 1:
        out[1:] = np.log(c[1:] / c[:-1])
    return out


def volatility_frac(close: ArrayLike, window: int = 20) -> FloatArray:
    """Volatility as a fraction of price: std (ddof=1) of the last `window` log returns.

    W03 leaves "volatility" open but compares it with MIN_VOL_FRAC = 0.0005 (a price fraction);
    the std of log returns is scale-free and needs only closes, so a 5m value means the same on
    BTC and DOGE. NaN until `window` returns exist (row `window`).
    """
    rets = pd.Series(log_returns(close))
    return rets.rolling(window, min_periods=window).std(ddof=1).to_numpy()


def true_range_frac(atr_values: ArrayLike, close: ArrayLike) -> FloatArray:
    """ATR / close (C14 atr_pct), 0 where close is 0."""
    return safe_div(atr_values, close)
