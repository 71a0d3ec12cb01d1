"""W11 signal gates through the manager: each rejects with its rule and passes its opposite."""

from __future__ import annotations

import pytest
from risk_test_helpers import account, intent, levels, manager, market, only

from coinpilot.risk import GateVerdict, RiskDecision, Rule

PROB = only(gates={"min_probability": 0.60})
RR = only(gates={"min_reward_risk": 1.20})


def _verdict(decision: RiskDecision, rule: Rule) -> GateVerdict:
    return next(v for v in decision.verdicts if v.name == rule.value)


@pytest.mark.parametrize(("p", "ok"), [(0.59, False), (0.60, True), (0.9, True)])
def test_min_probability(p: float, ok: bool) -> None:
    decision = manager(PROB).evaluate(intent(probability=p), account())
    assert decision.approved is ok
    if not ok:
        assert decision.rule is Rule.PROBABILITY
        assert "0.5900 < min 0.6" in decision.reason


def test_probability_gate_is_na_without_a_probability() -> None:
    decision = manager(PROB).evaluate(intent(probability=None), account())
    assert decision.approved
    verdict = _verdict(decision, Rule.PROBABILITY)
    assert verdict.skipped
    assert "n/a" in verdict.detail


@pytest.mark.parametrize(
    ("prob", "stop", "target", "ok"),
    [
        (0.70, 0.10, 0.11, False),  # RR 1.1 < 1.20
        (0.70, 0.10, 0.12, True),  # RR 1.2 >= 1.20
        (0.75, 0.10, 0.11, True),  # relaxed at prob 0.75: RR 1.1 >= 1.05
        (0.80, 0.10, 0.10, False),  # relaxed, still RR 1.0 < 1.05
    ],
)
def test_reward_risk_with_relaxation(prob: float, stop: float, target: float, ok: bool) -> None:
    decision = manager(RR).evaluate(intent(probability=prob, **levels(stop, target)), account())
    assert decision.approved is ok
    if not ok:
        assert decision.rule is Rule.REWARD_RISK
        assert "reward/risk" in decision.reason


def test_reward_risk_skips_rule_strategies_unless_told() -> None:
    plain = intent(probability=None, **levels(0.10, 0.10))  # C's 2.0/2.0 ATR: RR 1.0
    assert manager(RR).evaluate(plain, account()).approved
    strict = only(gates={"min_reward_risk": 1.20, "forecast_only": False})
    decision = manager(strict).evaluate(plain, account())
    assert not decision.approved
    assert decision.rule is Rule.REWARD_RISK


@pytest.mark.parametrize(("spread", "ok"), [(4.5, False), (4.0, True), (None, True)])
def test_max_spread(spread: float | None, ok: bool) -> None:
    cfg = only(gates={"max_spread_bps": 4.0})
    acct = account(markets={"XRPUSDT": market(spread_bps=spread)})
    decision = manager(cfg).evaluate(intent(), acct)
    assert decision.approved is ok
    if not ok:
        assert decision.rule is Rule.SPREAD
        assert "4.50 bps" in decision.reason
    if spread is None:
        assert _verdict(decision, Rule.SPREAD).skipped


HORIZON = only(gates={"horizon_minutes": 30.0, "atr_timeframe_minutes": 5.0})


@pytest.mark.parametrize(
    ("target", "meta", "ok"),
    [
        (0.03, {"atr": 0.01}, False),  # reach = 0.01 × sqrt(30/5) = 0.0245
        (0.02, {"atr": 0.01}, True),
        (0.02, {"atr": 0.01, "atr_timeframe": "15m"}, False),  # reach = 0.01 × sqrt(2) = 0.0141
    ],
)
def test_horizon(target: float, meta: dict, ok: bool) -> None:
    it = intent(probability=0.7, meta=meta, **levels(0.01, target))
    decision = manager(HORIZON).evaluate(it, account())
    assert decision.approved is ok
    if not ok:
        assert decision.rule is Rule.HORIZON
        assert "reachable in the horizon" in decision.reason


def test_horizon_is_na_without_atr() -> None:
    decision = manager(HORIZON).evaluate(intent(probability=0.7, **levels(0.01, 5.0)), account())
    assert decision.approved
    verdict = _verdict(decision, Rule.HORIZON)
    assert verdict.skipped
    assert "n/a" in verdict.detail
