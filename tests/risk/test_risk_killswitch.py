"""C40 kill switch: fast and slow kills, per-symbol scope, persistence (P94, P95), reset, P102."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from risk_test_helpers import T0, account, intent, manager, market, only, trade

from coinpilot.domain.enums import IntentAction
from coinpilot.domain.errors import ConfigError, DataError
from coinpilot.risk import EventKind, RiskConfig, RiskManager, Rule

KILL = only(kill_switch={"enabled": True})
BOTH = {"XRPUSDT": market(), "DOGEUSDT": market("DOGEUSDT", "0.3")}


def _feed(risk: RiskManager, pnls: list[str], symbol: str = "XRPUSDT") -> None:
    for i, pnl in enumerate(pnls):
        risk.on_trade_closed(trade(pnl, symbol=symbol, exit_time=T0 + pd.Timedelta(minutes=i)))


def test_fast_kill_after_eight_losses_in_a_row() -> None:
    risk = manager(KILL)
    _feed(risk, ["-1"] * 7)
    assert risk.evaluate(intent(), account()).approved
    _feed(risk, ["-0.01"])
    decision = risk.evaluate(intent(), account())
    assert decision.rule is Rule.KILL_SWITCH
    assert "fast kill" in decision.reason
    kills = [e for e in risk.drain_events() if e.kind is EventKind.KILL_SWITCH]
    assert [e.key for e in kills] == ["XRPUSDT"]  # one alert (C40: Discord)


def test_a_win_inside_the_last_eight_prevents_the_fast_kill() -> None:
    risk = manager(KILL)
    _feed(risk, ["-1"] * 4 + ["0.5"] + ["-1"] * 3)
    assert risk.evaluate(intent(), account()).approved


# 15 trades, never 8 losses in a row: 5 wins of +1 against 10 losses
_SLOW_KILLED = ["1", "-0.7", "-0.7", "1", "-0.7", "-0.7", "1", "-0.7", "-0.7",
                "1", "-0.7", "-0.7", "1", "-0.7", "-0.7"]  # PF = 5 / 7 = 0.714
_SLOW_SAFE = [p.replace("-0.7", "-0.6") for p in _SLOW_KILLED]  # PF = 5 / 6 = 0.833


def test_slow_kill_when_profit_factor_over_fifteen_is_below_075() -> None:
    risk = manager(KILL)
    _feed(risk, _SLOW_KILLED[:14])
    assert risk.evaluate(intent(), account()).approved  # needs a full window of 15
    _feed(risk, _SLOW_KILLED[14:])
    decision = risk.evaluate(intent(), account())
    assert decision.rule is Rule.KILL_SWITCH
    assert "slow kill: profit factor 0.714" in decision.reason


def test_no_slow_kill_at_profit_factor_above_075() -> None:
    risk = manager(KILL)
    _feed(risk, _SLOW_SAFE)
    assert risk.evaluate(intent(), account()).approved


def test_kill_is_per_symbol_and_never_blocks_closes() -> None:
    risk = manager(KILL)
    _feed(risk, ["-1"] * 8)
    acct = account(markets=BOTH)
    assert risk.evaluate(intent(), acct).rule is Rule.KILL_SWITCH
    assert risk.evaluate(intent("DOGEUSDT"), acct).approved
    close = risk.evaluate(intent(action=IntentAction.EXIT), acct)  # P102
    assert close.approved


def test_backtests_have_the_kill_switch_by_default() -> None:
    risk = RiskManager(RiskConfig(), scope="backtest")  # C42 / P65
    _feed(risk, ["-1"] * 8)
    assert risk.is_killed("XRPUSDT")


def test_state_round_trip_restores_the_kill() -> None:
    risk = manager(KILL, scope="live")
    _feed(risk, ["-1"] * 8)
    _feed(risk, ["2", "-1"], symbol="DOGEUSDT")
    stored = json.loads(json.dumps(risk.state_dict()))  # what the store keeps
    restarted = manager(KILL, scope="live", state=stored)
    assert restarted.state == risk.state
    assert restarted.is_killed("XRPUSDT")
    assert not restarted.is_killed("DOGEUSDT")
    assert restarted.evaluate(intent(), account()).rule is Rule.KILL_SWITCH


def test_restore_keeps_only_the_history_tail() -> None:
    risk = manager(KILL, scope="live")
    _feed(risk, ["1"] * 3)
    stored = risk.state_dict()
    stored["kill_switch"]["XRPUSDT"]["history"] = ["-1"] * 50 + ["1"] * 20  # an old, long record
    restarted = manager(KILL, scope="live", state=stored)
    assert restarted.state.kill_switch["XRPUSDT"].history == [1] * 15  # P94


def test_rebuild_from_the_journal_judges_only_the_tail() -> None:
    risk = manager(KILL)
    journal = [trade("-1", exit_time=T0 + pd.Timedelta(minutes=i)) for i in range(20)]
    journal += [trade("1", exit_time=T0 + pd.Timedelta(hours=1, minutes=i)) for i in range(10)]
    risk.rebuild_kill_switch(journal)
    # tail = 5 losses + 10 wins: PF 2.0 and no 8-loss run, although trade 8 once was one
    assert not risk.is_killed("XRPUSDT")
    assert len(risk.state.kill_switch["XRPUSDT"].history) == 15
    losing = manager(KILL)
    losing.rebuild_kill_switch(journal[:20])
    assert losing.is_killed("XRPUSDT")


def test_testnet_state_never_loads_into_live() -> None:
    testnet = manager(KILL, scope="testnet")
    _feed(testnet, ["-1"] * 8)
    with pytest.raises(ConfigError, match="testnet"):
        manager(KILL, scope="live", state=testnet.state_dict())  # P95


def test_malformed_state_names_the_field() -> None:
    bad = manager(KILL, scope="live").state_dict()
    bad["daily_realized"] = "lots"
    with pytest.raises(DataError, match="daily_realized"):
        manager(KILL, scope="live", state=bad)


def test_reset_lifts_the_kill_and_starts_a_fresh_window() -> None:
    risk = manager(KILL)
    _feed(risk, ["-1"] * 8)
    assert risk.reset_kill_switch("XRPUSDT") == ["XRPUSDT"]
    assert risk.evaluate(intent(), account()).approved
    _feed(risk, ["-1"])  # with the old history kept, this loss would kill again
    assert risk.evaluate(intent(), account()).approved
    assert any(e.kind is EventKind.RESET for e in risk.drain_events())


@pytest.mark.parametrize(("value", "reset"), [("True", True), ("1", True), ("false", False)])
def test_reset_from_the_environment(value: str, reset: bool) -> None:
    risk = manager(KILL)
    _feed(risk, ["-1"] * 8)
    env = {"RESET_KILL_SWITCH_XRPUSDT": value, "RESET_KILL_SWITCH_DOGEUSDT": "true"}
    done = risk.apply_env_resets(env)
    assert done == (["XRPUSDT"] if reset else [])  # DOGE had no state to reset
    assert risk.is_killed("XRPUSDT") is not reset


def test_disabled_kill_switch_never_kills() -> None:
    risk = manager(only(kill_switch={"enabled": False}))
    _feed(risk, ["-1"] * 20)
    assert risk.evaluate(intent(), account()).approved
