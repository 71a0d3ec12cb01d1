"""Risk configuration (`Settings.risk`): every rule of the seeds, each one switchable.

Why one frozen, key-checked model: a typo in a risk limit must fail at start, never silently
leave a limit off. Fractions are written as fractions (0.05 = 5 %). A numeric limit set to
null turns that rule off; rules without a number carry an `enabled` flag. Defaults are the
seeds' numbers where a seed gives one (SPEC C26/C27/C29/C40, W11/W13, U12, F16, A16/A17
suggestions); limits the seeds name without a number (A12, A13 amount/drawdown) default to off.

Signal gates and sizing can be overridden per strategy (`strategies.<name>.gates/sizing`):
only the keys written in the override replace the global values (deep merge), so
`strategies: {llm: {gates: {horizon_minutes: 20}}}` keeps every other gate as configured.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from coinpilot.risk.policy import ResetPolicy


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GateConfig(_Section):
    """W11 signal gates. Probability is the *calibrated* one (W10): the gate only reads it."""

    min_probability: float | None = Field(
        default=0.60,
        ge=0,
        le=1,
        description="MIN_PROB; applies only to intents that carry a probability",
    )
    min_reward_risk: float | None = Field(
        default=1.20, gt=0, description="RR_MIN on the intent's levels"
    )
    relax_probability: float = Field(
        default=0.75,
        ge=0,
        le=1,
        description="PROB_RELAX_THRESHOLD: at or above it RR_MIN_HIGH_PROB applies",
    )
    relaxed_reward_risk: float = Field(default=1.05, gt=0, description="RR_MIN_HIGH_PROB")
    max_spread_bps: float | None = Field(
        default=4.0,
        gt=0,
        description="MAX_SPREAD_BPS (W: 2–4); unknown spread (backtest) is not checked",
    )
    horizon_minutes: float | None = Field(
        default=30.0,
        gt=0,
        description="HORIZON_MIN: reject TP farther than ATR × sqrt(horizon / ATR bar)",
    )
    atr_timeframe_minutes: float = Field(
        default=5.0,
        gt=0,
        description="bar length of intent.meta['atr'] unless meta['atr_timeframe'] says",
    )
    forecast_only: bool = Field(
        default=True,
        description=(
            "RR and horizon gates judge forecasts (intents with a probability, W11); rule "
            "strategies carry their own tuned SL/TP (e.g. C's 2.0/2.0 ATR, RR 1.0) and skip them"
        ),
    )

    @model_validator(mode="after")
    def _relaxed_is_lower(self) -> GateConfig:
        if self.min_reward_risk is not None and self.relaxed_reward_risk > self.min_reward_risk:
            raise ValueError(
                f"relaxed_reward_risk {self.relaxed_reward_risk} is above min_reward_risk "
                f"{self.min_reward_risk}: the high-probability minimum must relax, not tighten"
            )
        return self


class FixedNotionalConfig(_Section):
    notional: Decimal = Field(
        default=Decimal(100), gt=0, description="position notional in quote currency"
    )


class FixedRiskConfig(_Section):
    risk_amount: Decimal = Field(
        default=Decimal(100),
        gt=0,
        description="W13 RISK_USDT: loss at the stop; qty = risk / |entry − stop|",
    )


class DynamicMarginConfig(_Section):
    """C29: ratio = clamp(max − (share − base_share) × decay, min, max) of the per-symbol share."""

    max_ratio: float = Field(default=0.50, gt=0, le=1, description="MARGIN_MAX_RATIO")
    min_ratio: float = Field(default=0.20, gt=0, le=1, description="MARGIN_MIN_RATIO")
    decay: float = Field(
        default=0.0006, ge=0, description="MARGIN_DECAY_RATE per quote unit above base"
    )
    max_ratio_per_symbol: dict[str, float] = Field(
        default_factory=dict,
        description="MARGIN_MAX_RATIO_{SYMBOL}; a hard cap, even below min_ratio (SOL was 0.08)",
    )

    @field_validator("max_ratio_per_symbol")
    @classmethod
    def _upper_and_in_range(cls, value: dict[str, float]) -> dict[str, float]:
        for symbol, ratio in value.items():
            if not 0 < ratio <= 1:
                raise ValueError(f"max_ratio_per_symbol[{symbol}] = {ratio}: must be in (0, 1]")
        return {s.strip().upper(): r for s, r in value.items()}

    @model_validator(mode="after")
    def _min_not_above_max(self) -> DynamicMarginConfig:
        if self.min_ratio > self.max_ratio:
            raise ValueError(f"min_ratio {self.min_ratio} is above max_ratio {self.max_ratio}")
        return self


class BalanceFractionConfig(_Section):
    """Size from the balance: notional = current wallet balance × fraction.

    The current balance rather than the starting one, so positions shrink after losses and
    grow after gains as a bot sizing from its balance does. The wallet balance (deposits,
    closed PnL, fees, funding) and not equity: open positions' unrealised PnL would make the
    size depend on when the other symbols were last marked. Leverage does not multiply the
    notional: it only lowers the margin (notional / leverage) the position ties up, so 10 %
    at 5× is a position of 10 % of the balance holding 2 % of it as margin.
    """

    fraction: float = Field(
        default=0.10, gt=0, le=1, description="share of the wallet balance per position, as notional"
    )


class KellyConfig(_Section):
    """U12: f* = (W − (1 − W) / R) × fraction of the available balance; f* <= 0 means no trade."""

    win_rate: float = Field(default=0.65, gt=0, lt=1)
    payoff_ratio: float = Field(default=1.2, gt=0)
    fraction: float = Field(default=0.5, gt=0, le=1)


SizingMode = Literal["fixed_notional", "balance_fraction", "fixed_risk", "dynamic_margin", "kelly"]


class SizingConfig(_Section):
    mode: SizingMode = Field(
        default="balance_fraction",
        description=(
            "fixed_notional (the benchmark) | balance_fraction | fixed_risk | dynamic_margin | kelly"
        ),
    )
    fixed_notional: FixedNotionalConfig = Field(default_factory=FixedNotionalConfig)
    balance_fraction: BalanceFractionConfig = Field(default_factory=BalanceFractionConfig)
    fixed_risk: FixedRiskConfig = Field(default_factory=FixedRiskConfig)
    dynamic_margin: DynamicMarginConfig = Field(default_factory=DynamicMarginConfig)
    kelly: KellyConfig = Field(default_factory=KellyConfig)
    on_excess_leverage: Literal["reject", "reduce"] = Field(
        default="reject",
        description="leverage above the tier's max for the notional: reject, or size at the max",
    )


class PositionLimitConfig(_Section):
    """C26 registry limits and A12 per-symbol/day limits."""

    max_positions: int | None = Field(default=3, ge=1, description="open positions, all symbols")
    max_same_direction: int | None = Field(default=2, ge=1, description="MAX_SAME_DIRECTION")
    one_per_symbol: bool = Field(default=True, description="at most one open position per symbol")
    max_opened_per_day: int | None = Field(
        default=None, ge=1, description="A12: entries approved per UTC day"
    )
    max_symbol_exposure: Decimal | None = Field(
        default=None, gt=0, description="A12: open + new notional per symbol, quote currency"
    )


class LossLimitConfig(_Section):
    """Daily, per-strategy and account loss limits (C27, A12, A13, A16, F16)."""

    daily_loss_limit: float | None = Field(
        default=0.05,
        gt=0,
        lt=1,
        description="C27: realised loss today / base balance that halts entries",
    )
    daily_loss_amount: Decimal | None = Field(
        default=None,
        gt=0,
        description="A13: realised loss today (quote currency) that halts entries",
    )
    strategy_loss_limit: Decimal | None = Field(
        default=None, gt=0, description="A12: a strategy's realised loss that halts that strategy"
    )
    strategy_loss_window: Literal["day", "total"] = Field(
        default="day",
        description="whether the strategy loss resets at UTC midnight or needs a manual reset",
    )
    max_drawdown: float | None = Field(
        default=None,
        gt=0,
        lt=1,
        description="A13: equity drop from its peak that halts entries (see drawdown_reset_after)",
    )
    drawdown_reset_after: ResetPolicy = Field(
        default="manual",
        description=(
            "how the drawdown stop ends: a duration after it tripped (the peak is then re-based "
            "on the current equity), or manual; manual by default because whoever sets a "
            "drawdown stop wants a person to look before the account trades again"
        ),
    )
    drawdown_close_all: bool = Field(
        default=True, description="also close every position on a drawdown stop"
    )
    max_consecutive_losses: int | None = Field(
        default=5,
        ge=1,
        description="A16: losses in a row per (strategy, symbol) that halt that pair",
    )
    consecutive_reset_after: ResetPolicy = Field(
        default="24h",
        description=(
            "how the consecutive-loss halt ends: a duration after it tripped (the streak is "
            "cleared), or manual"
        ),
    )
    circuit_breaker_loss: float | None = Field(
        default=0.03,
        gt=0,
        lt=1,
        description="F16: equity loss since the day's start that closes all and halts for the day",
    )


class KillSwitchConfig(_Section):
    """C40 per-symbol kill switch (also in backtests: C42, P65), lifted as `reset_after` says."""

    enabled: bool = True
    fast_losses: int = Field(
        default=8, ge=1, description="kill when the last N trades were all net losses"
    )
    slow_window: int = Field(
        default=15, ge=1, description="kill when PF over the last N trades is below ..."
    )
    slow_min_profit_factor: float = Field(default=0.75, gt=0, description="... this profit factor")
    reset_after: ResetPolicy = Field(
        default="24h",
        description=(
            "how a kill ends: a duration after it fired (the symbol's trade history is cleared, "
            "as the operator's reset does), or manual (RESET_KILL_SWITCH_<SYMBOL> or a reset call)"
        ),
    )

    @property
    def history_length(self) -> int:
        """Trades kept per symbol: only this tail is needed, stored or read back (P94)."""
        return max(self.fast_losses, self.slow_window)


class FundingBlackoutConfig(_Section):
    """A17: no new entries from `window_minutes` before to after each funding time."""

    enabled: bool = True
    window_minutes: float = Field(default=5.0, gt=0)
    funding_hours_utc: tuple[int, ...] = Field(
        default=(0, 8, 16),
        description="schedule used when the market does not report nextFundingTime",
    )
    interval_hours: float = Field(
        default=8.0,
        gt=0,
        description="funding interval, to find the previous funding from the next one",
    )

    @field_validator("funding_hours_utc")
    @classmethod
    def _hours_valid(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        bad = [h for h in value if not 0 <= h <= 23]
        if bad:
            raise ValueError(f"funding_hours_utc has hours outside 0–23: {bad}")
        return tuple(sorted(set(value)))


class StrategyRiskConfig(_Section):
    """Per-strategy overrides: only the keys written here replace the global sections.

    Kept as plain mappings and validated merged (see RiskConfig), because an override on its
    own is not a complete section: `{min_reward_risk: 1.02}` is valid over a global
    `relaxed_reward_risk: 1.0` but not over the model default of 1.05.
    """

    gates: dict[str, Any] = Field(default_factory=dict)
    sizing: dict[str, Any] = Field(default_factory=dict)


class RiskConfig(_Section):
    """`Settings.risk`. See the module docstring for conventions."""

    enabled: bool = Field(
        default=True, description="false approves every entry (sizing still applies)"
    )
    gates: GateConfig = Field(default_factory=GateConfig)
    sizing: SizingConfig = Field(default_factory=SizingConfig)
    positions: PositionLimitConfig = Field(default_factory=PositionLimitConfig)
    losses: LossLimitConfig = Field(default_factory=LossLimitConfig)
    kill_switch: KillSwitchConfig = Field(default_factory=KillSwitchConfig)
    funding: FundingBlackoutConfig = Field(default_factory=FundingBlackoutConfig)
    strategies: dict[str, StrategyRiskConfig] = Field(default_factory=dict)

    @classmethod
    def permissive(cls, sizing: SizingConfig | None = None) -> RiskConfig:
        """Every rule off: for parity runs against peers that have no risk layer."""
        return cls(
            gates=GateConfig(
                min_probability=None,
                min_reward_risk=None,
                max_spread_bps=None,
                horizon_minutes=None,
            ),
            sizing=sizing or SizingConfig(),
            positions=PositionLimitConfig(
                max_positions=None, max_same_direction=None, one_per_symbol=False
            ),
            losses=LossLimitConfig(
                daily_loss_limit=None, max_consecutive_losses=None, circuit_breaker_loss=None
            ),
            kill_switch=KillSwitchConfig(enabled=False),
            funding=FundingBlackoutConfig(enabled=False),
        )

    @model_validator(mode="after")
    def _overrides_merge_cleanly(self) -> RiskConfig:
        for name in self.strategies:
            try:
                self.gates_for(name)
                self.sizing_for(name)
            except ValidationError as exc:
                raise ValueError(f"strategies.{name}: {exc}") from None
        return self

    def gates_for(self, strategy: str) -> GateConfig:
        """The gates of `strategy`: its override merged over the global section."""
        override = self.strategies.get(strategy)
        return self.gates if override is None else _merged(self.gates, override.gates)

    def sizing_for(self, strategy: str) -> SizingConfig:
        """The sizing of `strategy`: its override merged over the global section."""
        override = self.strategies.get(strategy)
        return self.sizing if override is None else _merged(self.sizing, override.sizing)


M = TypeVar("M", bound=BaseModel)


def _merged(base: M, override: dict[str, Any]) -> M:
    """`base` with only the keys the user wrote in `override` replaced (recursively)."""
    if not override:
        return base
    return type(base).model_validate(deep_merge(base.model_dump(), override))


def deep_merge(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with `top`'s keys laid over it, nested mappings merged key by key (so a user's
    partial section changes only the keys it names)."""
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out
