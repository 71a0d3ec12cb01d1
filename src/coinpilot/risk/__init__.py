"""risk layer (see docs/architecture.md): gates, sizing, loss limits, kill switch, circuit breaker.

The engine talks to `RiskManager` only; the other names are the types it exchanges.
"""

from coinpilot.risk.config import RiskConfig, SizingConfig
from coinpilot.risk.manager import RiskManager
from coinpilot.risk.types import (
    AccountView,
    CloseAll,
    EventKind,
    GateVerdict,
    MarketView,
    PositionView,
    Rejection,
    RiskAction,
    RiskDecision,
    RiskEvent,
    RiskInputError,
    Rule,
)

__all__ = [
    "AccountView",
    "CloseAll",
    "EventKind",
    "GateVerdict",
    "MarketView",
    "PositionView",
    "Rejection",
    "RiskAction",
    "RiskConfig",
    "RiskDecision",
    "RiskEvent",
    "RiskInputError",
    "RiskManager",
    "Rule",
    "SizingConfig",
]
