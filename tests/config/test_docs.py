"""The config reference must name every field, so docs/config.md cannot drift from the model."""

from __future__ import annotations

from pathlib import Path

from coinpilot.config import load_settings
from coinpilot.config.settings import (
    BacktestSettings,
    ExchangeSettings,
    Secrets,
    Settings,
    StrategySection,
)

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
