"""User strategy modules and per-symbol YAML files (A02/A06)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from strategy_test_helpers import CONFIGS

from coinpilot.domain.errors import ConfigError, UnknownStrategyError
from coinpilot.strategies import create, get, names
from coinpilot.strategies.loader import (
    create_for_symbol,
    load_strategy_module,
    load_symbol_config,
    load_symbol_configs,
    load_symbol_params,
    resolve_strategy,
)
from coinpilot.strategies.registry import unregister

MODULE = '''
import pandas as pd
from coinpilot.strategies.base import MarketData, Strategy, StrategyParams, empty_signals


class Params(StrategyParams):
    threshold: float = 1.0


class MyStrat(Strategy):
    name = "{name}"
    description = "user strategy for the loader test"
    Params = Params

    def prepare(self, data: MarketData) -> pd.DataFrame:
        return pd.DataFrame(empty_signals(len(data.candles)))
'''


@pytest.fixture
def user_dir(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "my_strat.py").write_text(MODULE.format(name="my_strat"))
    yield tmp_path
    unregister("my_strat")


def test_user_module_is_found_loaded_and_registered(user_dir: Path) -> None:
    cls = resolve_strategy("my_strat", [user_dir / "missing", user_dir])
    assert cls.name == "my_strat"
    assert "my_strat" in names()
    assert get("my_strat") is cls
    assert create("my_strat", {"threshold": 2.5}).params.threshold == 2.5  # type: ignore[attr-defined]


def test_builtin_names_resolve_without_search_dirs() -> None:
    assert resolve_strategy("c_score").name == "c_score"


def test_missing_module_names_the_searched_dirs(tmp_path: Path) -> None:
    with pytest.raises(UnknownStrategyError, match=f"looked for nope.py in: {tmp_path}"):
        resolve_strategy("nope", [tmp_path])


def test_module_must_define_exactly_one_strategy(tmp_path: Path) -> None:
    text = MODULE.format(name="two") + "\n\nclass Second(MyStrat):\n    name = 'two_b'\n"
    (tmp_path / "two.py").write_text(text)
    with pytest.raises(ConfigError, match=r"exactly one concrete Strategy subclass .*MyStrat, Second"):
        load_strategy_module(tmp_path / "two.py")


def test_class_name_must_match_the_file(tmp_path: Path) -> None:
    (tmp_path / "file_name.py").write_text(MODULE.format(name="other_name"))
    with pytest.raises(ConfigError, match="must equal the file name 'file_name'"):
        load_strategy_module(tmp_path / "file_name.py")


def test_import_failure_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("import does_not_exist_anywhere\n")
    with pytest.raises(ConfigError, match=r"broken.py failed to import: ModuleNotFoundError"):
        load_strategy_module(tmp_path / "broken.py")


def test_symbol_yaml_with_enabled_and_params(user_dir: Path) -> None:
    folder = user_dir / "my_strat"
    folder.mkdir()
    (folder / "BTCUSDT.yaml").write_text("enabled: false\nthreshold: 3\n")
    (folder / "ethusdt.yml").write_text("threshold: 4\n")
    cls = resolve_strategy("my_strat", [user_dir])
    configs = load_symbol_configs(user_dir, cls)
    assert sorted(configs) == ["BTCUSDT", "ETHUSDT"]
    assert configs["BTCUSDT"].enabled is False
    assert dict(configs["BTCUSDT"].params) == {"threshold": 3}
    assert configs["ETHUSDT"].enabled is True
    strategy = create_for_symbol(cls, configs["ETHUSDT"], base={"threshold": 1.5, "timeframe": "15m"})
    assert strategy.params.threshold == 4  # type: ignore[attr-defined]
    assert strategy.timeframe.name == "15m"


def test_unknown_yaml_key_names_file_key_and_allowed_keys(tmp_path: Path) -> None:
    file = tmp_path / "c_score" / "BTCUSDT.yaml"
    file.parent.mkdir()
    file.write_text("enabled: true\natr_sl_mul: 1.5\n")
    with pytest.raises(ConfigError) as err:
        load_symbol_config(file, get("c_score"))
    text = str(err.value)
    assert str(file) in text
    assert "unknown key 'atr_sl_mul'" in text
    assert "allowed keys: enabled, adx_period" in text
    assert "atr_sl_mult" in text


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("atr_sl_mult: -2\n", "atr_sl_mult = -2: Input should be greater than 0"),
        ("enabled: maybe\n", "'enabled' must be true or false"),
        ("- a\n- b\n", "must hold a mapping"),
        ("a: [1,\n", "not valid YAML"),
    ],
)
def test_bad_yaml_content_is_a_config_error_naming_the_file(tmp_path: Path, body: str, message: str) -> None:
    file = tmp_path / "XRPUSDT.yaml"
    file.write_text(body)
    with pytest.raises(ConfigError, match=r"XRPUSDT\.yaml") as err:
        load_symbol_config(file, get("c_score"))
    assert message in str(err.value)


def test_missing_yaml_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_symbol_config(tmp_path / "NOPE.yaml", get("c_score"))


def test_shipped_examples_load_and_apply() -> None:
    xrp = load_symbol_configs(CONFIGS, get("c_score"))["XRPUSDT"]
    strategy = create_for_symbol(get("c_score"), xrp)
    p = strategy.params
    assert (p.atr_sl_mult, p.atr_tp_mult, p.adx_threshold) == (1.5, 4.0, 25.0)  # type: ignore[attr-defined]
    eth = load_symbol_configs(CONFIGS, get("u_dual_momentum"))["ETHUSDT"]
    assert create_for_symbol(get("u_dual_momentum"), eth).context_symbols == ("BTCUSDT",)


def test_load_symbol_params_for_the_config_layer(tmp_path: Path) -> None:
    assert load_symbol_params(CONFIGS, "c_score", "XRPUSDT") == {
        "enabled": True, "atr_sl_mult": 1.5, "atr_tp_mult": 4.0, "adx_threshold": 25,
    }
    assert load_symbol_params(CONFIGS, "c_score", "BTCUSDT") == {}
    assert load_symbol_params(tmp_path, "not_loaded_yet", "BTCUSDT") == {}
    (tmp_path / "not_loaded_yet").mkdir()
    (tmp_path / "not_loaded_yet" / "btcusdt.yml").write_text("window: 5\n")
    assert load_symbol_params(tmp_path, "not_loaded_yet", "btcusdt") == {"window": 5}
    (tmp_path / "c_score").mkdir()
    (tmp_path / "c_score" / "ETHUSDT.yaml").write_text("adx: 3\n")
    with pytest.raises(ConfigError, match="unknown key 'adx'"):
        load_symbol_params(tmp_path, "c_score", "ETHUSDT")
