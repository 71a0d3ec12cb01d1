"""One configuration drives the research runs: file < env < options, checked before the run."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from coinpilot.cli.main import app
from coinpilot.config import load_settings
from coinpilot.data.store import CandleStore, sample_root
from coinpilot.domain.errors import ConfigError
from coinpilot.engine.backtest import Backtest
from coinpilot.engine.runconfig import RunOptions, backtest_config

runner = CliRunner()
SAMPLE = str(sample_root())


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No COINPILOT_* from the caller's environment and no .env in the working directory."""
    import os

    for name in list(os.environ):
        if name.upper().startswith("COINPILOT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_config_file_changes_the_backtest_and_lands_in_config_json(clean_env: Path) -> None:
    cfg_file = _write(clean_env / "my.yaml", """
symbols: [XRPUSDT]
exchange: {leverage: 3}
backtest: {end: "2025-02-15"}
strategies:
  c_score:
    params: {adx_threshold: 18, signal_threshold: 2}
""")
    base = ["backtest", "-s", "c_score", "--store", SAMPLE, "--quiet", "--no-report"]
    plain = runner.invoke(app, [*base, "--out", str(clean_env / "a"), "--end", "2025-02-15"])
    assert plain.exit_code == 0, plain.output
    configured = runner.invoke(app, ["--config", str(cfg_file), *base, "--out", str(clean_env / "b")])
    assert configured.exit_code == 0, configured.output
    a = json.loads(next((clean_env / "a").glob("c_score-*/config.json")).read_text())
    b = json.loads(next((clean_env / "b").glob("c_score-*/config.json")).read_text())
    assert a["symbols"] == ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "BNBUSDT", "DOGEUSDT"]
    assert (b["symbols"], b["leverage"], b["end"]) == (["XRPUSDT"], 3, "2025-02-15")
    assert b["params"]["adx_threshold"] == 18
    assert b["params"]["signal_threshold"] == 2
    # XRPUSDT's own file in configs/ is not read (no strategies_dir): the section's params apply
    trades_a = pd.read_csv(next((clean_env / "a").glob("c_score-*/trades.csv")))
    trades_b = pd.read_csv(next((clean_env / "b").glob("c_score-*/trades.csv")))
    assert len(trades_b) > 0
    assert set(trades_b["symbol"]) == {"XRPUSDT"}
    assert len(trades_a[trades_a["symbol"] == "XRPUSDT"]) != len(trades_b)


