"""Sanity checks on a finished backtest (C44), so a broken simulation is not read as a result.

FAIL-level checks find results that cannot be true (an exit before its entry, a stop on the
wrong side, two positions at once on one symbol, negative fees, a negative balance, a net PnL
that does not add up). WARN-level checks find results that are possible but suspicious (a win
rate or profit factor too good to be true, a curve without drawdown, too few trades to judge).
The overall status is FAIL only when a FAIL-level check fails; a failed warning gives WARN
(C44's source reported FAIL for a mere warning). The balance check uses the run's configured
initial balance, never a constant (P64).

Stop and target levels are checked where the engine put them in `Trade.meta`, as absolute
prices: the stop under "initial_stop" (or C41's "sl"), the target under "initial_target",
"target" or "tp". A plain "stop" key is ignored on purpose: it may hold the stop after a
trailing or break-even move, which legitimately sits on the profit side of the entry.

A WARN check also looks at the risk layer's halts (`risk.halts.HaltPeriod`): when halting
rules kept the symbols idle for a large share of the period, the trades describe only the
part of the test the strategy was allowed to trade, and a PASS must not hide that.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from coinpilot.domain.trade import Trade
from coinpilot.engine.metrics import Metrics, as_trades_frame
from coinpilot.risk.halts import HaltPeriod

STOP_KEYS = ("initial_stop", "sl")
TARGET_KEYS = ("initial_target", "target", "tp")
_MONTH = pd.Timedelta(days=365.25 / 12)


class CheckLevel(StrEnum):
    FAIL = "fail"
    WARN = "warn"


class ValidationStatus(StrEnum):
    PASS = "PASS"
    WARN = "WARN"
    FAIL = "FAIL"


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    level: CheckLevel
    passed: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "level": self.level.value,
            "passed": self.passed,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class ValidationReport:
    checks: tuple[CheckResult, ...]

    @property
    def failures(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.passed and c.level is CheckLevel.FAIL]

    @property
    def warnings(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.passed and c.level is CheckLevel.WARN]

    @property
    def status(self) -> ValidationStatus:
        if self.failures:
            return ValidationStatus.FAIL
        return ValidationStatus.WARN if self.warnings else ValidationStatus.PASS

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status.value, "checks": [c.as_dict() for c in self.checks]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ValidationReport:
        checks = tuple(
            CheckResult(c["name"], CheckLevel(c["level"]), bool(c["passed"]), str(c["detail"]))
            for c in data.get("checks", [])
        )
        return cls(checks)


@dataclass(frozen=True, slots=True)
class ValidationThresholds:
    """Bounds of the WARN checks. Defaults flag what rule-based crypto strategies rarely reach."""

    min_win_rate_pct: float = 15.0
    max_win_rate_pct: float = 85.0
    max_profit_factor: float = 5.0
    min_trades_per_month: float = 5.0
    max_halted_share_pct: float = 25.0  # symbol-time stopped by halting rules


def _ns(times: pd.Series) -> np.ndarray:
    """UTC times as int64 nanoseconds (tz-aware columns otherwise become object arrays)."""
    return np.asarray(pd.DatetimeIndex(pd.to_datetime(times, utc=True)).as_unit("ns").asi8)


def _first(frame: pd.DataFrame, mask: np.ndarray, what: str) -> str:
    row = frame.loc[np.flatnonzero(mask)[0]]
    return f"{int(mask.sum())} trade(s) {what}; first: {row['symbol']} entered {row['entry_time']}"


def _check(
    name: str, level: CheckLevel, bad: np.ndarray, frame: pd.DataFrame, what: str
) -> CheckResult:
    if bad.any():
        return CheckResult(name, level, False, _first(frame, bad, what))
    return CheckResult(name, level, True, "ok")


def _level(meta: Any, keys: tuple[str, ...]) -> float:
    if not isinstance(meta, dict):
        return math.nan
    for key in keys:
        if meta.get(key) is not None:
            return float(meta[key])
    return math.nan


def _levels_wrong_side(frame: pd.DataFrame) -> np.ndarray:
    metas = frame["meta"] if "meta" in frame.columns else pd.Series([{}] * len(frame))
    stop = np.array([_level(m, STOP_KEYS) for m in metas], dtype=np.float64)
    target = np.array([_level(m, TARGET_KEYS) for m in metas], dtype=np.float64)
    entry = pd.to_numeric(frame["entry_price"]).to_numpy(dtype=np.float64)
    sign = np.where(frame["side"].to_numpy() == "short", -1.0, 1.0)
    # NaN (level absent) compares False, so a missing leg never fails
    stop_bad = sign * (stop - entry) >= 0
    target_bad = sign * (target - entry) <= 0
    return np.asarray(stop_bad | target_bad)


def _overlaps(frame: pd.DataFrame, hedge_mode: bool) -> np.ndarray:
    """True for a trade entered while an earlier trade on the same symbol (and side, in hedge
    mode) was still open. Re-entering on the exit bar (a reversal) is not an overlap."""
    keys = ["symbol", "side"] if hedge_mode else ["symbol"]
    ordered = frame.assign(_entry=_ns(frame["entry_time"]), _exit=_ns(frame["exit_time"]))
    ordered = ordered.sort_values([*keys, "_entry"], kind="stable")
    ordered["_held"] = ordered.groupby(keys, sort=False)["_exit"].cummax()
    open_until = ordered.groupby(keys, sort=False)["_held"].shift(fill_value=np.iinfo(np.int64).min)
    bad = (ordered["_entry"] < open_until).to_numpy()
    result = np.zeros(len(frame), dtype=bool)
    result[ordered.index.to_numpy()] = bad
    return result


def validate_backtest(
    trades: Sequence[Trade] | pd.DataFrame,
    equity: pd.Series | None,
    initial_balance: float,
    *,
    metrics: Metrics | None = None,
    hedge_mode: bool = False,
    thresholds: ValidationThresholds | None = None,
    halts: Sequence[HaltPeriod] | None = None,
    symbols: Sequence[str] | None = None,
) -> ValidationReport:
    """Run every C44 check; `initial_balance` must be the run's configured value (P64).

    With `halts` (the risk manager's record) the halted share of the run's symbol-time
    (`symbols`, default the traded ones) is checked too.
    """
    th = thresholds or ValidationThresholds()
    frame = as_trades_frame(trades)
    fail = CheckLevel.FAIL
    checks: list[CheckResult] = []
    if len(frame):
        entry, exit_ = _ns(frame["entry_time"]), _ns(frame["exit_time"])
        net, gross = frame["net_pnl"].to_numpy(), frame["gross_pnl"].to_numpy()
        identity = gross - frame["fees"].to_numpy() + frame["funding"].to_numpy()
        tol = 1e-9 * np.maximum(1.0, np.abs(gross))
        checks += [
            _check("exit_not_before_entry", fail, exit_ < entry, frame, "exit before entry"),
            _check(
                "levels_on_correct_side",
                fail,
                _levels_wrong_side(frame),
                frame,
                "have a stop or target on the wrong side of the entry",
            ),
            _check(
                "no_overlapping_positions",
                fail,
                _overlaps(frame, hedge_mode),
                frame,
                "opened while a position on the same symbol was open",
            ),
            _check("fees_not_negative", fail, frame["fees"].to_numpy() < 0, frame, "have fees < 0"),
            _check(
                "net_pnl_adds_up",
                fail,
                np.abs(net - identity) > tol,
                frame,
                "have net_pnl != gross_pnl - fees + funding",
            ),
        ]
    checks.append(_balance_check(frame, equity, initial_balance))
    checks += _warnings(frame, equity, initial_balance, metrics, th)
    if halts is not None:
        checks.append(_halted_share_check(frame, equity, halts, symbols, th))
    return ValidationReport(tuple(checks))


def _union_ns(spans: list[tuple[int, int]]) -> int:
    total, reach = 0, None
    for start, end in sorted(spans):
        if reach is None or start > reach:
            total += end - start
            reach = end
        elif end > reach:
            total += end - reach
            reach = end
    return total


def _applies_to(halt: HaltPeriod, symbol: str) -> bool:
    """A halt stops one symbol (its key), one 'strategy|symbol' pair, or every symbol (the
    account, or a strategy's loss limit)."""
    key = halt.key
    if "|" in key:
        return key.split("|", 1)[1] == symbol
    return key in ("account", symbol) or halt.rule == "strategy_loss_limit"


def halted_shares(
    halts: Sequence[HaltPeriod], symbols: Sequence[str], start: pd.Timestamp, end: pd.Timestamp
) -> tuple[float, dict[str, float]]:
    """Share of symbol-time (each symbol × [start, end]) stopped by any halt, and by each rule.

    Overlapping halts on one symbol count once; an account-wide halt stops every symbol.
    """
    lo, hi = int(start.value), int(end.value)
    if hi <= lo or not symbols:
        return 0.0, {}
    spans: dict[str, dict[str, list[tuple[int, int]]]] = {}  # rule: symbol: spans
    for h in halts:
        a = max(lo, int(h.start.value))
        b = min(hi, int(h.end.value) if h.end is not None else hi)
        if b <= a:
            continue
        for symbol in symbols:
            if _applies_to(h, symbol):
                spans.setdefault(h.rule, {}).setdefault(symbol, []).append((a, b))
    whole = (hi - lo) * len(symbols)
    by_rule = {
        rule: sum(_union_ns(s) for s in per_symbol.values()) / whole
        for rule, per_symbol in spans.items()
    }
    total = sum(
        _union_ns([span for per_symbol in spans.values() for span in per_symbol.get(symbol, [])])
        for symbol in symbols
    ) / whole
    return total, by_rule


def _halted_share_check(
    frame: pd.DataFrame,
    equity: pd.Series | None,
    halts: Sequence[HaltPeriod],
    symbols: Sequence[str] | None,
    th: ValidationThresholds,
) -> CheckResult:
    name, limit = "halts_leave_time_to_trade", th.max_halted_share_pct
    if equity is not None and len(equity) > 1:
        start, end = pd.Timestamp(equity.index[0]), pd.Timestamp(equity.index[-1])
    elif len(frame):
        start = pd.to_datetime(frame["entry_time"], utc=True).min()
        end = pd.to_datetime(frame["exit_time"], utc=True).max()
    else:
        return CheckResult(name, CheckLevel.WARN, True, "no period to measure")
    names = list(symbols) if symbols else sorted(set(frame["symbol"])) if len(frame) else []
    total, by_rule = halted_shares(halts, names, start, end)
    if not by_rule:
        return CheckResult(name, CheckLevel.WARN, True, "no halts")
    parts = ", ".join(
        f"{rule} {100 * share:.1f}%"
        for rule, share in sorted(by_rule.items(), key=lambda kv: -kv[1])
    )
    detail = (
        f"halts stopped entries for {100 * total:.1f}% of the symbol-time over "
        f"{len(names)} symbol(s) (warn above {limit:g}%): {parts}"
    )
    return CheckResult(name, CheckLevel.WARN, 100 * total <= limit, detail)


def _balance_check(
    frame: pd.DataFrame, equity: pd.Series | None, initial_balance: float
) -> CheckResult:
    balance = initial_balance + np.cumsum(frame["net_pnl"].to_numpy())
    low_balance = float(balance.min()) if balance.size else initial_balance
    low_equity = float(equity.min()) if equity is not None and len(equity) else initial_balance
    detail = (
        f"initial {initial_balance:g}; lowest realised balance {low_balance:g}; "
        f"lowest equity {low_equity:g}"
    )
    return CheckResult(
        "balance_never_negative", CheckLevel.FAIL, min(low_balance, low_equity) >= 0, detail
    )


def _warnings(
    frame: pd.DataFrame,
    equity: pd.Series | None,
    initial_balance: float,
    metrics: Metrics | None,
    th: ValidationThresholds,
) -> list[CheckResult]:
    warn = CheckLevel.WARN
    n = len(frame)
    net = frame["net_pnl"].to_numpy()
    wins, loss_sum = int((net > 0).sum()), float(-net[net < 0].sum())
    win_rate = 100.0 * wins / n if n else 0.0
    pf = (float(net[net > 0].sum()) / loss_sum) if loss_sum > 0 else (math.inf if wins else 0.0)
    out = [
        CheckResult(
            "win_rate_plausible",
            warn,
            n == 0 or th.min_win_rate_pct <= win_rate <= th.max_win_rate_pct,
            f"win rate {win_rate:.1f}% (plausible {th.min_win_rate_pct:g}-{th.max_win_rate_pct:g}%)",
        ),
        CheckResult(
            "profit_factor_plausible",
            warn,
            pf <= th.max_profit_factor,
            f"profit factor {pf:.3g} (plausible <= {th.max_profit_factor:g})",
        ),
    ]
    if metrics is not None:
        has_dd = metrics.max_drawdown_pct > 0 or n == 0
        out.append(
            CheckResult(
                "drawdown_non_zero", warn, has_dd, f"max drawdown {metrics.max_drawdown_pct:.3f}%"
            )
        )
    elif equity is not None and len(equity):
        peak = np.maximum.accumulate(np.concatenate(([initial_balance], equity.to_numpy())))[1:]
        has_dd = bool((equity.to_numpy() < peak).any()) or n == 0
        out.append(
            CheckResult(
                "drawdown_non_zero",
                warn,
                has_dd,
                "equity dipped below a previous high" if has_dd else "equity never fell",
            )
        )
    months = _months(frame, equity)
    per_month = n / months if months > 0 else 0.0
    out.append(
        CheckResult(
            "enough_trades_per_month",
            warn,
            per_month >= th.min_trades_per_month,
            f"{per_month:.2f} trades/month over {months:.2f} months "
            f"(want >= {th.min_trades_per_month:g})",
        )
    )
    return out


def _months(frame: pd.DataFrame, equity: pd.Series | None) -> float:
    """Length of the test in months: the equity curve's span, else the trades' span."""
    if equity is not None and len(equity) > 1:
        return float((equity.index[-1] - equity.index[0]) / _MONTH)
    if len(frame):
        first = pd.to_datetime(frame["entry_time"], utc=True).min()
        last = pd.to_datetime(frame["exit_time"], utc=True).max()
        return float((last - first) / _MONTH)
    return 0.0
