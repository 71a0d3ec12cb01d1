"""The risk books: day rollover, trade booking and equity watch, the only writers of RiskState.

Kept apart from the checks (limits.py) so that "what happened" and "is it allowed" cannot
drift: checks read what these functions wrote. All functions are synchronous and never
await, so within one asyncio loop no two updates interleave (P08 needed locks because the
seed's updates awaited midway; here only the entry sequence spans awaits, see manager).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pandas as pd

from coinpilot.domain.trade import Trade
from coinpilot.risk import killswitch
from coinpilot.risk.config import RiskConfig
from coinpilot.risk.state import PairRecord, RiskState, pair_key
from coinpilot.risk.types import AccountView, CloseAll, EventKind, RiskAction, RiskEvent, Rule

ZERO = Decimal(0)


@dataclass
class Outcome:
    """What a bookkeeping step asks of the engine and tells the world."""

    actions: list[RiskAction] = field(default_factory=list)
    events: list[RiskEvent] = field(default_factory=list)


NS_PER_DAY = 86_400_000_000_000
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def utc_day(t: pd.Timestamp) -> date:
    """The UTC calendar day of an aware instant. `value` is UTC nanoseconds whatever the
    zone, so the day is plain integer arithmetic (tz_convert costs ~1 µs, and this runs
    several times per trade); a naive time still fails as tz_convert would make it."""
    if t.tzinfo is None:
        return t.tz_convert("UTC").date()  # raises: a naive time has no UTC day
    return date.fromordinal(EPOCH_ORDINAL + t.value // NS_PER_DAY)


def roll_day(state: RiskState, now: pd.Timestamp) -> bool:
    """Start a new UTC day when `now` is past the state's day (P10: midnight reset).

    Resets every daily counter; the F16 halt lapses because it is tied to its day. A time
    before the current day (a late report) never rolls back. Returns True on a rollover.
    """
    today = utc_day(now)
    if state.day is None:
        state.day = today
        return False
    if today <= state.day:
        return False
    state.day = today
    state.daily_realized = ZERO
    state.daily_by_strategy.clear()
    state.daily_by_symbol.clear()
    state.opened_today = 0
    state.day_start_equity = None  # set by the first equity seen in the new day
    return True


def book_trade(state: RiskState, trade: Trade, cfg: RiskConfig) -> Outcome:
    """Record one closed trade in every book that a rule reads."""
    out = Outcome()
    net = trade.net_pnl
    when = trade.exit_time
    if state.day is not None and utc_day(when) == state.day:
        state.daily_realized += net
        state.daily_by_strategy[trade.strategy] = (
            state.daily_by_strategy.get(trade.strategy, ZERO) + net
        )
        state.daily_by_symbol[trade.symbol] = state.daily_by_symbol.get(trade.symbol, ZERO) + net
    state.total_by_strategy[trade.strategy] = (
        state.total_by_strategy.get(trade.strategy, ZERO) + net
    )

    key = pair_key(trade.strategy, trade.symbol)
    pair = state.pairs.get(key)
    if pair is None:  # not setdefault: that would build a PairRecord model for every trade
        pair = state.pairs[key] = PairRecord()
    if net < 0:
        pair.consecutive_losses += 1
        limit = cfg.losses.max_consecutive_losses
        if limit is not None and pair.consecutive_losses >= limit and not pair.halted:
            pair.halted, pair.halted_at = True, when.to_pydatetime()
            out.events.append(
                RiskEvent(
                    when,
                    EventKind.HALT,
                    Rule.CONSECUTIVE_LOSSES,
                    key,
                    f"{trade.strategy} on {trade.symbol} halted after {pair.consecutive_losses} "
                    "losses in a row",
                )
            )
    else:
        pair.consecutive_losses = 0  # a halt stays until its reset policy lifts it (A16)

    reason = killswitch.record_trade(state, trade.symbol, net, when, cfg.kill_switch)
    if reason is not None:
        out.events.append(
            RiskEvent(when, EventKind.KILL_SWITCH, Rule.KILL_SWITCH, trade.symbol, reason)
        )
    return out


def observe_equity(state: RiskState, account: AccountView, cfg: RiskConfig) -> Outcome:
    """Track the day's starting equity and the peak; trip F16 and the A13 drawdown stop."""
    out = Outcome()
    equity, now = account.equity, account.time
    if state.day_start_equity is None:
        state.day_start_equity = equity
    if state.peak_equity is None or equity > state.peak_equity:
        state.peak_equity = equity

    cb = cfg.losses.circuit_breaker_loss
    start = state.day_start_equity
    if cb is not None and state.circuit_breaker_day != state.day and start > 0:
        change = (equity - start) / start
        if change <= -Decimal(str(cb)):
            state.circuit_breaker_day = state.day
            reason = (
                f"circuit breaker: equity {equity} is {change:.2%} from the day's start {start} "
                f"(limit -{cb:.2%}); closing all positions, no entries until 00:00 UTC"
            )
            out.actions.append(CloseAll(now, Rule.CIRCUIT_BREAKER, reason))
            out.events.append(
                RiskEvent(now, EventKind.CLOSE_ALL, Rule.CIRCUIT_BREAKER, "account", reason)
            )

    dd = cfg.losses.max_drawdown
    peak = state.peak_equity
    if dd is not None and not state.drawdown_halted and peak > 0:
        drop = (peak - equity) / peak
        if drop >= Decimal(str(dd)):
            state.drawdown_halted, state.drawdown_halted_at = True, now.to_pydatetime()
            state.drawdown_reason = f"drawdown stop: equity {equity} is {drop:.2%} below its peak {peak} (limit {dd:.2%})"
            kind = EventKind.HALT
            if cfg.losses.drawdown_close_all:
                out.actions.append(CloseAll(now, Rule.DRAWDOWN, state.drawdown_reason))
                kind = EventKind.CLOSE_ALL
            out.events.append(RiskEvent(now, kind, Rule.DRAWDOWN, "account", state.drawdown_reason))
    return out
