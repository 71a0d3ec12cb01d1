"""Order-management settings: entry policy, brackets and in-trade management."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class PartialTarget(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    fraction: float = Field(gt=0, lt=1, description="share of the position closed at this target")
    r_multiple: float = Field(gt=0, description="target distance in multiples of the stop distance")


class ExecutionConfig(BaseModel):
    """How approved intents become orders and how open positions are kept safe.

    Entry 'market' sends a market order. Entry 'limit' is W15: a passive limit at the signal
    price, re-priced to the latest close every `limit_ttl_bars` up to `limit_max_reprices`
    times, never further than `limit_max_slippage_bps` from the first price, then (if
    `limit_market_fallback`) a market order. Brackets are placed after the entry fills, for the
    filled quantity (W16/C31), retried `bracket_retries` times; if the stop still cannot be
    placed the position is closed at market (C32 emergency close).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    entry: Literal["market", "limit"] = "market"
    limit_ttl_bars: int = Field(1, ge=1)
    limit_max_reprices: int = Field(3, ge=0)
    limit_max_slippage_bps: float = Field(5.0, ge=0)
    limit_market_fallback: bool = True
    take_profit: Literal["market", "limit"] = "market"
    bracket_retries: int = Field(3, ge=1)
    emergency_close: bool = True
    break_even_at_r: float | None = Field(None, gt=0, description="move the stop to entry at this R")
    trailing_callback_pct: float | None = Field(None, gt=0, le=10)
    partial_targets: list[PartialTarget] = Field(default_factory=list)
    on_opposite_signal: Literal["ignore", "reverse", "close"] = "ignore"
    round_levels: bool = True
