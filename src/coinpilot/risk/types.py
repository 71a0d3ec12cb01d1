"""What crosses the risk boundary: the engine's view of the account in, decisions and actions out.

The views are frozen snapshots the engine builds from its exchange (SimExchange or live) at the
moment of a decision, so the same risk code runs in backtest, paper and live (principle 1 of docs/architecture.md: one
engine, three clocks). Money is Decimal; the intent's research prices stay float.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from decimal import Decimal
from enum import StrEnum
from typing import Any

import pandas as pd

from coinpilot.domain.enums import Side
from coinpilot.domain.errors import CoinpilotError
from coinpilot.domain.filters import SymbolFilters
from coinpilot.domain.leverage import LeverageTiers
from coinpilot.domain.records import record


class RiskInputError(CoinpilotError, ValueError):
    """The engine handed the risk manager an impossible view (naive time, no market info...).

    This is a wiring bug, not a market condition: fix the caller named in the message.
    """


class Rule(StrEnum):
    """Every reason an entry can be refused. The value is what logs and the store record."""

    MARKET_DATA = "market_data"
    PROBABILITY = "min_probability"  # W11
    REWARD_RISK = "reward_risk"  # W11
    SPREAD = "max_spread"  # W11
    HORIZON = "horizon"  # W11
    CIRCUIT_BREAKER = "circuit_breaker"  # F16
    DRAWDOWN = "drawdown_stop"  # A13
    DAILY_LOSS = "daily_loss_limit"  # C27
    DAILY_LOSS_AMOUNT = "daily_loss_amount"  # A13
    KILL_SWITCH = "kill_switch"  # C40
    CONSECUTIVE_LOSSES = "consecutive_losses"  # A16
    STRATEGY_LOSS = "strategy_loss_limit"  # A12
    FUNDING_BLACKOUT = "funding_blackout"  # A17
    ONE_PER_SYMBOL = "one_per_symbol"  # C26
    MAX_POSITIONS = "max_positions"  # C26
    MAX_SAME_DIRECTION = "max_same_direction"  # C26
    DAILY_OPENED = "max_opened_per_day"  # A12
    SYMBOL_EXPOSURE = "max_symbol_exposure"  # A12
    SIZING = "sizing"  # the sizing mode cannot size this intent (no stop, Kelly <= 0 ...)
    QUANTITY = "quantity_filter"  # LOT_SIZE: floors to zero or below minQty
    MIN_NOTIONAL = "min_notional"  # C30, P104: the exchange filter's minimum
    MARGIN = "insufficient_margin"
    LEVERAGE = "leverage_tier"


@record
class PositionView:
    """One open position as the exchange reports it (qty absolute, direction in `side`)."""

    symbol: str
    side: Side
    qty: Decimal
    entry_price: Decimal
    notional: Decimal
    strategy: str
    opened_at: pd.Timestamp


@record
class MarketView:
    """What risk needs to know about one symbol right now.

    `filters`/`leverage_tiers` are the exchange's own rules (P104: never hard-coded); None
    means unknown (then quantities are not rounded and no tier is checked). `spread_bps` is
    None where no order book exists (backtests). `has_funding` is False for spot markets.
    """

    symbol: str
    last_price: Decimal
    filters: SymbolFilters | None = None
    leverage_tiers: LeverageTiers | None = None
    spread_bps: float | None = None
    next_funding_time: pd.Timestamp | None = None
    has_funding: bool = True


@record
class AccountView:
    """The account at decision time.

    - `available_balance`: free margin (futures) or free quote currency (spot).
    - `base_balance`: the initial balance set once at start (P09); C27 and C29 measure
      against it.
    - `n_symbols`: how many symbols the account trades, for the per-symbol share (C29/C30).
    - `leverage`: the configured leverage (1 for spot).
    - `markets`: a mapping (a dict or any lazy Mapping) from symbol to MarketView.
    """

    time: pd.Timestamp
    equity: Decimal
    wallet_balance: Decimal
    available_balance: Decimal
    base_balance: Decimal
    positions: tuple[PositionView, ...] = ()
    n_symbols: int = 1
    leverage: int = 1
    markets: Mapping[str, MarketView] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.time, pd.Timestamp) or self.time.tzinfo is None:
            raise RiskInputError(
                f"AccountView.time must be a tz-aware UTC pd.Timestamp, got {self.time!r}"
            )
        if self.n_symbols < 1:
            raise RiskInputError(f"AccountView.n_symbols must be >= 1, got {self.n_symbols}")
        if self.leverage < 1:
            raise RiskInputError(f"AccountView.leverage must be >= 1, got {self.leverage}")


@record
class GateVerdict:
    """One rule's answer. `skipped` marks a rule that is off or had nothing to judge ('n/a')."""

    name: str
    passed: bool
    detail: str = ""
    skipped: bool = False

    @classmethod
    def ok(cls, name: str, detail: str = "") -> GateVerdict:
        return cls(name, True, detail)

    @classmethod
    def fail(cls, name: str, detail: str) -> GateVerdict:
        return cls(name, False, detail)

    @classmethod
    def na(cls, name: str, detail: str = "n/a") -> GateVerdict:
        return cls(name, True, detail, skipped=True)


