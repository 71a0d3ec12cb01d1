"""The config reference must name every field, so docs/config.md cannot drift from the model."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import yaml
from pydantic import BaseModel

from coinpilot.config import load_settings
from coinpilot.config.settings import (
    BacktestSettings,
    ExchangeSettings,
    Secrets,
    Settings,
    StrategySection,
)
from coinpilot.risk import config as risk

DOC = (Path(__file__).resolve().parents[2] / "docs" / "config.md").read_text()
EXAMPLE = Path(__file__).resolve().parents[2] / "configs" / "example.yaml"


def test_every_field_is_documented() -> None:
    for model in (Settings, ExchangeSettings, BacktestSettings, StrategySection, Secrets):
        for name in model.model_fields:
            if name == "yaml_path":
                continue
            assert f"`{name}`" in DOC or name in DOC, f"{model.__name__}.{name} missing from docs/config.md"


def test_example_config_loads() -> None:
    settings = load_settings(EXAMPLE)
    assert settings.strategy_params("c_score", "XRPUSDT")["atr_tp_mult"] == 4.0


# every risk model, under the path a user writes (`risk.losses.max_drawdown`)
RISK_SECTIONS: dict[str, type[BaseModel]] = {
    "risk": risk.RiskConfig, "risk.gates": risk.GateConfig, "risk.sizing": risk.SizingConfig,
    "risk.sizing.fixed_notional": risk.FixedNotionalConfig,
    "risk.sizing.balance_fraction": risk.BalanceFractionConfig,
    "risk.sizing.fixed_risk": risk.FixedRiskConfig,
    "risk.sizing.dynamic_margin": risk.DynamicMarginConfig, "risk.sizing.kelly": risk.KellyConfig,
    "risk.positions": risk.PositionLimitConfig, "risk.losses": risk.LossLimitConfig,
    "risk.kill_switch": risk.KillSwitchConfig, "risk.funding": risk.FundingBlackoutConfig,
}


def _plain(value: object) -> object:
    """A default as YAML would read it back from the docs (tuples as lists, Decimals as floats)."""
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return float(value)
    return value


def test_every_risk_field_is_documented_with_its_default() -> None:
    rows = {
        cells[1].strip(): cells
        for line in DOC.splitlines() if line.startswith("| `risk.")
        for cells in [re.split(r"(?<!\\)\|", line)]  # `\|` inside a cell is not a border
    }
    for section, model in RISK_SECTIONS.items():
        for name, field in model.model_fields.items():
            default = field.get_default(call_default_factory=True)
            if isinstance(default, BaseModel):  # documented field by field under its own path
                assert any(r.startswith(f"`{section}.{name}.") for r in rows), f"{section}.{name} undocumented"
                continue
            path = f"`{section}.{name}`"
            assert path in rows, f"{path} missing from docs/config.md"
            shown = yaml.safe_load(rows[path][3].strip().strip("`"))
            assert _plain(shown) == _plain(default), f"{path}: docs say {shown!r}, the model {default!r}"
