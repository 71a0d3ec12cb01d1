"""C44 validator: each FAIL check fires on its own, warnings never make the run FAIL, P64."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pandas as pd
import pytest

from coinpilot.domain.enums import Side
from coinpilot.domain.trade import ExitReason, Trade
from coinpilot.engine.metrics import compute_metrics
from coinpilot.engine.validator import (
    CheckLevel,
    CheckResult,
    ValidationReport,
    ValidationStatus,
    ValidationThresholds,
    validate_backtest,
)
from coinpilot.risk.halts import HaltPeriod

T0 = pd.Timestamp("2025-01-01", tz="UTC")
HOUR = pd.Timedelta(hours=1)


def trade(
    net: float,
    *,
    start: int = 0,
    bars: int = 2,
    symbol: str = "BTCUSDT",
    side: Side = Side.LONG,
    fees: str = "0.1",
    meta: dict[str, Any] | None = None,
    gross: str | None = None,
) -> Trade:
    net_d = Decimal(str(net))
    return Trade(
        symbol=symbol, side=side, strategy="t", entry_time=T0 + start * HOUR,
        entry_price=Decimal(100), exit_time=T0 + (start + bars) * HOUR, exit_price=Decimal(101),
        qty=Decimal(1), gross_pnl=Decimal(gross) if gross is not None else net_d + Decimal(fees),
        fees=Decimal(fees), funding=Decimal(0), net_pnl=net_d, exit_reason=ExitReason.TAKE_PROFIT,
        meta=meta or {},
    )


def healthy_run() -> tuple[list[Trade], pd.Series]:
    """20 alternating trades (+2/-1) over ~30 days, equity with a dip: every check passes."""
    trades = [trade(2.0 if i % 2 == 0 else -1.0, start=36 * i) for i in range(20)]
    index = pd.date_range(T0 + HOUR, periods=720, freq="1h", tz="UTC")
    values = [1000.0 + (i % 72) / 10 - (3.0 if i % 72 > 60 else 0.0) for i in range(720)]
    return trades, pd.Series(values, index=index)


def check(report: ValidationReport, name: str) -> bool:
    return next(c.passed for c in report.checks if c.name == name)


def test_healthy_run_passes_every_check() -> None:
    trades, equity = healthy_run()
    report = validate_backtest(trades, equity, 1000.0)
    assert report.status is ValidationStatus.PASS, [c for c in report.checks if not c.passed]
    assert {c.name for c in report.checks} >= {
        "exit_not_before_entry", "levels_on_correct_side", "no_overlapping_positions",
        "fees_not_negative", "net_pnl_adds_up", "balance_never_negative", "win_rate_plausible",
        "profit_factor_plausible", "drawdown_non_zero", "enough_trades_per_month",
    }


@pytest.mark.parametrize(
    ("bad", "name"),
    [
        (trade(1.0, start=600, bars=-1), "exit_not_before_entry"),
        (trade(1.0, start=600, meta={"initial_stop": 101.0}), "levels_on_correct_side"),
        (trade(1.0, start=600, meta={"target": 99.0}), "levels_on_correct_side"),
        (trade(1.0, start=600, side=Side.SHORT, meta={"sl": 99.0}), "levels_on_correct_side"),
        (trade(1.0, start=600, side=Side.SHORT, meta={"tp": 101.0}), "levels_on_correct_side"),
        (trade(1.0, start=1, fees="0.1"), "no_overlapping_positions"),  # inside the first trade
        (trade(1.0, start=600, fees="-0.1"), "fees_not_negative"),
        (trade(1.0, start=600, gross="5"), "net_pnl_adds_up"),
    ],
)
def test_each_fail_check_fails_the_run(bad: Trade, name: str) -> None:
    trades, equity = healthy_run()
    report = validate_backtest([*trades, bad], equity, 1000.0)
    assert not check(report, name)
    assert report.status is ValidationStatus.FAIL
    assert [c.name for c in report.failures] == [name]
    assert "BTCUSDT" in report.failures[0].detail


def test_levels_on_the_correct_side_pass() -> None:
    long_ok = trade(1.0, meta={"initial_stop": 98.5, "target": 103.0})
    short_ok = trade(1.0, start=10, side=Side.SHORT, meta={"sl": 101.5, "tp": 97.0})
    no_levels = trade(1.0, start=20, meta={"initial_stop": None})
    trailed = trade(1.0, start=30, meta={"initial_stop": 98.0, "stop": 100.5})  # moved into profit
    report = validate_backtest([long_ok, short_ok, no_levels, trailed], None, 1000.0)
    assert check(report, "levels_on_correct_side")


def test_overlap_rules() -> None:
    reversal = [trade(1.0, start=0, bars=2), trade(1.0, start=2, bars=2, side=Side.SHORT)]
    assert check(validate_backtest(reversal, None, 1000.0), "no_overlapping_positions")
    other_symbol = [trade(1.0, start=0, bars=5), trade(1.0, start=1, symbol="ETHUSDT")]
    assert check(validate_backtest(other_symbol, None, 1000.0), "no_overlapping_positions")
    # the third trade overlaps the first (long) one, not its direct predecessor
    nested = [trade(1.0, start=0, bars=10), trade(1.0, start=2, bars=1), trade(1.0, start=5, bars=1)]
    report = validate_backtest(nested, None, 1000.0)
    assert not check(report, "no_overlapping_positions")
    assert report.failures[0].detail.startswith("2 trade(s)")


def test_hedge_mode_allows_opposite_sides_only() -> None:
    hedged = [trade(1.0, start=0, bars=5), trade(1.0, start=1, side=Side.SHORT)]
    assert not check(validate_backtest(hedged, None, 1000.0), "no_overlapping_positions")
    assert check(validate_backtest(hedged, None, 1000.0, hedge_mode=True), "no_overlapping_positions")
    two_longs = [trade(1.0, start=0, bars=5), trade(1.0, start=1)]
    assert not check(validate_backtest(two_longs, None, 1000.0, hedge_mode=True), "no_overlapping_positions")


def test_balance_check_uses_the_configured_initial_balance() -> None:
    """P64: a -500 run is fine on a 1000 account and broken on a 100 one."""
    trades = [trade(-250.0, start=0), trade(-250.0, start=5)]
    assert check(validate_backtest(trades, None, 1000.0), "balance_never_negative")
    report = validate_backtest(trades, None, 100.0)
    assert not check(report, "balance_never_negative")
    assert report.status is ValidationStatus.FAIL
    assert "initial 100" in report.failures[0].detail


def test_negative_equity_fails_even_if_realised_balance_is_positive() -> None:
    equity = pd.Series([50.0, -5.0, 80.0], index=pd.date_range(T0, periods=3, freq="1h", tz="UTC"))
    report = validate_backtest([trade(-20.0)], equity, 100.0)
    assert not check(report, "balance_never_negative")


def test_warnings_alone_give_warn_never_fail() -> None:
    """C44's source reported FAIL for a warning; here a too-good run is only WARN."""
    trades = [trade(5.0, start=3 * i) for i in range(10)]  # all wins: win rate 100 %, PF inf
    report = validate_backtest(trades, None, 1000.0)
    assert not check(report, "win_rate_plausible")
    assert not check(report, "profit_factor_plausible")
    assert report.failures == []
    assert report.status is ValidationStatus.WARN
    assert all(c.level is CheckLevel.WARN for c in report.warnings)


