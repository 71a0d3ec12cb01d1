"""Account, loss and exposure limits (C26, C27, A12, A13, A16, A17, F16) as verdicts.

Each check reads the persisted RiskState and the account snapshot and answers pass/fail with
a reason; none of them mutates state (the manager does, in one place), so the order in which
the manager consults them cannot change the outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

import pandas as pd

from coinpilot.domain.enums import Side
from coinpilot.risk.config import FundingBlackoutConfig, LossLimitConfig, PositionLimitConfig
from coinpilot.risk.policy import lift_text
from coinpilot.risk.state import RiskState, pair_key
from coinpilot.risk.types import GateVerdict, MarketView, PositionView, Rule


# ----- account halts -------------------------------------------------------------------------
def check_circuit_breaker(state: RiskState, today: date, cfg: LossLimitConfig) -> GateVerdict:
    name = Rule.CIRCUIT_BREAKER.value
    if cfg.circuit_breaker_loss is None:
        return GateVerdict.na(name, "off")
    if state.circuit_breaker_day == today:
        return GateVerdict.fail(
            name,
            f"circuit breaker tripped today ({today}): equity fell "
            f"{cfg.circuit_breaker_loss:.2%} below the day's start; entries resume at 00:00 UTC",
        )
    return GateVerdict.ok(name, "not tripped today")


def drawdown_lift_text(state: RiskState, cfg: LossLimitConfig, *, live: bool) -> str:
    return lift_text(
        state.drawdown_halted_at, cfg.drawdown_reset_after, "risk.losses.drawdown_reset_after",
        live=live, operator_hint="call reset_drawdown_stop() once the cause is understood",
    )


def check_drawdown(state: RiskState, cfg: LossLimitConfig, *, live: bool = True) -> GateVerdict:
    name = Rule.DRAWDOWN.value
    if cfg.max_drawdown is None:
        return GateVerdict.na(name, "off")
    if state.drawdown_halted:
        return GateVerdict.fail(
            name, f"{state.drawdown_reason}; {drawdown_lift_text(state, cfg, live=live)}"
        )
    return GateVerdict.ok(name, f"peak equity {state.peak_equity}")


def check_daily_loss(state: RiskState, base_balance: Decimal, cfg: LossLimitConfig) -> GateVerdict:
    """C27: realised loss today / base balance >= limit blocks entries (base <= 0: allow)."""
    name = Rule.DAILY_LOSS.value
    if cfg.daily_loss_limit is None:
        return GateVerdict.na(name, "off")
    base, pnl = base_balance, state.daily_realized
    if base <= 0:
        return GateVerdict.na(name, f"n/a: base balance {base} <= 0")
    if pnl < 0 and -pnl / base >= Decimal(str(cfg.daily_loss_limit)):
        return GateVerdict.fail(
            name,
            f"realised PnL today {pnl} is {-pnl / base:.2%} of base balance {base} "
            f">= {cfg.daily_loss_limit:.2%}; entries resume at 00:00 UTC",
        )
    return GateVerdict.ok(name, f"realised PnL today {pnl}")


def check_daily_loss_amount(state: RiskState, cfg: LossLimitConfig) -> GateVerdict:
    name = Rule.DAILY_LOSS_AMOUNT.value
    if cfg.daily_loss_amount is None:
        return GateVerdict.na(name, "off")
    if -state.daily_realized >= cfg.daily_loss_amount:
        return GateVerdict.fail(
            name,
            f"realised loss today {-state.daily_realized} >= {cfg.daily_loss_amount}; "
            "entries resume at 00:00 UTC",
        )
    return GateVerdict.ok(name, f"realised PnL today {state.daily_realized}")


def check_strategy_loss(state: RiskState, strategy: str, cfg: LossLimitConfig) -> GateVerdict:
    name = Rule.STRATEGY_LOSS.value
    if cfg.strategy_loss_limit is None:
        return GateVerdict.na(name, "off")
    book = state.daily_by_strategy if cfg.strategy_loss_window == "day" else state.total_by_strategy
    pnl = book.get(strategy, Decimal(0))
    if -pnl >= cfg.strategy_loss_limit:
        when = (
            "entries resume at 00:00 UTC"
            if cfg.strategy_loss_window == "day"
            else "reset_strategy_loss() resumes"
        )
        return GateVerdict.fail(
            name,
            f"strategy {strategy!r} lost {-pnl} ({cfg.strategy_loss_window}) "
            f">= {cfg.strategy_loss_limit}; {when}",
        )
    return GateVerdict.ok(name, f"strategy {strategy!r} PnL {pnl} ({cfg.strategy_loss_window})")


def consecutive_lift_text(
    halted_at: datetime | None, strategy: str, symbol: str, cfg: LossLimitConfig, *, live: bool
) -> str:
    return lift_text(
        halted_at, cfg.consecutive_reset_after, "risk.losses.consecutive_reset_after",
        live=live,
        operator_hint=f"call reset_consecutive_losses({strategy!r}, {symbol!r}) to resume",
    )


def check_consecutive_losses(
    state: RiskState, strategy: str, symbol: str, cfg: LossLimitConfig, *, live: bool = True
) -> GateVerdict:
    name = Rule.CONSECUTIVE_LOSSES.value
    if cfg.max_consecutive_losses is None:
        return GateVerdict.na(name, "off")
    record = state.pairs.get(pair_key(strategy, symbol))
    if record is not None and record.halted:
        lift = consecutive_lift_text(record.halted_at, strategy, symbol, cfg, live=live)
        return GateVerdict.fail(
            name,
            f"{strategy} on {symbol} halted after {record.consecutive_losses} losses in a "
            f"row; {lift}",
        )
    streak = 0 if record is None else record.consecutive_losses
    return GateVerdict.ok(name, f"{streak} losses in a row")


# ----- funding blackout ----------------------------------------------------------------------
def funding_times_near(now: pd.Timestamp, market: MarketView, cfg: FundingBlackoutConfig) -> list[int]:
    """Funding times (epoch ns) that can fall within the window of `now`: the reported next
    one and the previous one (next − interval), else the configured UTC schedule around
    `now`. Integers: this runs for every signal, and Timestamp arithmetic costs µs."""
    if market.next_funding_time is not None:
        nxt = market.next_funding_time.value
        return [nxt - _hours_ns(cfg.interval_hours), nxt]
    day = now.tz_convert("UTC").normalize()
    return [(day + pd.Timedelta(days=d, hours=h)).value for d in (-1, 0, 1) for h in cfg.funding_hours_utc]


@lru_cache(maxsize=64)
def _hours_ns(hours: float) -> int:
    return int(pd.Timedelta(hours=hours).value)


@lru_cache(maxsize=64)
def _window_ns(minutes: float) -> int:
    return int(pd.Timedelta(minutes=minutes).value)


def check_funding_blackout(
    now: pd.Timestamp, market: MarketView, cfg: FundingBlackoutConfig
) -> GateVerdict:
    """A17: no new entries within ±window of a funding time (none on spot markets)."""
    name = Rule.FUNDING_BLACKOUT.value
    if not cfg.enabled:
        return GateVerdict.na(name, "off")
    if not market.has_funding:
        return GateVerdict.na(name, "n/a: no funding on this market")
    window, at = _window_ns(cfg.window_minutes), now.value
    for t in funding_times_near(now, market, cfg):
        if abs(at - t) <= window:
            return GateVerdict.fail(
                name, f"{now} is within {cfg.window_minutes:g} min of funding at {pd.Timestamp(t, tz='UTC')}"
            )
    return GateVerdict.ok(name, "outside funding windows")


# ----- positions and exposure ----------------------------------------------------------------
def check_positions(
    symbol: str, side: Side, positions: Sequence[PositionView], cfg: PositionLimitConfig
) -> list[GateVerdict]:
    """C26: one position per symbol, at most N positions, at most M on one side.

    `positions` includes entries approved but not yet filled, so two intents in the same
    bar cannot both take the last slot.
    """
    verdicts = []
    name = Rule.ONE_PER_SYMBOL.value
    if not cfg.one_per_symbol:
        verdicts.append(GateVerdict.na(name, "off"))
    elif any(p.symbol == symbol for p in positions):
        verdicts.append(GateVerdict.fail(name, f"{symbol} already has an open or pending position"))
    else:
        verdicts.append(GateVerdict.ok(name, f"no position on {symbol}"))

    name = Rule.MAX_POSITIONS.value
    if cfg.max_positions is None:
        verdicts.append(GateVerdict.na(name, "off"))
    elif len(positions) >= cfg.max_positions:
        verdicts.append(
            GateVerdict.fail(name, f"{len(positions)} positions open >= max {cfg.max_positions}")
        )
    else:
        verdicts.append(GateVerdict.ok(name, f"{len(positions)} of {cfg.max_positions}"))

    name = Rule.MAX_SAME_DIRECTION.value
    same = sum(1 for p in positions if p.side is side)
    if cfg.max_same_direction is None:
        verdicts.append(GateVerdict.na(name, "off"))
    elif same >= cfg.max_same_direction:
        verdicts.append(
            GateVerdict.fail(name, f"{same} {side.value} positions >= max {cfg.max_same_direction}")
        )
    else:
        verdicts.append(GateVerdict.ok(name, f"{same} {side.value} of {cfg.max_same_direction}"))
    return verdicts


def check_opened_today(state: RiskState, cfg: PositionLimitConfig) -> GateVerdict:
    name = Rule.DAILY_OPENED.value
    if cfg.max_opened_per_day is None:
        return GateVerdict.na(name, "off")
    if state.opened_today >= cfg.max_opened_per_day:
        return GateVerdict.fail(
            name, f"{state.opened_today} entries today >= max {cfg.max_opened_per_day}"
        )
    return GateVerdict.ok(name, f"{state.opened_today} of {cfg.max_opened_per_day} today")


def check_symbol_exposure(
    symbol: str, new_notional: Decimal, positions: Sequence[PositionView], cfg: PositionLimitConfig
) -> GateVerdict:
    name = Rule.SYMBOL_EXPOSURE.value
    if cfg.max_symbol_exposure is None:
        return GateVerdict.na(name, "off")
    held = sum((p.notional for p in positions if p.symbol == symbol), Decimal(0))
    total = held + new_notional
    if total > cfg.max_symbol_exposure:
        return GateVerdict.fail(
            name,
            f"{symbol} exposure {held} + {new_notional} = {total} > max {cfg.max_symbol_exposure}",
        )
    return GateVerdict.ok(name, f"{symbol} exposure {total} <= {cfg.max_symbol_exposure}")
