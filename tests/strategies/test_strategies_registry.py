"""Registry: names, did-you-mean, validated construction, built-in defaults from SPEC."""

from __future__ import annotations

import pandas as pd
import pytest

from coinpilot.domain.enums import LevelMode
from coinpilot.domain.errors import ConfigError, UnknownStrategyError
from coinpilot.strategies import BUILTIN_STRATEGIES, create, get, names, register
from coinpilot.strategies.base import MarketData, Strategy, empty_signals
from coinpilot.strategies.registry import unregister


def test_every_builtin_is_registered_on_import() -> None:
    assert set(BUILTIN_STRATEGIES) <= set(names())
    assert len(BUILTIN_STRATEGIES) == 8


def test_unknown_name_suggests_close_matches() -> None:
    with pytest.raises(UnknownStrategyError, match=r"Did you mean 'c_score'\?"):
        get("c_scor")
    with pytest.raises(UnknownStrategyError, match=r"Known strategies: .*ref_ema_cross"):
        get("zzz")


def test_unknown_parameter_is_a_config_error_listing_allowed_keys() -> None:
    with pytest.raises(ConfigError) as err:
        create("c_score", {"adx_treshold": 20})
    text = str(err.value)
    assert "'c_score'" in text
    assert "unknown parameter 'adx_treshold'" in text
    assert "did you mean 'adx_threshold'" in text
    assert "allowed: " in text
    assert "volume_multiplier" in text


def test_bad_value_is_a_config_error_naming_field_value_and_rule() -> None:
    with pytest.raises(ConfigError) as err:
        create("c_score", {"volume_multiplier": -1})
    text = str(err.value)
    assert "volume_multiplier = -1" in text
    assert "greater than 0" in text
    assert "default 2.5" in text


def test_cross_field_rules_are_config_errors() -> None:
    with pytest.raises(ConfigError, match=r"fast .* must be smaller than slow"):
        create("ref_ema_cross", {"fast": 30, "slow": 21})
    with pytest.raises(ConfigError, match="oversold"):
        create("u_rsi", {"oversold": 80})
    with pytest.raises(ConfigError, match="shorter than 1h"):
        create("w_atr_rule", {"timeframe": "1h"})


def test_spec_defaults() -> None:
    c = create("c_score").params
    assert (c.timeframe, c.signal_threshold, c.adx_threshold, c.volume_multiplier) == ("15m", 3, 25.0, 2.5)
    assert (c.atr_sl_mult, c.atr_tp_mult, c.rsi_oversold, c.rsi_overbought) == (2.0, 2.0, 35.0, 65.0)
    r = create("ref_ema_cross")
    assert (r.params.timeframe, r.params.fast, r.params.slow) == ("5m", 9, 21)
    assert (r.params.stop_pct, r.params.target_pct, r.level_mode) == (0.015, 0.03, LevelMode.PCT)
    w = create("w_atr_rule")
    assert (w.params.atr_mult_tp, w.params.atr_mult_sl, w.params.min_prob) == (2.0, 1.0, 0.60)
    assert w.informative_timeframes == ("1h", "4h")
    assert w.level_mode is LevelMode.DIST
    assert create("u_volatility_breakout").params.k_value == 0.5
    assert create("u_volatility_breakout").params.time_limit_bars == 1
    assert create("u_dual_momentum").params.window == 12
    u = create("u_rsi").params
    assert (u.period, u.oversold, u.overbought) == (14, 30.0, 70.0)
    assert create("c_mtf_pullback").informative_timeframes == ("1h",)
    assert create("c_mtf_pullback").params.timeframe == "15m"


@pytest.mark.parametrize("name", BUILTIN_STRATEGIES)
def test_every_builtin_forbids_unknown_keys_and_describes_itself(name: str) -> None:
    cls = get(name)
    assert cls.description
    assert cls.Params.model_config.get("extra") == "forbid"
    with pytest.raises(ConfigError, match="unknown parameter"):
        create(name, {"no_such_param": 1})
    assert create(name).warmup_bars >= 1


class _Dummy(Strategy):
    name = "test_registry_dummy"

    def prepare(self, data: MarketData) -> pd.DataFrame:
        return pd.DataFrame(empty_signals(len(data.candles)))


def test_register_rejects_a_second_class_under_a_taken_name() -> None:
    register(_Dummy)
    try:
        assert get("test_registry_dummy") is _Dummy
        register(_Dummy)  # same class again: fine

        class Other(_Dummy):
            name = "test_registry_dummy"

        with pytest.raises(ValueError, match="already taken"):
            register(Other)
    finally:
        unregister("test_registry_dummy")
    assert "test_registry_dummy" not in names()


def test_register_needs_a_name() -> None:
    class Nameless(_Dummy):
        name = ""

    with pytest.raises(TypeError, match="non-empty class attribute `name`"):
        register(Nameless)