def test_too_few_trades_per_month_warns() -> None:
    index = pd.date_range(T0, periods=90 * 24, freq="1h", tz="UTC")  # ~3 months
    equity = pd.Series(1000.0, index=index)
    trades = [trade(2.0, start=0), trade(-1.0, start=10)]
    report = validate_backtest(trades, equity, 1000.0)
    assert not check(report, "enough_trades_per_month")
    loose = validate_backtest(trades, equity, 1000.0, thresholds=ValidationThresholds(min_trades_per_month=0.5))
    assert check(loose, "enough_trades_per_month")


def test_zero_drawdown_warns() -> None:
    trades = [trade(2.0 if i % 2 == 0 else -1.0, start=3 * i) for i in range(10)]
    equity = pd.Series(
        [1000.0 + i for i in range(30)], index=pd.date_range(T0, periods=30, freq="1h", tz="UTC")
    )
    assert not check(validate_backtest(trades, equity, 1000.0), "drawdown_non_zero")
    metrics = compute_metrics(trades, equity, 1000.0, "1h")
    report = validate_backtest(trades, equity, 1000.0, metrics=metrics)
    assert not check(report, "drawdown_non_zero")
    assert report.status is ValidationStatus.WARN


def test_no_trades_is_not_a_failure() -> None:
    report = validate_backtest([], None, 1000.0)
    assert report.failures == []
    assert check(report, "win_rate_plausible")
    assert not check(report, "enough_trades_per_month")
    assert report.status is ValidationStatus.WARN


