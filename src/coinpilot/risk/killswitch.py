"""C40 dual-layer kill switch per symbol, and its restore and reset paths.

Fast kill: the last `fast_losses` trades were all net losses (fees included). Slow kill: the
profit factor of the last `slow_window` trades is below `slow_min_profit_factor` (needs a
full window). A daily limit stops single shocks; this stops the slow bleed. A killed symbol
takes no new entries until its reset policy lifts it (`kill_switch.reset_after`: a cool-off
after which the history is cleared, or `manual`: until an operator resets it); closes are
never blocked (P102) and other symbols are unaffected.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal

import pandas as pd

from coinpilot.domain.trade import Trade
from coinpilot.risk.config import KillSwitchConfig
from coinpilot.risk.policy import lift_text, utc_text
from coinpilot.risk.state import KillRecord, RiskState
from coinpilot.risk.types import GateVerdict, Rule

RESET_ENV_PREFIX = "RESET_KILL_SWITCH_"
_TRUE = {"1", "true", "yes", "on"}


def kill_reason(history: list[Decimal], cfg: KillSwitchConfig) -> str | None:
    """Why this history kills its symbol, or None. `history` is oldest first."""
    fast = cfg.fast_losses
    if len(history) >= fast and all(pnl < 0 for pnl in history[-fast:]):
        return f"fast kill: the last {fast} trades were all net losses"
    window = cfg.slow_window
    if len(history) >= window:
        recent = history[-window:]
        wins = sum((p for p in recent if p > 0), Decimal(0))
        losses = -sum((p for p in recent if p < 0), Decimal(0))
        if losses > 0:
            pf = wins / losses
            if pf < Decimal(str(cfg.slow_min_profit_factor)):
                return (
                    f"slow kill: profit factor {pf:.3f} over the last {window} trades is below "
                    f"{cfg.slow_min_profit_factor}"
                )
    return None


def record_trade(
    state: RiskState, symbol: str, net_pnl: Decimal, time: pd.Timestamp, cfg: KillSwitchConfig
) -> str | None:
    """Append one closed trade; return the reason if this trade killed the symbol."""
    record = state.kill_switch.get(symbol)
    if record is None:  # not setdefault: that would build a KillRecord model for every trade
        record = state.kill_switch[symbol] = KillRecord()
    record.history.append(net_pnl)
    del record.history[: -cfg.history_length]
    if record.killed or not cfg.enabled:
        return None
    reason = kill_reason(record.history, cfg)
    if reason is not None:
        record.killed, record.reason, record.killed_at = True, reason, time.to_pydatetime()
    return reason


def kill_lift_text(symbol: str, since: datetime | None, cfg: KillSwitchConfig, *, live: bool) -> str:
    """What lifts `symbol`'s kill under the configured policy (operator hints only if manual)."""
    return lift_text(
        since, cfg.reset_after, "risk.kill_switch.reset_after", live=live,
        operator_hint=f"set {RESET_ENV_PREFIX}{symbol}=true or call reset_kill_switch() "
        "once the cause is understood",
    )


def check_kill_switch(
    state: RiskState, symbol: str, cfg: KillSwitchConfig, *, live: bool = True
) -> GateVerdict:
    """Refuse entries on a killed symbol; `live` False (a backtest) leaves out operator hints."""
    name = Rule.KILL_SWITCH.value
    if not cfg.enabled:
        return GateVerdict.na(name, "off")
    record = state.kill_switch.get(symbol)
    if record is not None and record.killed:
        since = "" if record.killed_at is None else f" since {utc_text(record.killed_at)}"
        return GateVerdict.fail(
            name,
            f"{symbol} kill switch is on{since}: {record.reason}; "
            + kill_lift_text(symbol, record.killed_at, cfg, live=live),
        )
    trades = 0 if record is None else len(record.history)
    return GateVerdict.ok(name, f"{symbol}: {trades} recent trades, not killed")


def reset(state: RiskState, symbol: str | None = None) -> list[str]:
    """Lift the kill switch of one symbol (None: all) and forget its history.

    The history goes too: kept, the next single loss would re-kill at once (7 old losses + 1),
    which is not what an operator who reset the symbol asked for. Returns the reset symbols.
    """
    targets = list(state.kill_switch) if symbol is None else [symbol]
    done = []
    for sym in targets:
        if sym in state.kill_switch:
            state.kill_switch[sym] = KillRecord()
            done.append(sym)
    return done


def rebuild(state: RiskState, trades: Iterable[Trade], cfg: KillSwitchConfig) -> None:
    """Restore kill states from a trade journal (oldest first), keeping only each symbol's tail.

    For a first start on a store that has trades but no saved kill-switch state. The caller
    should pass the journal's tail (P94); this keeps at most `history_length` per symbol anyway.
    """
    tails: dict[str, deque[Trade]] = {}
    for trade in trades:
        tails.setdefault(trade.symbol, deque(maxlen=cfg.history_length)).append(trade)
    for symbol, tail in tails.items():
        # judged on the tail as C40's boot does, not replayed: a kill from long ago that an
        # operator has since reset must not come back from the journal
        record = KillRecord(history=[t.net_pnl for t in tail])
        reason = kill_reason(record.history, cfg) if cfg.enabled else None
        if reason is not None:
            record.killed, record.reason = True, reason
            record.killed_at = tail[-1].exit_time.to_pydatetime()
        state.kill_switch[symbol] = record


def symbols_to_reset(env: Mapping[str, str] | None = None) -> list[str]:
    """Symbols whose RESET_KILL_SWITCH_{SYMBOL} is true in `env` (default: os.environ) (C40)."""
    source = os.environ if env is None else env
    return sorted(
        name[len(RESET_ENV_PREFIX) :].upper()
        for name, value in source.items()
        if name.upper().startswith(RESET_ENV_PREFIX) and str(value).strip().lower() in _TRUE
    )
