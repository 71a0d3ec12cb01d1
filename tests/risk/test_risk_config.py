"""RiskConfig: SPEC defaults, unknown keys refused, per-strategy overrides merge key by key."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError
from risk_test_helpers import account, intent, manager, position

from coinpilot.domain.enums import Side
from coinpilot.risk import RiskConfig, Rule


def test_defaults_are_the_seed_numbers() -> None:
    cfg = RiskConfig()
    g, s, p, loss, k, f = cfg.gates, cfg.sizing, cfg.positions, cfg.losses, cfg.kill_switch, cfg.funding
    # W11
    assert (g.min_probability, g.min_reward_risk, g.relax_probability, g.relaxed_reward_risk) == (
        0.60, 1.20, 0.75, 1.05,
    )
    # C26, C27, F16, A16, A17, C40
    assert (p.max_positions, p.max_same_direction, p.one_per_symbol) == (3, 2, True)
    assert loss.daily_loss_limit == 0.05
    assert loss.circuit_breaker_loss == 0.03
    assert loss.max_consecutive_losses == 5
    assert (f.enabled, f.window_minutes, f.funding_hours_utc) == (True, 5.0, (0, 8, 16))
    assert (k.enabled, k.fast_losses, k.slow_window, k.slow_min_profit_factor) == (True, 8, 15, 0.75)
    assert k.history_length == 15
    # C29, W13, U12, benchmark sizing
    dm = s.dynamic_margin
    assert (dm.max_ratio, dm.min_ratio, dm.decay) == (0.50, 0.20, 0.0006)
    assert s.fixed_risk.risk_amount == Decimal(100)
    assert (s.kelly.win_rate, s.kelly.payoff_ratio, s.kelly.fraction) == (0.65, 1.2, 0.5)
    assert s.mode == "balance_fraction"  # the realistic preset: 10 % of the balance
    assert s.fixed_notional.notional == Decimal(100)
    # limits the seeds name without a number start off
    assert p.max_opened_per_day is None
    assert p.max_symbol_exposure is None
    assert loss.daily_loss_amount is None
    assert loss.max_drawdown is None
    assert loss.strategy_loss_limit is None


def test_unknown_key_is_refused_with_its_name() -> None:
    with pytest.raises(ValidationError, match="max_postions"):
        RiskConfig.model_validate({"positions": {"max_postions": 2}})


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"sizing": {"dynamic_margin": {"min_ratio": 0.6, "max_ratio": 0.5}}}, "min_ratio"),
        ({"gates": {"min_reward_risk": 1.0, "relaxed_reward_risk": 1.1}}, "relax"),
        ({"funding": {"funding_hours_utc": [0, 24]}}, "0–23"),
        ({"sizing": {"dynamic_margin": {"max_ratio_per_symbol": {"SOLUSDT": 1.5}}}}, "SOLUSDT"),
        ({"losses": {"daily_loss_limit": 5}}, "daily_loss_limit"),
        ({"sizing": {"mode": "martingale"}}, "mode"),
    ],
)
def test_invalid_values_fail_at_load(data: dict, needle: str) -> None:
    with pytest.raises(ValidationError, match=needle):
        RiskConfig.model_validate(data)


def test_strategy_override_replaces_only_the_written_keys() -> None:
    cfg = RiskConfig.model_validate(
        {
            "gates": {"min_probability": 0.55},
            "sizing": {"mode": "dynamic_margin"},
            "strategies": {
                "llm": {
                    "gates": {"horizon_minutes": 20},
                    "sizing": {"mode": "kelly", "kelly": {"fraction": 0.25}},
                }
            },
        }
    )
    llm_gates, llm_sizing = cfg.gates_for("llm"), cfg.sizing_for("llm")
    assert llm_gates.horizon_minutes == 20
    assert llm_gates.min_probability == 0.55  # global value kept, not the model default
    assert llm_sizing.mode == "kelly"
    assert (llm_sizing.kelly.fraction, llm_sizing.kelly.win_rate) == (0.25, 0.65)
    assert cfg.sizing_for("other").mode == "dynamic_margin"
    assert cfg.gates_for("other").horizon_minutes == 30


def test_override_that_breaks_a_constraint_fails_at_load() -> None:
    with pytest.raises(ValidationError, match=r"(?s)strategies\.x.*relax"):
        RiskConfig.model_validate({"strategies": {"x": {"gates": {"min_reward_risk": 1.0}}}})
    with pytest.raises(ValidationError, match=r"(?s)strategies\.x.*horizon_minuts"):
        RiskConfig.model_validate({"strategies": {"x": {"gates": {"horizon_minuts": 20}}}})


def test_override_is_judged_merged_not_alone() -> None:
    cfg = RiskConfig.model_validate(
        {
            "gates": {"relaxed_reward_risk": 1.0},
            "strategies": {"x": {"gates": {"min_reward_risk": 1.02}}},
        }
    )
    assert cfg.gates_for("x").min_reward_risk == 1.02
    assert cfg.gates_for("x").relaxed_reward_risk == 1.0


def test_json_round_trip_is_identical() -> None:
    cfg = RiskConfig.model_validate(
        {"losses": {"max_drawdown": 0.2}, "strategies": {"a": {"sizing": {"mode": "fixed_risk"}}}}
    )
    again = RiskConfig.model_validate_json(cfg.model_dump_json())
    assert again == cfg
    assert again.sizing_for("a").mode == "fixed_risk"


def test_permissive_turns_every_rule_off() -> None:
    held = tuple(position(sym, Side.LONG) for sym in ("BTCUSDT", "ETHUSDT", "SOLUSDT"))
    strict = manager(RiskConfig()).evaluate(intent(probability=0.1), account(positions=held))
    loose = manager(RiskConfig.permissive()).evaluate(intent(probability=0.1), account(positions=held))
    assert not strict.approved
    assert strict.rule is Rule.PROBABILITY
    assert loose.approved


def test_disabled_risk_still_sizes() -> None:
    cfg = RiskConfig.model_validate({"enabled": False})
    decision = manager(cfg).evaluate(intent(probability=0.1), account())
    assert decision.approved
    assert decision.qty == Decimal("40.4")  # 100 USDT / 2.470853, floored to 0.1
