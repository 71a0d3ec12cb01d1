"""Warm-up lengths: how many leading rows of each indicator are NaN.

A strategy's `warmup_bars` is built from these, so live trading keeps enough closed candles
before its first decision and the look-ahead check knows where values start. The numbers
equal TA-Lib's own lookback for the wrapped functions (tests compare them with
`talib.abstract.Function(...).lookback` and with the NaN count of real outputs).

Note: EMA, RSI, ATR and ADX are recursive, so their value at a row still depends (less and
less) on where the series started. A fixed live look-back window should therefore hold several
times the warm-up (`settle_bars`) to agree with a backtest over all history to many digits.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from coinpilot.domain.timeframe import Timeframe

WARMUP: dict[str, Callable[..., int]] = {
    "sma": lambda period: period - 1,
    "ema": lambda period: period - 1,
    "rsi": lambda period=14: period,
    "macd": lambda fast=12, slow=26, signal=9: (max(fast, slow) - 1) + (signal - 1),
    "bollinger": lambda period=20: period - 1,
    "atr": lambda period=14: period,
    "adx": lambda period=14: 2 * period - 1,
    "plus_di": lambda period=14: period,
    "minus_di": lambda period=14: period,
    # RSI lookback + stochastic window − 1 + K's SMA − 1 + D's SMA − 1
    "stoch_rsi_k": lambda rsi_period=14, stoch_period=14, k_smooth=3: rsi_period + stoch_period - 1 + k_smooth - 1,
    "stoch_rsi_d": lambda rsi_period=14, stoch_period=14, k_smooth=3, d_smooth=3: (
        rsi_period + stoch_period - 1 + k_smooth - 1 + d_smooth - 1
    ),
    "obv": lambda: 0,
    "rolling_max": lambda period: period - 1,
    "rolling_min": lambda period: period - 1,
    "roc_ratio": lambda period: period,
    "volume_ratio": lambda period=20: period - 1,
    "rolling_zscore": lambda window, min_periods=None: (window if min_periods is None else min_periods) - 1,
    "volatility_frac": lambda window=20: window,
    "log_returns": lambda: 1,
}


def warmup(name: str, **params: int) -> int:
    """Leading NaN rows of indicator `name` with these parameters."""
    try:
        rule = WARMUP[name]
    except KeyError:
        raise KeyError(f"no warm-up rule for indicator {name!r}; known: {', '.join(sorted(WARMUP))}") from None
    return int(rule(**params))


def settle_bars(name: str, factor: int = 5, **params: int) -> int:
    """A look-back long enough for a recursive indicator to forget its seed (warm-up × factor)."""
    return max(1, warmup(name, **params)) * factor


def in_primary_bars(bars: int, other: Timeframe | str, primary: Timeframe | str) -> int:
    """Convert a count of `other`-timeframe candles into primary candles (rounded up).

    An informative 1h EMA200 needs 200 hourly candles, i.e. 800 bars of a 15m strategy.
    """
    o = Timeframe.parse(other)
    p = Timeframe.parse(primary)
    return math.ceil(bars * o.ms / p.ms)
