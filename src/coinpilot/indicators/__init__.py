"""indicators layer: TA-Lib wrappers plus the few indicators TA-Lib lacks (see docs/architecture.md).

Contract: float64 numpy in and out, one value per input row, NaN during warm-up (lengths in
`warmup.WARMUP`). Comparisons of two indicators go through `compare` (tie tolerance).
NaN is never filled here: a model input layer decides how to fill it (P47: NaN warm-up rows
reached ONNX and blocked every signal), and a filled value would hide that a window is short.
"""

from coinpilot.indicators.compare import (
    crosses,
    crosses_above,
    crosses_below,
    ge,
    gt,
    le,
    lt,
    shift,
)
from coinpilot.indicators.extra import (
    bb_width,
    log_returns,
    percent_b,
    rolling_zscore,
    safe_div,
    true_range_frac,
    volatility_frac,
    volume_ratio,
)
from coinpilot.indicators.orderbook import imbalance, spread_bps
from coinpilot.indicators.ta import (
    adx,
    atr,
    bollinger,
    ema,
    macd,
    minus_di,
    obv,
    plus_di,
    roc_ratio,
    rolling_max,
    rolling_min,
    rsi,
    sma,
    stoch_rsi,
)
from coinpilot.indicators.warmup import WARMUP, in_primary_bars, settle_bars, warmup

__all__ = [
    "WARMUP",
    "adx",
    "atr",
    "bb_width",
    "bollinger",
    "crosses",
    "crosses_above",
    "crosses_below",
    "ema",
    "ge",
    "gt",
    "imbalance",
    "in_primary_bars",
    "le",
    "log_returns",
    "lt",
    "macd",
    "minus_di",
    "obv",
    "percent_b",
    "plus_di",
    "roc_ratio",
    "rolling_max",
    "rolling_min",
    "rolling_zscore",
    "rsi",
    "safe_div",
    "settle_bars",
    "shift",
    "sma",
    "spread_bps",
    "stoch_rsi",
    "true_range_frac",
    "volatility_frac",
    "volume_ratio",
    "warmup",
]
