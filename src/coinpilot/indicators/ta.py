"""Thin typed wrappers over TA-Lib.

Why wrap at all: one float64-in/float64-out contract, keyword names that say what a number
is, and one place that documents TA-Lib's semantics the strategies rely on. Every output has
exactly one value per input row; the warm-up rows are NaN (their count is `warmup.warmup(...)`),
never back-filled, so a NaN always means "not known yet".

TA-Lib semantics worth knowing (tested in tests/indicators/test_ta.py):
- EMA is seeded with the SMA of the first `period` values (default compatibility mode) and then
  recursed with k = 2/(period+1). The seed position matters: an EMA started at another row
  differs for many bars, so strategies always compute over the whole frame they are given.
- MACD seeds *both* EMAs at the slow EMA's first row (index slow−1): its fast line is not
  EMA(fast) of the whole series, and its warm-up is slow−1 + signal−1.
- RSI, ATR and ADX use Wilder smoothing seeded by simple averages.
- BBANDS uses the population standard deviation (ddof=0).
- STOCHRSI's raw %K is 0 wherever the RSI's window range is below 1e-6 RSI points (TA-Lib's
  TA_IS_ZERO test), not NaN.
"""

from __future__ import annotations

from typing import NamedTuple

import talib

from coinpilot.indicators._arrays import ArrayLike, FloatArray, as_f64


class MACD(NamedTuple):
    macd: FloatArray
    signal: FloatArray
    hist: FloatArray


class Bollinger(NamedTuple):
    upper: FloatArray
    middle: FloatArray
    lower: FloatArray


class StochRSI(NamedTuple):
    k: FloatArray
    d: FloatArray


def sma(values: ArrayLike, period: int) -> FloatArray:
    """Simple moving average; the first period−1 rows are NaN."""
    return talib.SMA(as_f64(values), timeperiod=period)


def ema(values: ArrayLike, period: int) -> FloatArray:
    """Exponential moving average, SMA-seeded at row period−1 (TA-Lib default compatibility)."""
    return talib.EMA(as_f64(values), timeperiod=period)


def rsi(close: ArrayLike, period: int = 14) -> FloatArray:
    """Wilder RSI in [0, 100]; the first `period` rows are NaN."""
    return talib.RSI(as_f64(close), timeperiod=period)


def macd(close: ArrayLike, fast: int = 12, slow: int = 26, signal: int = 9) -> MACD:
    """MACD line, signal line (EMA of the line) and histogram (line − signal)."""
    line, sig, hist = talib.MACD(as_f64(close), fastperiod=fast, slowperiod=slow, signalperiod=signal)
    return MACD(line, sig, hist)


def bollinger(close: ArrayLike, period: int = 20, n_std: float = 2.0) -> Bollinger:
    """Bollinger bands around an SMA with population-std width."""
    upper, middle, lower = talib.BBANDS(
        as_f64(close), timeperiod=period, nbdevup=n_std, nbdevdn=n_std, matype=talib.MA_Type.SMA
    )
    return Bollinger(upper, middle, lower)


def atr(high: ArrayLike, low: ArrayLike, close: ArrayLike, period: int = 14) -> FloatArray:
    """Average true range (Wilder); the first `period` rows are NaN."""
    return talib.ATR(as_f64(high), as_f64(low), as_f64(close), timeperiod=period)


def adx(high: ArrayLike, low: ArrayLike, close: ArrayLike, period: int = 14) -> FloatArray:
    """Average directional index; the first 2·period−1 rows are NaN."""
    return talib.ADX(as_f64(high), as_f64(low), as_f64(close), timeperiod=period)


def stoch_rsi(
    close: ArrayLike, rsi_period: int = 14, stoch_period: int = 14, k_smooth: int = 3, d_smooth: int = 3
) -> StochRSI:
    """Stochastic RSI as the C09/C10 seed defines it: K = SMA(k_smooth) of the raw stochastic of
    RSI(rsi_period) over stoch_period bars, D = SMA(d_smooth) of K.

    TA-Lib's STOCHRSI 'fastd' output is exactly that K (its 'fastk' is the unsmoothed raw value),
    so D is one more SMA on top. K and D can be equal up to float noise when RSI is pinned at its
    window extreme: compare them with `compare.gt`/`compare.lt`, never with bare > or <.
    """
    _raw, k = talib.STOCHRSI(
        as_f64(close), timeperiod=rsi_period, fastk_period=stoch_period, fastd_period=k_smooth,
        fastd_matype=talib.MA_Type.SMA,
    )
    d = talib.SMA(k, timeperiod=d_smooth)
    return StochRSI(k, d)


def obv(close: ArrayLike, volume: ArrayLike) -> FloatArray:
    """On-balance volume; starts at volume[0] and adds ±volume by the sign of the close change."""
    return talib.OBV(as_f64(close), as_f64(volume))


def plus_di(high: ArrayLike, low: ArrayLike, close: ArrayLike, period: int = 14) -> FloatArray:
    """+DI, the upward half of ADX's directional movement (for direction next to ADX strength)."""
    return talib.PLUS_DI(as_f64(high), as_f64(low), as_f64(close), timeperiod=period)


def minus_di(high: ArrayLike, low: ArrayLike, close: ArrayLike, period: int = 14) -> FloatArray:
    """−DI, the downward half of ADX's directional movement."""
    return talib.MINUS_DI(as_f64(high), as_f64(low), as_f64(close), timeperiod=period)


def rolling_max(values: ArrayLike, period: int) -> FloatArray:
    """Highest value over the last `period` rows, this row included."""
    return talib.MAX(as_f64(values), timeperiod=period)


def rolling_min(values: ArrayLike, period: int) -> FloatArray:
    """Lowest value over the last `period` rows, this row included."""
    return talib.MIN(as_f64(values), timeperiod=period)


def roc_ratio(values: ArrayLike, period: int) -> FloatArray:
    """values[t] / values[t−period] − 1 (the `window` return of U09's momentum)."""
    return talib.ROCP(as_f64(values), timeperiod=period)
