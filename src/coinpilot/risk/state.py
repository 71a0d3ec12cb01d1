"""Everything the risk manager must remember across a restart, and its JSON form.

Why persisted: a restart at 14:00 must not forget that the day already lost 4 % (C27), that a
symbol's kill switch fired (C40) or that a strategy is halted after five losses (A16). The lead
stores `RiskState.to_dict()` in the `kill_switch_state` table and hands it back at start.

P95: the state is tagged with its scope (live, testnet, paper, backtest); loading a state of
another scope is refused, so testnet trades can never trip the live kill switch.
P94: only the tail of each symbol's trade history is kept (the kill switch needs no more), so
both the stored record and the restore stay small whatever the trade count.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from coinpilot.domain.errors import ConfigError, DataError

STATE_VERSION = 1
ZERO = Decimal(0)


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KillRecord(_Record):
    """C40 state of one symbol: net PnL of its last trades (oldest first) and the kill flag."""

    history: list[Decimal] = Field(default_factory=list)
    killed: bool = False
    reason: str = ""
    killed_at: datetime | None = None


class PairRecord(_Record):
    """A16 state of one (strategy, symbol): current losing streak and its halt."""

    consecutive_losses: int = 0
    halted: bool = False
    halted_at: datetime | None = None


class RiskState(_Record):
    scope: str
    version: int = STATE_VERSION
    day: date | None = None  # the UTC day the daily counters belong to
    daily_realized: Decimal = ZERO
    daily_by_strategy: dict[str, Decimal] = Field(default_factory=dict)
    daily_by_symbol: dict[str, Decimal] = Field(default_factory=dict)
    total_by_strategy: dict[str, Decimal] = Field(default_factory=dict)
    opened_today: int = 0
    day_start_equity: Decimal | None = None
    peak_equity: Decimal | None = None
    circuit_breaker_day: date | None = None  # F16 tripped on this day (halt lasts the day)
    drawdown_halted: bool = False
    drawdown_reason: str = ""
    drawdown_halted_at: datetime | None = None
    pairs: dict[str, PairRecord] = Field(default_factory=dict)  # key "strategy|symbol"
    kill_switch: dict[str, KillRecord] = Field(default_factory=dict)  # key symbol

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe (Decimals as strings, dates ISO) so any store can keep it verbatim."""
        return self.model_dump(mode="json")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, scope: str, history_length: int) -> RiskState:
        """Validate a stored state for `scope`, keeping only the last `history_length` trades
        per symbol (P94).

        Raises ConfigError when the state belongs to another scope (P95) and DataError when it
        is malformed (the message names the field; delete the row to start clean).
        """
        stored_scope = data.get("scope")
        if stored_scope != scope:
            raise ConfigError(
                f"risk state belongs to scope {stored_scope!r} but this run is {scope!r}: "
                "testnet and live histories are kept apart (P95); load the state of this scope"
            )
        try:
            state = cls.model_validate(dict(data))
        except ValidationError as exc:
            raise DataError(f"stored risk state for scope {scope!r} is malformed: {exc}") from None
        if state.version != STATE_VERSION:
            raise DataError(
                f"stored risk state has version {state.version}, this coinpilot reads "
                f"{STATE_VERSION}; reset the kill_switch_state row for scope {scope!r}"
            )
        for record in state.kill_switch.values():
            del record.history[:-history_length]
        return state


def pair_key(strategy: str, symbol: str) -> str:
    return f"{strategy}|{symbol}"
