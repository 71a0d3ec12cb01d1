"""Account, loss and exposure limits: each rejects (or acts) and its opposite case passes."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest
from risk_test_helpers import T0, account, intent, manager, market, only, position, trade

from coinpilot.domain.enums import IntentAction, Side
from coinpilot.risk import CloseAll, EventKind, Rule

NEXT_DAY = T0 + pd.Timedelta(days=1)


def _markets(*symbols: str) -> dict:
    return {s: market(s, "2.5") for s in symbols}


# ----- C26 position registry -----------------------------------------------------------------
def test_one_position_per_symbol() -> None:
    risk = manager(only(positions={"one_per_symbol": True}))
    acct = account(positions=(position("XRPUSDT"),), markets=_markets("XRPUSDT", "DOGEUSDT"))
    decision = risk.evaluate(intent("XRPUSDT"), acct)
    assert decision.rule is Rule.ONE_PER_SYMBOL
    assert "XRPUSDT" in decision.reason
    assert risk.evaluate(intent("DOGEUSDT"), acct).approved


def test_max_positions() -> None:
    cfg = only(positions={"max_positions": 3})
    three = tuple(position(s, Side.LONG if i else Side.SHORT) for i, s in enumerate(["A", "B", "C"]))
    decision = manager(cfg).evaluate(intent(), account(positions=three))
    assert decision.rule is Rule.MAX_POSITIONS
    assert "3 positions open >= max 3" in decision.reason
    assert manager(cfg).evaluate(intent(), account(positions=three[:2])).approved


def test_max_same_direction() -> None:
    cfg = only(positions={"max_same_direction": 2})
    two_longs = (position("A", Side.LONG), position("B", Side.LONG))
    long_decision = manager(cfg).evaluate(intent(side=Side.LONG), account(positions=two_longs))
    assert long_decision.rule is Rule.MAX_SAME_DIRECTION
    assert manager(cfg).evaluate(intent(side=Side.SHORT), account(positions=two_longs)).approved


def test_max_opened_per_day_resets_at_midnight() -> None:
    risk = manager(only(positions={"max_opened_per_day": 2}))
    acct = account(markets=_markets("A", "B", "C"))
    assert risk.evaluate(intent("A"), acct).approved
    assert risk.evaluate(intent("B"), acct).approved
    third = risk.evaluate(intent("C"), acct)
    assert third.rule is Rule.DAILY_OPENED
    next_day = account(time=NEXT_DAY, markets=_markets("C"))
    assert risk.evaluate(intent("C"), next_day).approved


def test_entry_failed_gives_the_day_slot_back() -> None:
    risk = manager(only(positions={"max_opened_per_day": 1}))
    acct = account(markets=_markets("A", "B"))
    assert risk.evaluate(intent("A"), acct).approved
    assert risk.evaluate(intent("B"), acct).rule is Rule.DAILY_OPENED
    risk.entry_failed("A")
    assert risk.evaluate(intent("B"), acct).approved


def test_max_symbol_exposure() -> None:
    held = (position("XRPUSDT", notional="100"),)
    tight = only(positions={"max_symbol_exposure": "150"})
    decision = manager(tight).evaluate(intent(), account(positions=held))
    assert decision.rule is Rule.SYMBOL_EXPOSURE
    assert "> max 150" in decision.reason
    loose = only(positions={"max_symbol_exposure": "250"})
    assert manager(loose).evaluate(intent(), account(positions=held)).approved


# ----- C27 daily loss, A13 daily amount, A12 strategy loss ------------------------------------
def test_daily_loss_limit_blocks_then_resets_at_utc_midnight() -> None:
    risk = manager(only(losses={"daily_loss_limit": 0.05}))
    risk.on_trade_closed(trade("-49.99"))
    assert risk.evaluate(intent(), account(base="1000")).approved
    risk.on_trade_closed(trade("-0.01"))
    blocked = risk.evaluate(intent(), account(base="1000"))
    assert blocked.rule is Rule.DAILY_LOSS
    assert "5.00%" in blocked.reason
    risk.on_time(NEXT_DAY.normalize())  # P10: the midnight reset really happens
    assert risk.state.daily_realized == 0
    assert risk.evaluate(intent(), account(time=NEXT_DAY, base="1000")).approved


def test_daily_loss_is_measured_against_the_base_balance() -> None:
    risk = manager(only(losses={"daily_loss_limit": 0.05}))
    risk.on_trade_closed(trade("-60"))
    assert risk.evaluate(intent(), account(base="1000")).rule is Rule.DAILY_LOSS
    assert risk.evaluate(intent(), account(base="2000")).approved  # 3 % of 2000


def test_daily_loss_amount() -> None:
    risk = manager(only(losses={"daily_loss_amount": "30"}))
    risk.on_trade_closed(trade("-29"))
    assert risk.evaluate(intent(), account()).approved
    risk.on_trade_closed(trade("-1"))
    assert risk.evaluate(intent(), account()).rule is Rule.DAILY_LOSS_AMOUNT


def test_strategy_loss_limit_halts_only_that_strategy() -> None:
    risk = manager(only(losses={"strategy_loss_limit": "25"}))
    risk.on_trade_closed(trade("-30", strategy="a"))
    assert risk.evaluate(intent(strategy="a"), account()).rule is Rule.STRATEGY_LOSS
    assert risk.evaluate(intent(strategy="b"), account()).approved
    assert risk.evaluate(intent(strategy="a"), account(time=NEXT_DAY)).approved  # window "day"


def test_strategy_loss_total_window_needs_a_manual_reset() -> None:
    risk = manager(only(losses={"strategy_loss_limit": "25", "strategy_loss_window": "total"}))
    risk.on_trade_closed(trade("-30", strategy="a"))
    assert risk.evaluate(intent(strategy="a"), account(time=NEXT_DAY)).rule is Rule.STRATEGY_LOSS
    risk.reset_strategy_loss("a")
    assert risk.evaluate(intent(strategy="a"), account(time=NEXT_DAY)).approved


def test_loss_halts_are_announced_once_per_day() -> None:
    risk = manager(only(losses={"daily_loss_amount": "10"}))
    risk.on_trade_closed(trade("-20"))
    for _ in range(3):
        risk.evaluate(intent(), account())
    halts = [e for e in risk.drain_events() if e.kind is EventKind.HALT]
    assert len(halts) == 1
    assert halts[0].rule is Rule.DAILY_LOSS_AMOUNT


# ----- A16 consecutive losses ----------------------------------------------------------------
def test_consecutive_losses_halt_the_pair_until_reset() -> None:
    manual = {"max_consecutive_losses": 5, "consecutive_reset_after": "manual"}
    risk = manager(only(losses=manual))
    for _ in range(4):
        risk.on_trade_closed(trade("-1"))
    assert risk.evaluate(intent(), account()).approved
    risk.on_trade_closed(trade("-1"))
    assert risk.evaluate(intent(), account()).rule is Rule.CONSECUTIVE_LOSSES
    # other pairs unaffected; the halt survives a new day and a win elsewhere
    assert risk.evaluate(intent(strategy="other"), account()).approved
    assert risk.evaluate(intent(), account(time=NEXT_DAY)).rule is Rule.CONSECUTIVE_LOSSES
    assert risk.reset_consecutive_losses("s1", "XRPUSDT") == ["s1|XRPUSDT"]
    assert risk.evaluate(intent(), account(time=NEXT_DAY)).approved


def test_a_win_breaks_the_streak() -> None:
    risk = manager(only(losses={"max_consecutive_losses": 5}))
    for pnl in ("-1", "-1", "-1", "-1", "2", "-1", "-1"):
        risk.on_trade_closed(trade(pnl))
    assert risk.evaluate(intent(), account()).approved


# ----- A13 drawdown stop, F16 circuit breaker --------------------------------------------------
def test_drawdown_stop_closes_all_and_halts_until_reset() -> None:
    risk = manager(only(losses={"max_drawdown": 0.10, "drawdown_reset_after": "manual"}))
    risk.on_account(account(equity="1200"))
    risk.on_account(account(equity="1081"))  # 9.9 % below the peak
    assert risk.pending_actions() == []
    risk.on_account(account(equity="1080"))  # 10 %
    actions = risk.pending_actions()
    assert len(actions) == 1
    assert isinstance(actions[0], CloseAll)
    assert actions[0].rule is Rule.DRAWDOWN
    assert risk.pending_actions() == []  # returned once
    assert risk.evaluate(intent(), account(equity="1150")).rule is Rule.DRAWDOWN
    risk.reset_drawdown_stop()
    assert risk.evaluate(intent(), account(equity="1150")).approved


def test_drawdown_stop_can_halt_without_closing() -> None:
    risk = manager(only(losses={"max_drawdown": 0.10, "drawdown_close_all": False}))
    risk.on_account(account(equity="1000"))
    risk.on_account(account(equity="850"))
    assert risk.pending_actions() == []
    assert risk.evaluate(intent(), account(equity="850")).rule is Rule.DRAWDOWN


def test_circuit_breaker_closes_all_and_halts_for_the_day() -> None:
    risk = manager(only(losses={"circuit_breaker_loss": 0.03}))
    morning = T0.normalize() + pd.Timedelta(hours=1)
    risk.on_account(account(time=morning, equity="1000"))
    risk.on_account(account(equity="971"))  # -2.9 %
    assert risk.pending_actions() == []
    assert risk.evaluate(intent(), account(equity="971")).approved
    risk.on_account(account(equity="970"))  # -3 %
    actions = risk.pending_actions()
    assert [a.rule for a in actions] == [Rule.CIRCUIT_BREAKER]
    assert risk.evaluate(intent(), account(equity="990")).rule is Rule.CIRCUIT_BREAKER
    risk.on_account(account(time=T0 + pd.Timedelta(hours=2), equity="960"))
    assert risk.pending_actions() == []  # one CloseAll per trip
    assert risk.evaluate(intent(), account(time=NEXT_DAY, equity="960")).approved


def test_circuit_breaker_uses_the_new_day_start_equity() -> None:
    risk = manager(only(losses={"circuit_breaker_loss": 0.03}))
    risk.on_account(account(equity="1000"))
    risk.on_account(account(time=NEXT_DAY, equity="960"))  # below yesterday's start, fine today
    assert risk.pending_actions() == []
    risk.on_account(account(time=NEXT_DAY + pd.Timedelta(hours=1), equity="931"))
    assert [a.rule for a in risk.pending_actions()] == [Rule.CIRCUIT_BREAKER]


def test_manual_circuit_breaker_reset() -> None:
    risk = manager(only(losses={"circuit_breaker_loss": 0.03}))
    risk.on_account(account(equity="1000"))
    risk.on_account(account(equity="960"))
    risk.reset_circuit_breaker()
    assert risk.evaluate(intent(), account(equity="960")).approved  # re-based at 960


# ----- A17 funding blackout --------------------------------------------------------------------
FUNDING = only(funding={"enabled": True, "window_minutes": 5})
DAY = T0.normalize()


@pytest.mark.parametrize(
    ("clock", "ok"),
    [("07:54:59", True), ("07:55", False), ("08:00", False), ("08:05", False), ("08:05:01", True),
     ("23:57", False), ("00:03", False), ("12:00", True)],
)
def test_funding_blackout_on_the_default_schedule(clock: str, ok: bool) -> None:
    now = pd.Timestamp(f"{DAY.date()} {clock}", tz="UTC")
    decision = manager(FUNDING).evaluate(intent(), account(time=now))
    assert decision.approved is ok
    if not ok:
        assert decision.rule is Rule.FUNDING_BLACKOUT


def test_funding_blackout_reads_the_markets_next_funding_time() -> None:
    now = DAY + pd.Timedelta(hours=11, minutes=57)  # not on the 00/08/16 schedule
    four_hourly = market(next_funding_time=DAY + pd.Timedelta(hours=12))
    decision = manager(FUNDING).evaluate(intent(), account(time=now, markets={"XRPUSDT": four_hourly}))
    assert decision.rule is Rule.FUNDING_BLACKOUT
    after = DAY + pd.Timedelta(hours=12, minutes=3)
    nxt = market(next_funding_time=DAY + pd.Timedelta(hours=20))  # previous = 12:00 (8 h)
    decision = manager(FUNDING).evaluate(intent(), account(time=after, markets={"XRPUSDT": nxt}))
    assert decision.rule is Rule.FUNDING_BLACKOUT
    far = DAY + pd.Timedelta(hours=14)
    assert manager(FUNDING).evaluate(intent(), account(time=far, markets={"XRPUSDT": nxt})).approved


def test_no_funding_blackout_on_spot() -> None:
    now = DAY + pd.Timedelta(hours=7, minutes=58)
    spot = market(has_funding=False)
    assert manager(FUNDING).evaluate(intent(), account(time=now, markets={"XRPUSDT": spot})).approved


# ----- P102 ---------------------------------------------------------------------------------------
def test_exits_pass_every_halt() -> None:
    cfg = only(
        losses={"daily_loss_limit": 0.05, "circuit_breaker_loss": 0.03, "max_consecutive_losses": 1},
        funding={"enabled": True},
    )
    risk = manager(cfg)
    risk.on_account(account(equity="1000"))
    risk.on_trade_closed(trade("-100"))
    risk.on_account(account(equity="900"))
    at_funding = account(time=DAY + pd.Timedelta(hours=8), equity="900")
    assert not risk.evaluate(intent(), at_funding).approved
    before = len(risk.rejections)
    exit_decision = risk.evaluate(intent(action=IntentAction.EXIT), at_funding)
    assert exit_decision.approved
    assert exit_decision.rule is None
    assert len(risk.rejections) == before  # an exit is never a rejection
    assert risk.state.daily_realized == Decimal("-100")