@record
class RiskDecision:
    """The answer to one intent. When approved, `qty` is already floored to the symbol's step.

    A rejection carries the first failing `rule` and a human `reason`; `verdicts` lists every
    rule that was consulted, so a decision can be audited after the fact.
    """

    approved: bool
    symbol: str
    strategy: str
    side: Side
    time: pd.Timestamp
    qty: Decimal | None = None
    notional: Decimal | None = None
    leverage: int | None = None
    price: Decimal | None = None  # the price the size was computed at
    margin: Decimal | None = None
    sizing_mode: str | None = None
    rule: Rule | None = None
    reason: str = ""
    verdicts: tuple[GateVerdict, ...] = ()

    def as_row(self) -> dict[str, Any]:
        """Plain values for a log line or a store row."""
        return {
            "time": self.time,
            "symbol": self.symbol,
            "strategy": self.strategy,
            "side": self.side.value,
            "approved": self.approved,
            "qty": None if self.qty is None else str(self.qty),
            "notional": None if self.notional is None else str(self.notional),
            "leverage": self.leverage,
            "sizing_mode": self.sizing_mode,
            "rule": None if self.rule is None else self.rule.value,
            "reason": self.reason,
            "verdicts": [
                {"name": v.name, "passed": v.passed, "skipped": v.skipped, "detail": v.detail}
                for v in self.verdicts
            ],
        }


@record
class Rejection:
    """One refused entry, as the engine writes it to the store and the backtest report."""

    time: pd.Timestamp
    symbol: str
    strategy: str
    side: Side
    rule: Rule
    reason: str

    def as_row(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "symbol": self.symbol,
            "strategy": self.strategy,
            "side": self.side.value,
            "rule": self.rule.value,
            "reason": self.reason,
        }


@record
class CloseAll:
    """An order to the engine: close every open position now (reduce-only, market)."""

    time: pd.Timestamp
    rule: Rule
    reason: str


RiskAction = CloseAll


class EventKind(StrEnum):
    KILL_SWITCH = "kill_switch_triggered"
    HALT = "halt"  # a loss limit started blocking entries
    CLOSE_ALL = "close_all"
    RESET = "reset"  # an operator lifted a halt or kill switch
    DAY_ROLLOVER = "day_rollover"


@record
class RiskEvent:
    """A state change for the store, the API and the notifier (C40: alert on a kill)."""

    time: pd.Timestamp
    kind: EventKind
    rule: Rule | None
    key: str  # what it applies to: a symbol, "strategy|symbol", a strategy or "account"
    detail: str
