"""strategies layer: the strategy contract, built-in strategies, registry, loader, look-ahead check.

Importing this package registers every built-in strategy, so `registry.names()` lists them.
"""

from coinpilot.strategies import (  # noqa: F401  (imported to register the built-ins)
    c_mtf_pullback,
    c_score,
    ref_ema_cross,
    u_combined,
    u_dual_momentum,
    u_rsi,
    u_volatility_breakout,
    w_atr_rule,
)
from coinpilot.strategies.base import (
    SIGNAL_COLUMNS,
    MarketData,
    Strategy,
    StrategyParams,
    empty_signals,
    validate_prepared,
)
from coinpilot.strategies.registry import create, get, names, register

BUILTIN_STRATEGIES = (
    "ref_ema_cross",
    "c_score",
    "c_mtf_pullback",
    "u_volatility_breakout",
    "u_dual_momentum",
    "u_rsi",
    "u_combined",
    "w_atr_rule",
)

__all__ = [
    "BUILTIN_STRATEGIES",
    "SIGNAL_COLUMNS",
    "MarketData",
    "Strategy",
    "StrategyParams",
    "create",
    "empty_signals",
    "get",
    "names",
    "register",
    "validate_prepared",
]
