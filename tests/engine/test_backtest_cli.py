"""`coinpilot backtest` end to end on the bundled sample: outputs, rerun, bad input."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from coinpilot.cli.backtest import backtest_cmd
from coinpilot.data.store import CandleStore, sample_root
from coinpilot.domain.errors import ConfigError, DataError, UnknownStrategyError
from coinpilot.engine.backtest import Backtest, BacktestConfig
from coinpilot.engine.presets import preset

app = typer.Typer()
app.command()(backtest_cmd)
runner = CliRunner()


def test_backtest_writes_journal_metrics_report_and_reruns_identically(tmp_path: Path) -> None:
    args = ["--strategy", "c_score", "--symbols", "BTCUSDT,XRPUSDT", "--end", "2025-02-01",
            "--store", str(sample_root()), "--out", str(tmp_path), "--quiet"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    run_dir = next(p for p in tmp_path.iterdir() if p.is_dir())
    assert (tmp_path / "backtests.db").exists()  # the journal also lands in the database
    for name in ("trades.csv", "equity.csv", "metrics.json", "config.json", "report.html"):
        assert (run_dir / name).exists(), name
    assert "c_score" in first.output
    again = runner.invoke(app, ["--rerun", str(run_dir), "--store", str(sample_root()), "--out",
                                str(tmp_path / "again"), "--quiet"])
    assert again.exit_code == 0, again.output
    rerun_dir = next(p for p in (tmp_path / "again").iterdir() if p.is_dir())
    a = pd.read_csv(run_dir / "trades.csv")
    b = pd.read_csv(rerun_dir / "trades.csv")
    assert len(a) > 0
    pd.testing.assert_frame_equal(a.drop(columns=["trade_id"], errors="ignore"),
                                  b.drop(columns=["trade_id"], errors="ignore"))
    assert json.loads((run_dir / "config.json").read_text())["strategy"] == "c_score"


def test_unknown_strategy_is_a_clear_error() -> None:
    with pytest.raises(UnknownStrategyError, match="c_scor"):
        Backtest(preset("realistic", "c_scor", ["BTCUSDT"]), CandleStore(sample_root()))


def test_empty_period_is_a_clear_error() -> None:
    cfg = preset("realistic", "ref_ema_cross", ["BTCUSDT"], start="2030-01-01", end="2030-02-01")
    with pytest.raises(DataError, match=r"empty period|no candles"):
        Backtest(cfg, CandleStore(sample_root()))


def test_missing_funding_warns_or_fails_as_configured(tmp_path: Path) -> None:
    store = CandleStore(tmp_path)
    from coinpilot.domain.candles import SeriesKey

    candles = CandleStore(sample_root()).load(SeriesKey("binance", "futures", "BTCUSDT", "5m"), end="2025-01-10")
    store.save(SeriesKey("binance", "futures", "BTCUSDT", "5m"), candles)
    warn = Backtest(preset("realistic", "ref_ema_cross", ["BTCUSDT"]), store)
    assert any("funding" in w for w in warn.warnings)
    strict = preset("realistic", "ref_ema_cross", ["BTCUSDT"])
    strict = strict.model_copy(update={"sim": strict.sim.model_copy(update={"missing_funding": "error"})})
    with pytest.raises(DataError, match="missing funding"):
        Backtest(strict, store)


def test_impossible_size_and_leverage_above_tier_are_reported_not_traded() -> None:
    cfg = preset("realistic", "ref_ema_cross", ["BTCUSDT"], end="2025-01-20", leverage=125)
    # 10 USDT positions cannot meet BTCUSDT's minimum notional; 125x is above the tier for any size
    risk = cfg.risk.model_copy(update={"sizing": cfg.risk.sizing.model_copy(
        update={"mode": "fixed_notional",
                "fixed_notional": cfg.risk.sizing.fixed_notional.model_copy(update={"notional": Decimal(10)})})})
    result = Backtest(cfg.model_copy(update={"risk": risk}), CandleStore(sample_root())).run()
    assert result.trades == []
    assert len(result.rejections) > 0
    assert set(result.rejections["rule"]) & {"min_notional", "leverage_tier", "quantity_filter", "sizing"}


def test_bad_stored_config_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"stored run config is invalid:\n  symbols = "):
        BacktestConfig.from_stored({"strategy": "c_score"})
    with pytest.raises(ConfigError, match=r"no config\.json"):
        backtest_cmd(rerun=tmp_path, quiet=True, out=tmp_path)


def test_bad_option_values_name_the_field_instead_of_a_traceback(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--margin-mode 'crossed': choose isolated or cross"):
        backtest_cmd(strategy=["c_score"], symbols="BTCUSDT", margin_mode="crossed",
                     store=sample_root(), out=tmp_path, quiet=True, report=False)
    with pytest.raises(ConfigError, match="--clock 'bogus': choose sparse"):
        backtest_cmd(strategy=["c_score"], symbols="BTCUSDT", clock="bogus",
                     store=sample_root(), out=tmp_path, quiet=True, report=False)
    with pytest.raises(ConfigError, match="choose oneway or hedge"):
        backtest_cmd(strategy=["c_score"], symbols="BTCUSDT", position_mode="both", store=sample_root(),
                     out=tmp_path, quiet=True, report=False)


def test_hedge_position_mode_from_the_command_line(tmp_path: Path) -> None:
    args = ["--strategy", "c_score", "--symbols", "BTCUSDT", "--end", "2025-02-01", "--position-mode", "hedge",
            "--margin-mode", "cross", "--store", str(sample_root()), "--out", str(tmp_path), "--quiet", "--no-report"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    run_dir = next(p for p in tmp_path.iterdir() if p.is_dir())
    sim = json.loads((run_dir / "config.json").read_text())["sim"]
    assert (sim["hedge_mode"], sim["margin_mode"]) == (True, "cross")