def test_options_beat_the_file_and_the_environment(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg_file = _write(clean_env / "my.yaml", "exchange: {leverage: 3}\nsymbols: [BTCUSDT]\n")
    monkeypatch.setenv("COINPILOT_EXCHANGE__LEVERAGE", "4")
    settings = load_settings(cfg_file)
    assert backtest_config(settings, "c_score").leverage == 4  # env over file
    assert backtest_config(settings, "c_score", RunOptions(leverage=2)).leverage == 2  # option over env
    assert backtest_config(settings, "c_score").symbols == ["BTCUSDT"]


def test_defaults_do_not_override_the_reference_preset(clean_env: Path) -> None:
    cfg = backtest_config(load_settings(), "ref_ema_cross", RunOptions(profile="reference"))
    assert cfg.leverage == 1
    assert not cfg.risk.enabled
    assert not cfg.sim.apply_filters
    written = backtest_config(load_settings(risk={"kill_switch": {"enabled": False}}), "c_score")
    assert not written.risk.kill_switch.enabled
    assert written.risk.losses == backtest_config(load_settings(), "c_score").risk.losses  # deep merge


def test_per_symbol_yaml_and_disabled_symbols(clean_env: Path) -> None:
    folder = clean_env / "strats" / "c_score"
    folder.mkdir(parents=True)
    _write(folder / "XRPUSDT.yaml", "atr_sl_mult: 1.5\natr_tp_mult: 4.0\n")
    _write(folder / "SOLUSDT.yaml", "enabled: false\n")
    cfg = backtest_config(load_settings(strategies_dir=clean_env / "strats"), "c_score")
    assert "SOLUSDT" not in cfg.symbols
    assert "XRPUSDT" in cfg.symbols
    assert cfg.symbol_params["XRPUSDT"] == {"atr_sl_mult": 1.5, "atr_tp_mult": 4.0}
    assert cfg.strategies_dir == str(clean_env / "strats")


@pytest.mark.parametrize(("yaml_text", "expected"), [
    ("exchange: {levrage: 3}\n", "exchange.levrage"),
    ("backtest: {profile: yolo}\n", "backtest.profile"),
    ("backtest: {sim: {taker_fe: 0.001}}\n", "taker_fe"),
    ("risk: {kill_switch: {fast_loses: 3}}\n", "risk.kill_switch.fast_loses"),
    ("backtest: {start: 2025-13-45}\n", "bad value"),
    ("strategies: {c_scroe: {params: {adx_threshold: 20}}}\n", "strategies.c_scroe"),
    ("strategies: {u_rsi: {params: {perod: 20}}}\n", "unknown parameter 'perod'"),
    ("strategies: {c_score: {overrides: {XRPUSDT: {atr_sl_mult: -1}}}}\n", "strategies.c_score.overrides.XRPUSDT"),
    ("backtest: {start: 'someday'}\n", "backtest.start"),
])
def test_typo_keys_and_bad_values_in_the_file_are_errors(clean_env: Path, yaml_text: str, expected: str) -> None:
    cfg_file = _write(clean_env / "bad.yaml", yaml_text)
    result = runner.invoke(app, ["--config", str(cfg_file), "backtest", "--store", SAMPLE, "--quiet"])
    assert result.exit_code != 0
    assert isinstance(result.exception, ConfigError)
    assert expected in str(result.exception)


def test_a_subrange_backtest_loads_warmup_history(clean_env: Path) -> None:
    """c_mtf_pullback on BTCUSDT from 2025-03-09 made 0 trades instead of the full run's 2."""
    store, settings = CandleStore(sample_root()), load_settings()
    start = pd.Timestamp("2025-03-09", tz="UTC")
    full = Backtest(backtest_config(settings, "c_mtf_pullback", RunOptions(symbols="BTCUSDT")), store).run()
    opts = RunOptions(symbols="BTCUSDT", start="2025-03-09")
    sub = Backtest(backtest_config(settings, "c_mtf_pullback", opts), store).run()
    cold_cfg = backtest_config(settings, "c_mtf_pullback", opts).model_copy(update={"warmup": False})
    cold = Backtest(cold_cfg, store).run()

    def key(trades: list) -> list:
        return [(t.side, t.entry_time, t.exit_time, t.entry_price, t.exit_price) for t in trades]

    inside = [t for t in full.trades if t.entry_time >= start]
    assert len(inside) >= 2
    assert key(sub.trades) == key(inside)
    assert len(cold.trades) < len(inside)  # without the history the first signals are lost
    assert sub.equity.index[0] >= start  # the warm-up is not traded or shown


@pytest.mark.parametrize("strategy", ["ref_ema_cross", "c_score", "u_rsi", "w_atr_rule"])
def test_warmed_up_signals_equal_the_full_history_ones(clean_env: Path, strategy: str) -> None:
    store, settings = CandleStore(sample_root()), load_settings()
    opts = RunOptions(symbols="ETHUSDT", start="2025-02-10")
    full = Backtest(backtest_config(settings, strategy, RunOptions(symbols="ETHUSDT")), store)
    sub = Backtest(backtest_config(settings, strategy, opts), store)
    cut = full.data["ETHUSDT"].candles["open_time"] >= pd.Timestamp("2025-02-10", tz="UTC")
    expected = full.prepared["ETHUSDT"].loc[cut.to_numpy(), ["signal", "exit"]].reset_index(drop=True)
    assert sub.data["ETHUSDT"].candles["open_time"].iloc[0] == pd.Timestamp("2025-02-10", tz="UTC")
    pd.testing.assert_frame_equal(sub.prepared["ETHUSDT"][["signal", "exit"]], expected)


@pytest.mark.parametrize(("args", "expected"), [
    (["--start", "notadate"], "--start: not a time: 'notadate'"),
    (["--end", "2025-13-45"], "--end: not a time"),
    (["--start", "2025-03-01", "--end", "2025-02-01"], "is not before --end"),
    (["--profile", "yolo"], "--profile 'yolo': choose one of realistic, reference"),
    (["--profile", "ft_compat"], "--profile 'ft_compat'"),
    (["--timeframe", "7x"], "unknown timeframe '7x'"),
    (["--balance", "-5"], "--balance -5.0: give a positive amount"),
    (["--balance", "1e15"], "up to 1e12"),
    (["--leverage", "0"], "leverage"),
    (["--symbols", "../../../../tmp/x"], "not a plain symbol name"),
    (["--symbols", " , "], "--symbols is empty"),
    (["-p", "nosuch=1"], "unknown parameter 'nosuch'"),
    (["-p", "noequals"], "is not key=value"),
    (["--strategies-dir", "/nonexistent/dir"], "not a directory"),
    (["--rerun", "/nonexistent/run"], "no config.json"),
])
def test_bad_backtest_options_are_one_line_errors(clean_env: Path, args: list[str], expected: str) -> None:
    result = runner.invoke(app, ["backtest", "-s", "c_score", "--store", SAMPLE, "--quiet", "--no-report",
                                 "--out", str(clean_env / "r"), *args])
    assert result.exit_code != 0
    text = str(result.exception) if result.exception and not isinstance(result.exception, SystemExit) else result.output
    assert expected in text, text
    assert not (clean_env / "r").exists() or not any((clean_env / "r").glob("*/trades.csv"))


def test_truncated_rerun_config_is_an_error(clean_env: Path) -> None:
    run = clean_env / "run"
    run.mkdir()
    (run / "config.json").write_text('{"strategy": "c_score", "symb')
    result = runner.invoke(app, ["backtest", "--rerun", str(run), "--store", SAMPLE, "--quiet"])
    assert isinstance(result.exception, ConfigError)
    assert "not a readable run config" in str(result.exception)


def test_funding_is_paid_on_the_stored_mark_price(clean_env: Path) -> None:
    """The mark-price series was loaded into the store but never used: funding took the bar's open."""
    from coinpilot.domain.candles import SeriesKey

    store = CandleStore(sample_root())
    result = Backtest(backtest_config(load_settings(), "c_score", RunOptions(symbols="XRPUSDT,BTCUSDT")), store).run()
    assert len(result.funding) > 0
    for symbol, rows in result.funding.groupby("symbol"):
        mark = store.load(SeriesKey("binance", "futures", str(symbol), "mark-1h")).set_index("open_time")["open"]
        expected = mark.reindex(pd.DatetimeIndex(rows["time"])).to_numpy()
        assert (rows["mark_price"].to_numpy() == expected).all()
        candles = result.candles[str(symbol)].set_index("open_time")["open"]
        assert (rows["mark_price"].to_numpy() != candles.reindex(pd.DatetimeIndex(rows["time"])).to_numpy()).any()
