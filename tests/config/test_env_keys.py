"""Unknown COINPILOT_* names are errors; other programs' .env keys are ignored; nothing echoes secrets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coinpilot.cli.main import app
from coinpilot.config import load_settings
from coinpilot.config.loader import unknown_env_keys
from coinpilot.config.settings import mask_url
from coinpilot.domain.errors import ConfigError

runner = CliRunner()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in list(os.environ):
        if name.upper().startswith("COINPILOT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_typo_in_the_environment_stops_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COINPILOT_LEVRAGE", "5")
    with pytest.raises(ConfigError, match="COINPILOT_LEVRAGE in the environment: no such setting") as info:
        load_settings()
    assert "COINPILOT_EXCHANGE__LEVERAGE" in str(info.value)  # the suggestion
    assert "'5'" not in str(info.value)


def test_known_nested_names_pass() -> None:
    assert unknown_env_keys([
        "COINPILOT_EXCHANGE__LEVERAGE", "COINPILOT_RISK__KILL_SWITCH__ENABLED", "COINPILOT_CONFIG",
        "COINPILOT_STRATEGIES__C_SCORE__PARAMS__ADX_THRESHOLD", "COINPILOT_BACKTEST__SIM__TAKER_FEE",
        "COINPILOT_SECRETS__BINANCE_API_KEY", "OTHER_PROGRAM_VAR",
    ]) == []
    assert unknown_env_keys(["COINPILOT_RISK__KILL_SWITCH__FAST_LOSES", "COINPILOT_EXCHANGE__LEVERAGE__X"]) == [
        "COINPILOT_EXCHANGE__LEVERAGE__X", "COINPILOT_RISK__KILL_SWITCH__FAST_LOSES"]


def test_foreign_dotenv_keys_are_ignored_and_never_printed(clean_env: Path) -> None:
    (clean_env / ".env").write_text("DATABASE_PASSWORD=hunter2-secret\nCOINPILOT_EXCHANGE__LEVERAGE=7\n")
    assert load_settings().exchange.leverage == 7
    (clean_env / ".env").write_text("DATABASE_PASSWORD=hunter2-secret\nCOINPILOT_LEVRAGE=topsecret9\n")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "COINPILOT_LEVRAGE in the .env" in str(info.value)
    assert "hunter2" not in str(info.value)
    assert "topsecret9" not in str(info.value)


def test_a_bad_value_from_dotenv_names_the_field_only_for_plain_fields(clean_env: Path) -> None:
    (clean_env / ".env").write_text("COINPILOT_EXCHANGE__LEVERAGE=lots\nCOINPILOT_SECRETS__BINANCE_API_KEY=k\n")
    with pytest.raises(ConfigError, match=r"exchange\.leverage = 'lots'"):
        load_settings()


def test_database_passwords_are_masked() -> None:
    assert mask_url("postgresql+psycopg://bot:s3cret@db:5432/coinpilot") == "postgresql+psycopg://bot:***@db:5432/coinpilot"
    assert mask_url("sqlite:///coinpilot.db") == "sqlite:///coinpilot.db"
    assert "s3cret" not in mask_url("not a url://bot:s3cret@host")


def test_config_show_hides_the_db_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COINPILOT_DB_URL", "postgresql://bot:s3cret@localhost/cp")
    monkeypatch.setenv("COINPILOT_SECRETS__BINANCE_API_KEY", "abcd-key-value")
    result = runner.invoke(app, ["config", "show"])
    assert result.exit_code == 0, result.output
    assert "s3cret" not in result.output
    assert "abcd-key-value" not in result.output
    assert "postgresql://bot:***@localhost/cp" in result.output
