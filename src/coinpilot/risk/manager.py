"""The risk manager: one object between strategies and execution, the same in every mode.

The engine calls, per account:
- `evaluate(intent, account)` for every intent. ENTER intents go through every rule and are
  sized; EXIT intents are always approved (P102: no halt or kill switch may keep a position
  open). Every refusal is kept in `rejections` with its rule and reason.
- `on_account(account)` whenever it has a fresh account snapshot (each bar in a backtest):
  day rollover, the day's starting equity, the peak, the circuit breaker and drawdown stop.
- `on_trade_closed(trade)` once per closed trade (daily PnL, streaks, kill switch).
- `pending_actions()` after each of those, to carry out CloseAll orders.
- `entry_failed(symbol)` when an approved entry was not placed or never filled.
- `on_time(now)` as the clock moves: the UTC day roll, and the halts whose reset policy
  (`kill_switch.reset_after`, `losses.consecutive_reset_after`, `losses.drawdown_reset_after`)
  lifts them, the same in a backtest and in operation.

Every halt is kept as a `HaltPeriod` (`halts`): opened when its rule trips, closed when it
lifts (policy, UTC midnight, or an operator's reset), counting the entries it refused, so a
result can show how long each rule kept a strategy idle.

C28/P07: the engine holds `entry_lock` across read balance → evaluate → place order, so two
bots never size from the same free balance. Within one bar an approved entry also reserves its
slot and margin until the account shows the position, so a second intent evaluated before the
fill (a backtest filling at the next open) sees them taken.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import pandas as pd

from coinpilot.domain.enums import IntentAction, Side
from coinpilot.domain.intent import Intent
from coinpilot.domain.trade import Trade
from coinpilot.obs.logging import get_logger
from coinpilot.risk import gates, killswitch, limits
from coinpilot.risk.config import RiskConfig
from coinpilot.risk.halts import HaltPeriod
from coinpilot.risk.ledger import (
    EPOCH_ORDINAL,
    NS_PER_DAY,
    Outcome,
    book_trade,
    observe_equity,
    roll_day,
)
from coinpilot.risk.policy import resume_time, utc_text
from coinpilot.risk.reservations import PendingEntries, Reservation, held_qty
from coinpilot.risk.sizing import SizedEntry, SizingInputs, size_entry
from coinpilot.risk.state import KillRecord, RiskState, pair_key
from coinpilot.risk.types import (
    AccountView,
    EventKind,
    GateVerdict,
    MarketView,
    PositionView,
    Rejection,
    RiskAction,
    RiskDecision,
    RiskEvent,
    Rule,
)

_log = get_logger("coinpilot.risk")
# halts that only show up when an entry is refused: announced once per day and key
_ANNOUNCED_RULES = {Rule.DAILY_LOSS, Rule.DAILY_LOSS_AMOUNT, Rule.STRATEGY_LOSS}
# rules that stop entries for a while (a HaltPeriod each), and those the UTC day roll lifts
_HALT_RULES = {
    Rule.CIRCUIT_BREAKER, Rule.DRAWDOWN, Rule.DAILY_LOSS, Rule.DAILY_LOSS_AMOUNT,
    Rule.KILL_SWITCH, Rule.CONSECUTIVE_LOSSES, Rule.STRATEGY_LOSS,
}
_DAY_RULES = {Rule.CIRCUIT_BREAKER, Rule.DAILY_LOSS, Rule.DAILY_LOSS_AMOUNT}
_HALT_EVENTS = {EventKind.HALT, EventKind.KILL_SWITCH, EventKind.CLOSE_ALL}


class RiskManager:
    """Gates, limits, kill switch and sizing for one account. See the module docstring."""

    def __init__(
        self,
        config: RiskConfig | None = None,
        *,
        scope: str = "backtest",
        state: Mapping[str, Any] | None = None,
    ) -> None:
        self.config = config or RiskConfig()
        self.scope = scope
        # operator hints (environment variable, reset call) only where an operator exists
        self._live = scope != "backtest"
        self._halts: list[HaltPeriod] = []
        self._open_halts: dict[tuple[Rule, str], HaltPeriod] = {}
        self._next_lift: int | None = None  # epoch ns of the earliest policy lift, if any
        self._base_balance: Any = None  # the last account's base balance (C27 at booking)
        self.state = RiskState(scope=scope)
        if state is not None:
            self.restore_state(state)
        self._pending = PendingEntries()
        self._actions: list[RiskAction] = []
        self._events: list[RiskEvent] = []
        self._rejections: list[Rejection] = []
        self._announced: set[tuple[object, Rule, str]] = set()
        self._entry_lock: asyncio.Lock | None = None
        # (state, its day, day start ns, next day start ns): see on_time
        self._day_span: tuple[RiskState, object, int, int] | None = None

    # ----- the entry path --------------------------------------------------------------------
    @property
    def entry_lock(self) -> asyncio.Lock:
        """Hold across read balance → evaluate → place order (C28, P07)."""
        if self._entry_lock is None:
            self._entry_lock = asyncio.Lock()
        return self._entry_lock

    def evaluate(self, intent: Intent, account: AccountView) -> RiskDecision:
        """Approve and size an ENTER intent, or refuse it with the first failing rule."""
        if intent.action is IntentAction.EXIT:
            never = (GateVerdict.ok("exit", "closing is never blocked (P102)"),)
            return RiskDecision(True, *_who(intent), account.time, verdicts=never)
        self.on_account(account)
        market = account.markets.get(intent.symbol)
        if market is None:
            reason = f"no market info for {intent.symbol} in the account view (engine wiring)"
            return self._reject(intent, account, Rule.MARKET_DATA, reason, [])
        held = [*account.positions, *self._pending.positions()]
        verdicts: list[GateVerdict] = []
        if self.config.enabled:
            verdicts = self._rule_verdicts(intent, account, market, held)
            failed = next((v for v in verdicts if not v.passed), None)
            if failed is not None:
                return self._reject(intent, account, Rule(failed.name), failed.detail, verdicts)

        inputs = SizingInputs(
            available=account.available_balance - self._pending.margin(),
            base_balance=account.base_balance, n_symbols=account.n_symbols,
            leverage=account.leverage, wallet_balance=account.wallet_balance,
        )
        sized, size_verdicts = size_entry(intent, market, inputs, self.config.sizing_for(intent.strategy))
        verdicts.extend(size_verdicts)
        if not isinstance(sized, SizedEntry):
            return self._reject(intent, account, sized.rule, sized.reason, verdicts)
        if self.config.enabled:
            exposure = limits.check_symbol_exposure(intent.symbol, sized.notional, held, self.config.positions)
            verdicts.append(exposure)
            if not exposure.passed:
                return self._reject(intent, account, Rule.SYMBOL_EXPOSURE, exposure.detail, verdicts)

        prior = held_qty(account.positions, intent.symbol, intent.side)
        self._pending.add(Reservation(
            intent.symbol, intent.side, intent.strategy, sized.qty, sized.price, sized.notional,
            sized.margin, account.time, prior,
        ))
        self.state.opened_today += 1
        return RiskDecision(
            True, *_who(intent), account.time, qty=sized.qty, notional=sized.notional,
            leverage=sized.leverage, price=sized.price, margin=sized.margin,
            sizing_mode=sized.mode, verdicts=tuple(verdicts),
        )

    def _rule_verdicts(
        self, intent: Intent, account: AccountView, market: MarketView, held: list[PositionView]
    ) -> list[GateVerdict]:
        cfg, st = self.config, self.state
        assert st.day is not None  # on_account ran
        live = self._live
        return [
            limits.check_circuit_breaker(st, st.day, cfg.losses),
            limits.check_drawdown(st, cfg.losses, live=live),
            limits.check_daily_loss(st, account.base_balance, cfg.losses),
            limits.check_daily_loss_amount(st, cfg.losses),
            killswitch.check_kill_switch(st, intent.symbol, cfg.kill_switch, live=live),
            limits.check_consecutive_losses(
                st, intent.strategy, intent.symbol, cfg.losses, live=live
            ),
            limits.check_strategy_loss(st, intent.strategy, cfg.losses),
            limits.check_funding_blackout(account.time, market, cfg.funding),
            *gates.signal_gates(intent, market, cfg.gates_for(intent.strategy)),
            *limits.check_positions(intent.symbol, intent.side, held, cfg.positions),
            limits.check_opened_today(st, cfg.positions),
        ]

    def _reject(
        self, intent: Intent, account: AccountView, rule: Rule, reason: str,
        verdicts: list[GateVerdict],
    ) -> RiskDecision:
        self._rejections.append(
            Rejection(account.time, intent.symbol, intent.strategy, intent.side, rule, reason)
        )
        key = _halt_key(rule, intent)
        if rule in _ANNOUNCED_RULES and (self.state.day, rule, key) not in self._announced:
            self._announced.add((self.state.day, rule, key))
            self._emit(Outcome(events=[RiskEvent(account.time, EventKind.HALT, rule, key, reason)]))
        if rule in _HALT_RULES:
            halt = self._open_halts.get((rule, key))
            if halt is None:  # on since before this manager saw it trip (a restored state)
                halt = self._open_halt(rule, key, account.time, reason)
            halt.refused += 1
        return RiskDecision(
            False, *_who(intent), account.time, rule=rule, reason=reason, verdicts=tuple(verdicts)
        )

    def entry_failed(self, symbol: str) -> None:
        """An approved entry on `symbol` was not placed or expired unfilled: free its slot."""
        if self._pending.release(symbol):
            self.state.opened_today = max(0, self.state.opened_today - 1)

    # ----- clock, account and trades ---------------------------------------------------------
    def on_time(self, now: pd.Timestamp) -> None:
        """Lift the halts whose reset policy has run out, and roll the UTC day when `now`
        crosses midnight (P10); call it at least once a day."""
        if self._next_lift is not None and now.value >= self._next_lift:
            self._next_lift = self._lift_expired(now.value)
        # the engine calls this at every event and entry: while `now` stays inside the day
        # last rolled to (and the state is the one it was rolled on), nothing can change
        day, state = self._day_span, self.state
        if day is not None and day[0] is state and day[1] is state.day and now.tzinfo is not None \
                and day[2] <= now.value < day[3]:
            return
        rolled = roll_day(state, now)
        if state.day is not None:
            start = (state.day.toordinal() - EPOCH_ORDINAL) * NS_PER_DAY
            self._day_span = (state, state.day, start, start + NS_PER_DAY)
        if rolled:
            self._events.append(
                RiskEvent(now, EventKind.DAY_ROLLOVER, None, "account", str(self.state.day))
            )
            self._close_day_halts()

    def on_account(self, account: AccountView) -> None:
        """Observe a fresh account snapshot: rollover, equity watch, filled reservations."""
        self.on_time(account.time)
        self._base_balance = account.base_balance
        self._pending.settle(account.positions)
        self._emit(observe_equity(self.state, account, self.config))

    def on_trade_closed(self, trade: Trade) -> None:
        """Book a closed trade: daily PnL, per-strategy loss, streaks, kill switch."""
        self.on_time(trade.exit_time)
        self._pending.closed(trade.symbol, trade.side)
        self._emit(book_trade(self.state, trade, self.config))
        if self.config.enabled:
            self._day_limits_tripped(trade)

    def _day_limits_tripped(self, trade: Trade) -> None:
        """Open the day-loss halts when the trade that crosses the limit closes, not at the
        first refused signal: the halt starts when entries stop being allowed."""
        st, losses, when = self.state, self.config.losses, trade.exit_time
        verdicts = [limits.check_daily_loss_amount(st, losses),
                    limits.check_strategy_loss(st, trade.strategy, losses)]
        if self._base_balance is not None:
            verdicts.append(limits.check_daily_loss(st, self._base_balance, losses))
        for verdict in verdicts:
            rule = Rule(verdict.name)
            key = trade.strategy if rule is Rule.STRATEGY_LOSS else "account"
            if not verdict.passed and (rule, key) not in self._open_halts:
                self._announced.add((st.day, rule, key))
                self._emit(Outcome(events=[RiskEvent(when, EventKind.HALT, rule, key, verdict.detail)]))

    def _emit(self, outcome: Outcome) -> None:
        self._actions.extend(outcome.actions)
        self._events.extend(outcome.events)
        for event in outcome.events:
            if event.kind in _HALT_EVENTS and event.rule in _HALT_RULES:
                self._halt_tripped(event)
            _log.warning(
                "risk event", kind=event.kind.value, key=event.key, detail=event.detail,
                scope=self.scope,
            )

    # ----- halt periods ------------------------------------------------------------------------
    def _open_halt(self, rule: Rule, key: str, start: pd.Timestamp, reason: str) -> HaltPeriod:
        halt = HaltPeriod(rule.value, key, start, None, reason)
        self._halts.append(halt)
        self._open_halts[(rule, key)] = halt
        return halt

    def _close_halt(self, rule: Rule, key: str, end: pd.Timestamp) -> None:
        halt = self._open_halts.pop((rule, key), None)
        if halt is not None:
            halt.end = max(end, halt.start)

    def _halt_tripped(self, event: RiskEvent) -> None:
        assert event.rule is not None
        if (event.rule, event.key) in self._open_halts:
            return
        reason = event.detail
        lift = self._lift_text(event.rule, event.key)
        if lift:
            reason = f"{reason}; {lift}"
        self._open_halt(event.rule, event.key, event.time, reason)
        if event.rule in (Rule.KILL_SWITCH, Rule.CONSECUTIVE_LOSSES, Rule.DRAWDOWN):
            self._next_lift = self._lift_expired(None)

    def _lift_text(self, rule: Rule, key: str) -> str:
        """What ends a policy halt, for its HaltPeriod reason (day rules say it themselves)."""
        st, cfg, live = self.state, self.config, self._live
        if rule is Rule.KILL_SWITCH:
            record = st.kill_switch.get(key)
            since = None if record is None else record.killed_at
            return killswitch.kill_lift_text(key, since, cfg.kill_switch, live=live)
        if rule is Rule.CONSECUTIVE_LOSSES:
            pair = st.pairs.get(key)
            strategy, symbol = key.split("|", 1)
            since = None if pair is None else pair.halted_at
            return limits.consecutive_lift_text(since, strategy, symbol, cfg.losses, live=live)
        if rule is Rule.DRAWDOWN:
            return limits.drawdown_lift_text(st, cfg.losses, live=live)
        return ""

    def _lift_expired(self, now_ns: int | None) -> int | None:
        """Lift every policy halt due by `now_ns` (None: lift nothing, only find the next).

        A lift clears what the rule judged (the symbol's trade history, the streak, the
        equity peak), as the operator's reset does: kept, the next loss would trip it again
        at once. Returns the epoch ns of the next lift still ahead, or None.
        """
        st, cfg = self.state, self.config
        upcoming: list[int] = []

        def due(since: datetime | None, policy: str) -> pd.Timestamp | None:
            at = resume_time(since, policy)
            if at is None:
                return None
            if now_ns is not None and at.value <= now_ns:
                return at
            upcoming.append(at.value)
            return None

        for symbol, record in list(st.kill_switch.items()):
            if record.killed and (at := due(record.killed_at, cfg.kill_switch.reset_after)):
                st.kill_switch[symbol] = KillRecord()
                self._lifted(Rule.KILL_SWITCH, symbol, at, "risk.kill_switch.reset_after",
                             cfg.kill_switch.reset_after)
        for key, pair in st.pairs.items():
            if pair.halted and (at := due(pair.halted_at, cfg.losses.consecutive_reset_after)):
                pair.halted, pair.halted_at, pair.consecutive_losses = False, None, 0
                self._lifted(Rule.CONSECUTIVE_LOSSES, key, at,
                             "risk.losses.consecutive_reset_after", cfg.losses.consecutive_reset_after)
        if st.drawdown_halted and (at := due(st.drawdown_halted_at, cfg.losses.drawdown_reset_after)):
            st.drawdown_halted, st.drawdown_reason, st.drawdown_halted_at = False, "", None
            st.peak_equity = None  # re-based on the next snapshot, as reset_drawdown_stop does
            self._lifted(Rule.DRAWDOWN, "account", at, "risk.losses.drawdown_reset_after",
                         cfg.losses.drawdown_reset_after)
        return min(upcoming) if upcoming else None

    def _lifted(self, rule: Rule, key: str, at: pd.Timestamp, field: str, policy: str) -> None:
        self._close_halt(rule, key, at)
        detail = f"{rule.value} for {key} lifted at {utc_text(at)} ({field} {policy})"
        self._events.append(RiskEvent(at, EventKind.RESET, rule, key, detail))

    def _close_day_halts(self) -> None:
        """The day roll lifts the daily limits and the circuit breaker (and a per-day strategy
        loss) at the midnight after each one tripped."""
        day_rules = set(_DAY_RULES)
        if self.config.losses.strategy_loss_window == "day":
            day_rules.add(Rule.STRATEGY_LOSS)
        for rule, key in [k for k in self._open_halts if k[0] in day_rules]:
            start = self._open_halts[(rule, key)].start
            self._close_halt(rule, key, start.normalize() + pd.Timedelta(days=1))

    def _adopt_state_halts(self) -> None:
        """Open a HaltPeriod for every halt a restored state carries, and schedule its lift."""
        st = self.state
        for symbol, record in st.kill_switch.items():
            if record.killed and (Rule.KILL_SWITCH, symbol) not in self._open_halts:
                start = _stamp(record.killed_at)
                reason = f"{record.reason}; {self._lift_text(Rule.KILL_SWITCH, symbol)}"
                self._open_halt(Rule.KILL_SWITCH, symbol, start, reason)
        for key, pair in st.pairs.items():
            if pair.halted and (Rule.CONSECUTIVE_LOSSES, key) not in self._open_halts:
                reason = (f"{pair.consecutive_losses} losses in a row; "
                          f"{self._lift_text(Rule.CONSECUTIVE_LOSSES, key)}")
                self._open_halt(Rule.CONSECUTIVE_LOSSES, key, _stamp(pair.halted_at), reason)
        if st.drawdown_halted and (Rule.DRAWDOWN, "account") not in self._open_halts:
            reason = f"{st.drawdown_reason}; {self._lift_text(Rule.DRAWDOWN, 'account')}"
            self._open_halt(Rule.DRAWDOWN, "account", _stamp(st.drawdown_halted_at), reason)
        self._next_lift = self._lift_expired(None)

    @property
    def halts(self) -> tuple[HaltPeriod, ...]:
        """Every halt so far, in the order they tripped (copies: `end` None = still on)."""
        return tuple(dataclasses.replace(h) for h in self._halts)

    # ----- outputs ---------------------------------------------------------------------------
    @property
    def has_pending_actions(self) -> bool:
        return bool(self._actions)

    def pending_actions(self) -> list[RiskAction]:
        """Actions the engine must carry out now (CloseAll). Each is returned once."""
        actions, self._actions = self._actions, []
        return actions

    def drain_events(self) -> list[RiskEvent]:
        events, self._events = self._events, []
        return events

    @property
    def rejections(self) -> tuple[Rejection, ...]:
        return tuple(self._rejections)

    def drain_rejections(self) -> list[Rejection]:
        """Rejections since the last drain, for the engine to write to the store."""
        out, self._rejections = self._rejections, []
        return out

    def status(self) -> dict[str, Any]:
        """A small summary for the heartbeat and the API (A20)."""
        st = self.state
        return {
            "scope": self.scope, "day": None if st.day is None else str(st.day),
            "daily_realized": str(st.daily_realized), "opened_today": st.opened_today,
            "circuit_breaker": st.day is not None and st.circuit_breaker_day == st.day,
            "drawdown_halted": st.drawdown_halted,
            "peak_equity": None if st.peak_equity is None else str(st.peak_equity),
            "killed": sorted(s for s, r in st.kill_switch.items() if r.killed),
            "halted_pairs": sorted(k for k, r in st.pairs.items() if r.halted),
            "pending_entries": len(self._pending),
            "halts_on": sorted(f"{rule.value}:{key}" for rule, key in self._open_halts),
        }

    # ----- persistence and resets ------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """JSON-safe state for the kill_switch_state table (tagged with the scope, P95)."""
        return self.state.to_dict()

    def restore_state(self, data: Mapping[str, Any]) -> None:
        """Load a stored state of this scope, keeping each symbol's history tail (P94)."""
        self.state = RiskState.from_dict(
            data, scope=self.scope, history_length=self.config.kill_switch.history_length
        )
        self._adopt_state_halts()

    def rebuild_kill_switch(self, trades: Iterable[Trade]) -> None:
        """Restore kill states from the journal's tail when no saved state exists."""
        killswitch.rebuild(self.state, trades, self.config.kill_switch)
        self._adopt_state_halts()

    def is_killed(self, symbol: str) -> bool:
        record = self.state.kill_switch.get(symbol)
        return record is not None and record.killed

    def reset_kill_switch(self, symbol: str | None = None) -> list[str]:
        """Lift the kill switch of `symbol` (None: every symbol); returns what was reset."""
        done = killswitch.reset(self.state, symbol)
        for sym in done:
            event = self._reset_event(Rule.KILL_SWITCH, sym)
            self._close_halt(Rule.KILL_SWITCH, sym, event.time)
            self._events.append(event)
        return done

    def apply_env_resets(self, env: Mapping[str, str] | None = None) -> list[str]:
        """C40: RESET_KILL_SWITCH_{SYMBOL}=true in the environment resets that symbol."""
        done: list[str] = []
        for symbol in killswitch.symbols_to_reset(env):
            done.extend(self.reset_kill_switch(symbol))
        return done

    def reset_consecutive_losses(
        self, strategy: str | None = None, symbol: str | None = None
    ) -> list[str]:
        """A16 manual reset of (strategy, symbol) halts; None matches any."""
        done = []
        for key, record in self.state.pairs.items():
            strat, sym = key.split("|", 1)
            matches = (strategy is None or strat == strategy) and (symbol is None or sym == symbol)
            if matches and (record.halted or record.consecutive_losses):
                record.halted, record.halted_at, record.consecutive_losses = False, None, 0
                done.append(key)
                event = self._reset_event(Rule.CONSECUTIVE_LOSSES, key)
                self._close_halt(Rule.CONSECUTIVE_LOSSES, key, event.time)
                self._events.append(event)
        return done

    def reset_strategy_loss(self, strategy: str | None = None) -> None:
        """Forget a strategy's accumulated loss (the 'total' window has no automatic reset)."""
        for book in (self.state.total_by_strategy, self.state.daily_by_strategy):
            for name in [strategy] if strategy is not None else list(book):
                book.pop(name, None)
        event = self._reset_event(Rule.STRATEGY_LOSS, strategy or "all")
        for rule, key in list(self._open_halts):
            if rule is Rule.STRATEGY_LOSS and strategy in (None, key):
                self._close_halt(rule, key, event.time)
        self._events.append(event)

    def reset_circuit_breaker(self) -> None:
        """Lift today's F16 halt; the day's starting equity is re-based on the next snapshot."""
        self.state.circuit_breaker_day = None
        self.state.day_start_equity = None
        event = self._reset_event(Rule.CIRCUIT_BREAKER, "account")
        self._close_halt(Rule.CIRCUIT_BREAKER, "account", event.time)
        self._events.append(event)

    def reset_drawdown_stop(self) -> None:
        """Lift the A13 drawdown stop; the peak is re-based on the next snapshot."""
        self.state.drawdown_halted, self.state.drawdown_reason = False, ""
        self.state.drawdown_halted_at = None
        self.state.peak_equity = None
        event = self._reset_event(Rule.DRAWDOWN, "account")
        self._close_halt(Rule.DRAWDOWN, "account", event.time)
        self._events.append(event)

    def _reset_event(self, rule: Rule, key: str) -> RiskEvent:
        now = pd.Timestamp.now(tz="UTC")
        return RiskEvent(now, EventKind.RESET, rule, key, f"{rule.value} reset for {key}")


def _who(intent: Intent) -> tuple[str, str, Side]:
    return intent.symbol, intent.strategy, intent.side


def _halt_key(rule: Rule, intent: Intent) -> str:
    """What a halting rule applies to: a symbol, a strategy|symbol pair, a strategy, or all."""
    if rule is Rule.KILL_SWITCH:
        return intent.symbol
    if rule is Rule.CONSECUTIVE_LOSSES:
        return pair_key(intent.strategy, intent.symbol)
    if rule is Rule.STRATEGY_LOSS:
        return intent.strategy
    return "account"


def _stamp(when: datetime | None) -> pd.Timestamp:
    """A stored halt time as a UTC Timestamp (a state without one: now)."""
    if when is None:
        return pd.Timestamp.now(tz="UTC")
    stamp = pd.Timestamp(when)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
