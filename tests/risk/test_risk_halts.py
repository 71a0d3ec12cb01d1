"""Halting rules end as they would in operation (reset policies), and every halt is recorded."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest
from pydantic import ValidationError
from risk_test_helpers import T0, account, intent, manager, only, trade

from coinpilot.risk import EventKind, RiskConfig, RiskManager, Rule
from coinpilot.risk.config import KillSwitchConfig, LossLimitConfig
from coinpilot.risk.policy import reset_delay

HOUR = pd.Timedelta(hours=1)


def _losses(risk: RiskManager, n: int, start: pd.Timestamp = T0, symbol: str = "XRPUSDT") -> None:
    for i in range(n):
        risk.on_trade_closed(trade("-1", symbol=symbol, exit_time=start + i * pd.Timedelta(minutes=1)))


@pytest.mark.parametrize(
    ("text", "delay"),
    [("24h", pd.Timedelta(hours=24)), ("7d", pd.Timedelta(days=7)), ("30m", pd.Timedelta(minutes=30)),
     (" 12H ", pd.Timedelta(hours=12)), ("manual", None)],
)
def test_reset_policies_parse(text: str, delay: pd.Timedelta | None) -> None:
    assert reset_delay(KillSwitchConfig(reset_after=text).reset_after) == delay


@pytest.mark.parametrize("bad", ["0h", "forever", "24", "-1d", "1w"])
def test_a_bad_reset_policy_is_refused_with_what_to_write(bad: str) -> None:
    with pytest.raises(ValidationError, match="'30m', '24h' or '7d', or 'manual'"):
        LossLimitConfig(consecutive_reset_after=bad)


def test_defaults_cool_off_kill_switch_and_streak_but_keep_drawdown_manual() -> None:
    cfg = RiskConfig()
    assert cfg.kill_switch.reset_after == "24h"
    assert cfg.losses.consecutive_reset_after == "24h"
    assert cfg.losses.drawdown_reset_after == "manual"


def test_kill_switch_lifts_after_its_cool_off_with_the_history_cleared() -> None:
    risk = manager(only(kill_switch={"enabled": True}))
    _losses(risk, 8)
    killed_at = T0 + 7 * pd.Timedelta(minutes=1)
    refused = risk.evaluate(intent(), account(time=killed_at + 23 * HOUR))
    assert refused.rule is Rule.KILL_SWITCH
    assert "resumes at 2025-03-04 10:09 UTC (risk.kill_switch.reset_after 24h)" in refused.reason
    # a backtest has no operator: no environment variable, no reset call
    assert "RESET_KILL_SWITCH" not in refused.reason
    assert "reset_kill_switch" not in refused.reason

    assert risk.evaluate(intent(), account(time=killed_at + 24 * HOUR)).approved
    assert not risk.is_killed("XRPUSDT")
    lifted = [e for e in risk.drain_events() if e.kind is EventKind.RESET]
    assert [(e.rule, e.key, e.time) for e in lifted] == [(Rule.KILL_SWITCH, "XRPUSDT", killed_at + 24 * HOUR)]
    # history cleared: one more loss does not kill again at once (7 old + 1)
    _losses(risk, 1, start=killed_at + 25 * HOUR)
    assert risk.evaluate(intent(), account(time=killed_at + 26 * HOUR)).approved

    (halt,) = risk.halts
    assert (halt.rule, halt.key, halt.start, halt.end) == ("kill_switch", "XRPUSDT", killed_at, killed_at + 24 * HOUR)
    assert halt.refused == 1
    assert "fast kill" in halt.reason
    assert "resumes at" in halt.reason


def test_manual_policy_lasts_the_backtest_and_names_the_operator_reset_only_live() -> None:
    cfg = only(kill_switch={"enabled": True, "reset_after": "manual"})
    backtest = manager(cfg)
    _losses(backtest, 8)
    late = T0 + pd.Timedelta(days=60)
    reason = backtest.evaluate(intent(), account(time=late)).reason
    assert "stays on for the rest of the backtest (risk.kill_switch.reset_after manual)" in reason
    assert "RESET_KILL_SWITCH" not in reason
    assert backtest.halts[0].end is None

    live = manager(cfg, scope="live")
    _losses(live, 8)
    reason = live.evaluate(intent(), account(time=late)).reason
    assert "until an operator resets it" in reason
    assert "RESET_KILL_SWITCH_XRPUSDT=true" in reason
    live.reset_kill_switch("XRPUSDT")
    assert live.halts[0].end is not None  # the operator's reset closes the period


def test_consecutive_loss_halt_lifts_after_its_cool_off_and_clears_the_streak() -> None:
    risk = manager(only(losses={"max_consecutive_losses": 3, "consecutive_reset_after": "12h"}))
    _losses(risk, 3)
    tripped = T0 + 2 * pd.Timedelta(minutes=1)
    decision = risk.evaluate(intent(), account(time=tripped + 11 * HOUR))
    assert decision.rule is Rule.CONSECUTIVE_LOSSES
    assert "resumes at 2025-03-03 22:04 UTC (risk.losses.consecutive_reset_after 12h)" in decision.reason
    assert "reset_consecutive_losses" not in decision.reason
    assert risk.evaluate(intent(), account(time=tripped + 12 * HOUR)).approved
    assert risk.state.pairs["s1|XRPUSDT"].consecutive_losses == 0
    (halt,) = risk.halts
    assert (halt.rule, halt.key, halt.end, halt.refused) == (
        "consecutive_losses", "s1|XRPUSDT", tripped + 12 * HOUR, 1)


def test_the_lift_applies_before_a_trade_is_booked_after_it() -> None:
    """A trade closing after the cool-off counts toward the fresh history, not the old one."""
    risk = manager(only(kill_switch={"enabled": True, "reset_after": "1h"}))
    _losses(risk, 8)
    _losses(risk, 1, start=T0 + 2 * HOUR)  # an old position closing after the lift
    assert not risk.is_killed("XRPUSDT")
    assert risk.state.kill_switch["XRPUSDT"].history == [Decimal(-1)]


def test_drawdown_stop_with_a_duration_resumes_from_a_new_peak() -> None:
    risk = manager(only(losses={"max_drawdown": 0.10, "drawdown_reset_after": "7d"}))
    risk.on_account(account(equity="1000"))
    risk.on_account(account(equity="890"))
    decision = risk.evaluate(intent(), account(equity="900", time=T0 + pd.Timedelta(days=6)))
    assert decision.rule is Rule.DRAWDOWN
    assert "resumes at 2025-03-10 10:02 UTC (risk.losses.drawdown_reset_after 7d)" in decision.reason
    assert risk.evaluate(intent(), account(equity="880", time=T0 + pd.Timedelta(days=7))).approved
    assert risk.state.peak_equity == Decimal(880)  # re-based, so 880 is not a 12 % drawdown
    (halt,) = risk.halts
    assert (halt.rule, halt.key, halt.end) == ("drawdown_stop", "account", T0 + pd.Timedelta(days=7))


def test_daily_loss_halt_opens_at_the_losing_trade_and_ends_at_utc_midnight() -> None:
    risk = manager(only(losses={"daily_loss_limit": 0.05}))
    risk.on_account(account(balance="1000"))
    risk.on_trade_closed(trade("-50", exit_time=T0 + HOUR))
    for minutes in (5, 10):
        refused = risk.evaluate(intent(), account(time=T0 + HOUR + pd.Timedelta(minutes=minutes)))
        assert refused.rule is Rule.DAILY_LOSS
        assert "entries resume at 00:00 UTC" in refused.reason
    midnight = pd.Timestamp("2025-03-04", tz="UTC")
    assert risk.evaluate(intent(), account(time=midnight)).approved  # the limit resets at midnight
    (halt,) = risk.halts
    assert (halt.rule, halt.key, halt.start, halt.end, halt.refused) == (
        "daily_loss_limit", "account", T0 + HOUR, midnight, 2)


def test_circuit_breaker_halt_is_recorded_for_the_rest_of_the_day() -> None:
    risk = manager(only(losses={"circuit_breaker_loss": 0.03}))
    risk.on_account(account(equity="1000"))
    risk.on_account(account(equity="960", time=T0 + HOUR))
    assert risk.evaluate(intent(), account(equity="960", time=T0 + 2 * HOUR)).rule is Rule.CIRCUIT_BREAKER
    risk.on_time(T0 + pd.Timedelta(days=1))
    (halt,) = risk.halts
    assert (halt.rule, halt.key, halt.start) == ("circuit_breaker", "account", T0 + HOUR)
    assert halt.end == pd.Timestamp("2025-03-04", tz="UTC")
    assert halt.refused == 1


def test_a_restored_kill_is_recorded_and_lifted_by_its_policy() -> None:
    cfg = only(kill_switch={"enabled": True})
    first = manager(cfg, scope="live")
    _losses(first, 8)
    restarted = RiskManager(cfg, scope="live", state=first.state_dict())
    assert [h.rule for h in restarted.halts] == ["kill_switch"]
    restarted.on_time(T0 + pd.Timedelta(days=2))
    assert not restarted.is_killed("XRPUSDT")
    assert restarted.halts[0].end == T0 + 7 * pd.Timedelta(minutes=1) + 24 * HOUR
