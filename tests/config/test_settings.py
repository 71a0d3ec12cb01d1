from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from coinpilot.config import load_settings
from coinpilot.domain.errors import ConfigError, MissingSecretError


def _yaml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "coinpilot.yaml"
    path.write_text(text)
    return path


def test_defaults_need_no_file_and_no_secret() -> None:
    settings = load_settings()
    assert settings.mode == "backtest"
    assert settings.exchange.venue == "binance"


def test_yaml_then_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _yaml(tmp_path, "mode: paper\nsymbols: [xrpusdt]\nexchange: {leverage: 20, margin_mode: cross}\n")
    monkeypatch.setenv("COINPILOT_EXCHANGE__LEVERAGE", "7")
    settings = load_settings(path)
    assert settings.mode == "paper"
    assert settings.symbols == ["XRPUSDT"]
    assert settings.exchange.leverage == 7  # env wins
    assert settings.exchange.margin_mode == "cross"  # YAML kept where env is silent


def test_dotenv_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("COINPILOT_SYMBOLS=BTCUSDT, SOLUSDT\n")
    assert load_settings().symbols == ["BTCUSDT", "SOLUSDT"]


def test_wrong_type_names_field_value_and_rule(tmp_path: Path) -> None:
    path = _yaml(tmp_path, "exchange: {leverage: lots}\n")
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    text = str(err.value)
    assert "exchange.leverage" in text
    assert "'lots'" in text
    assert "integer" in text


def test_out_of_range_leverage_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"exchange.leverage = 200.*less than or equal to 125"):
        load_settings(_yaml(tmp_path, "exchange: {leverage: 200}\n"))


def test_unknown_key_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="levrage"):
        load_settings(_yaml(tmp_path, "exchange: {levrage: 5}\n"))


def test_bad_timeframe_and_mode(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="timeframe"):
        load_settings(_yaml(tmp_path, "timeframe: 7x\n"))
    with pytest.raises(ConfigError, match="mode"):
        load_settings(_yaml(tmp_path, "mode: yolo\n"))


def test_missing_file_and_broken_yaml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings(_yaml(tmp_path, "mode: [unclosed\n"))


def test_live_mode_needs_confirmation_and_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="live_confirm"):
        load_settings(mode="live")
    with pytest.raises(MissingSecretError, match="COINPILOT_SECRETS__BINANCE_API_KEY"):
        load_settings(mode="live", live_confirm=True)
    monkeypatch.setenv("COINPILOT_SECRETS__BINANCE_API_KEY", "k" * 64)
    monkeypatch.setenv("COINPILOT_SECRETS__BINANCE_API_SECRET", "s" * 64)
    assert load_settings(mode="live", live_confirm=True).mode == "live"


def test_testnet_needs_testnet_keys_and_upbit_has_no_testnet(tmp_path: Path) -> None:
    with pytest.raises(MissingSecretError, match="BINANCE_TESTNET_API_KEY"):
        load_settings(mode="testnet")
    with pytest.raises(ConfigError, match="no testnet"):
        load_settings(_yaml(tmp_path, "mode: testnet\nexchange: {venue: upbit, market: spot}\n"))
    with pytest.raises(ConfigError, match="spot"):
        load_settings(_yaml(tmp_path, "exchange: {venue: upbit}\n"))


def test_secrets_in_yaml_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="only from the environment"):
        load_settings(_yaml(tmp_path, "secrets: {binance_api_key: abc}\n"))


def test_secret_never_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "VERYSECRETKEY123"
    monkeypatch.setenv("COINPILOT_SECRETS__BINANCE_API_KEY", secret)
    settings = load_settings()
    assert secret not in repr(settings)
    assert secret not in str(settings.masked_dump())
    assert settings.masked_dump()["secrets"]["binance_api_key"] == "**********"
    assert settings.secrets.binance_api_key is not None
    assert settings.secrets.binance_api_key.get_secret_value() == secret


def test_config_show_masks_secrets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from coinpilot.cli.config_cmd import app

    monkeypatch.setenv("COINPILOT_SECRETS__UPBIT_SECRET_KEY", "TOPSECRET999")
    monkeypatch.setenv("COINPILOT_CONFIG", str(_yaml(tmp_path, "symbols: [SOLUSDT]\n")))
    result = CliRunner().invoke(app, ["show"])
    assert result.exit_code == 0, result.output
    assert "TOPSECRET999" not in result.output
    assert "upbit_secret_key: '**********'" in result.output
    assert "SOLUSDT" in result.output


def test_per_symbol_overrides_merge(tmp_path: Path) -> None:
    path = _yaml(
        tmp_path,
        "strategies:\n  c_score:\n    params: {atr_sl_mult: 2.0, adx_threshold: 20}\n"
        "    overrides:\n      XRPUSDT: {atr_sl_mult: 1.5, atr_tp_mult: 4.0}\n",
    )
    settings = load_settings(path)
    assert settings.strategy_params("c_score", "xrpusdt") == {
        "atr_sl_mult": 1.5, "adx_threshold": 20, "atr_tp_mult": 4.0,
    }
    assert settings.strategy_params("c_score", "BTCUSDT") == {"atr_sl_mult": 2.0, "adx_threshold": 20}