def test_report_round_trips_through_a_dict() -> None:
    trades, equity = healthy_run()
    report = validate_backtest([*trades, trade(1.0, start=600, fees="-1", gross="0")], equity, 1000.0)
    data = report.as_dict()
    assert data["status"] == "FAIL"
    assert ValidationReport.from_dict(data) == report


# ----- halts: a PASS must not hide a strategy the risk layer kept idle --------------------------
def _halt(rule: str, key: str, start_h: int, end_h: int | None) -> HaltPeriod:
    return HaltPeriod(rule, key, T0 + start_h * HOUR, None if end_h is None else T0 + end_h * HOUR, "r")


def _halt_check(report: ValidationReport) -> CheckResult:
    return next(c for c in report.checks if c.name == "halts_leave_time_to_trade")


def test_halts_idling_most_of_the_run_warn_and_name_the_rule() -> None:
    trades, equity = healthy_run()  # equity spans T0+1h .. T0+720h
    halts = [_halt("kill_switch", "BTCUSDT", 1, None), _halt("consecutive_losses", "t|ETHUSDT", 361, 540)]
    report = validate_backtest(trades, equity, 1000.0, halts=halts, symbols=["BTCUSDT", "ETHUSDT"])
    check = _halt_check(report)
    assert report.status is ValidationStatus.WARN
    assert not check.passed
    # BTC halted for the whole 719 h, ETH for 179 h of them: (719 + 179) / (2 × 719)
    assert "62.4% of the symbol-time over 2 symbol(s)" in check.detail
    assert "kill_switch 50.0%, consecutive_losses 12.4%" in check.detail


def test_short_halts_pass_and_overlaps_count_once() -> None:
    trades, equity = healthy_run()
    halts = [_halt("kill_switch", "BTCUSDT", 101, 173), _halt("daily_loss_limit", "account", 101, 173),
             _halt("circuit_breaker", "account", 137, 209)]
    report = validate_backtest(trades, equity, 1000.0, halts=halts, symbols=["BTCUSDT"])
    check = _halt_check(report)
    assert check.passed
    assert report.status is ValidationStatus.PASS
    assert "15.0% of the symbol-time" in check.detail  # 101..209 h of 719 h, not 3 × 72 h
    assert _halt_check(validate_backtest(trades, equity, 1000.0, halts=[])).detail == "no halts"


def test_the_halt_threshold_is_configurable() -> None:
    trades, equity = healthy_run()
    halts = [_halt("drawdown_stop", "account", 1, 101)]  # 100 of 719 hours: 13.9 %
    assert _halt_check(validate_backtest(trades, equity, 1000.0, halts=halts)).passed
    strict = ValidationThresholds(max_halted_share_pct=10.0)
    assert not _halt_check(validate_backtest(trades, equity, 1000.0, halts=halts, thresholds=strict)).passed
