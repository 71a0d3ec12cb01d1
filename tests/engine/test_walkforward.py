"""Walk-forward (engine.walkforward): folds, embargo, in-sample selection, market context, P69."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from coinpilot.cli.research import walkforward_cmd
from coinpilot.data.store import CandleStore, sample_root
from coinpilot.domain.errors import ConfigError
from coinpilot.engine.fastrun import FastRunner
from coinpilot.engine.metrics import trade_stats
from coinpilot.engine.presets import preset
from coinpilot.engine.walkforward import MarketContext, make_folds, pf_ratio, regime, walk_forward
from coinpilot.indicators import adx
from coinpilot.strategies.marketdata import load_candles

SYMBOLS = ["BTCUSDT", "ETHUSDT", "XRPUSDT"]
LOOSE_C = {"signal_threshold": 2, "adx_threshold": 0, "volume_multiplier": 1.5}
UTC = "UTC"




def test_folds_roll_by_calendar_month_from_the_start_without_drift() -> None:
    folds = make_folds("2024-12-31", "2026-02-20", train_months=3, test_months=1, timeframe="15m")
    assert len(folds) == 10  # the bench's 14 months: tests 2025-03-31 … 2026-01-31
    assert folds[0].train == (pd.Timestamp("2024-12-31", tz=UTC), pd.Timestamp("2025-03-31", tz=UTC))
    assert [f.test_start.strftime("%m-%d") for f in folds[:4]] == ["03-31", "04-30", "05-31", "06-30"]
    for a, b in itertools.pairwise(folds):
        assert a.test_end == b.test_start  # out-of-sample windows tile the period
        assert a.train_end == a.test_start  # no embargo
    assert folds[-1].test_end == pd.Timestamp("2026-01-31", tz=UTC)
    assert folds[0].test_period == "2025-03-31 ~ 2025-04-29"
    partial = make_folds("2024-12-31", "2026-02-20", timeframe="15m", include_partial=True)
    assert len(partial) == 11
    assert partial[-1].test_end == pd.Timestamp("2026-02-20", tz=UTC)
    stepped = make_folds("2025-01-01", "2026-01-01", train_months=6, test_months=2, step_months=3, timeframe="1h")
    assert [f.test_start.month for f in stepped] == [7, 10]


def test_embargo_purges_the_end_of_each_training_window() -> None:
    folds = make_folds("2025-01-01", "2025-04-01", train_months=1, test_months=1, embargo_bars=24, timeframe="15m")
    for f in folds:
        assert f.test_start - f.train_end == pd.Timedelta(hours=6)
    with pytest.raises(ConfigError, match="no training data"):
        make_folds("2025-01-01", "2025-04-01", train_months=1, embargo_bars=10_000, timeframe="15m")
    with pytest.raises(ConfigError, match="no walk-forward fold fits"):
        make_folds("2025-01-01", "2025-03-01", train_months=3)
    with pytest.raises(ConfigError, match="test_months"):
        make_folds("2025-01-01", "2026-01-01", test_months=0)


def test_regime_labels_follow_c47() -> None:
    assert regime(30.0, 2.0) == "uptrend"
    assert regime(25.0, -0.1) == "downtrend"
    assert regime(24.9, 10.0) == "sideways"
    assert regime(30.0, 0.0) == "sideways"  # unspecified in the seed: no direction


def test_market_context_is_btc_and_eth_return_and_btc_mean_adx_of_the_window(store: CandleStore) -> None:
    window = (pd.Timestamp("2025-02-01", tz=UTC), pd.Timestamp("2025-03-01", tz=UTC))
    ctx = MarketContext(store, *window).for_window(window)
    btc = load_candles(store, "BTCUSDT", "15m", start="2025-01-01", end="2025-03-01")
    btc_adx = adx(btc["high"], btc["low"], btc["close"], 14)
    inside = (btc["open_time"] >= window[0]).to_numpy()
    close = btc["close"].to_numpy()[inside]
    assert ctx["btc_return_pct"] == pytest.approx(100 * (close[-1] / close[0] - 1))
    assert ctx["btc_avg_adx"] == pytest.approx(float(np.nanmean(btc_adx[inside])), rel=1e-6)
    assert ctx["eth_return_pct"] is not None
    assert ctx["ls_ratio"] is None
    assert ctx["market_regime"] == regime(ctx["btc_avg_adx"], ctx["btc_return_pct"])
    assert ctx["regime_label"] == f"{ctx['market_regime']} (BTC ADX {ctx['btc_avg_adx']:.1f})"
    empty = MarketContext(CandleStore(Path("/nonexistent")), *window).for_window(window)
    assert empty["market_regime"] is None
    assert empty["regime_label"].startswith("unknown")


def test_pf_ratio_flags_in_sample_figures_far_above_out_of_sample() -> None:
    assert pf_ratio(2.83, 0.09) == pytest.approx(31.44, abs=0.01)  # P66's SOL
    assert pf_ratio(1.0, 0.0) == math.inf
    assert math.isnan(pf_ratio(0.0, 0.0))


def test_fixed_params_walk_forward_aggregates_from_merged_trades_and_equity(store: CandleStore) -> None:
    """P69: the combined figures come from all out-of-sample trades, not from fold averages."""
    cfg = preset("realistic", "c_score", SYMBOLS, params=LOOSE_C)
    wf = walk_forward(cfg, store, train_months=1, test_months=1)
    assert len(wf.folds) == 2
    assert wf.sweep is None
    assert wf.summary["selection"] == "fixed params"
    trades = [t for f in wf.folds for t in f.result.trades]
    assert wf.oos.metrics.trades == len(trades) == wf.summary["trades"] > 50
    stats = trade_stats(np.array([float(t.net_pnl) for t in trades]))
    assert wf.summary["profit_factor"] == pytest.approx(stats["profit_factor"], rel=1e-12)
    assert wf.summary["net_pnl"] == pytest.approx(sum(f.result.metrics.net_pnl for f in wf.folds))
    # one equity curve over both test windows, starting from one balance
    assert wf.oos.equity.index[0] == wf.folds[0].fold.test_start + pd.Timedelta(minutes=15)
    assert wf.oos.equity.index[-1] == wf.folds[-1].fold.test_end
    assert wf.summary["max_drawdown_pct"] == wf.oos.metrics.max_drawdown_pct
    assert len({t.trade_id for t in trades}) == len(trades)
    for f in wf.folds:
        assert all(f.fold.test_start < t.entry_time and t.exit_time < f.fold.test_end for t in f.result.trades)
        assert f.params == cfg.params
        assert f.market_context["market_regime"] in ("uptrend", "downtrend", "sideways")
    assert wf.summary["pf_ratio"] == pytest.approx(wf.summary["is_profit_factor"] / wf.summary["profit_factor"])


def test_grid_selection_picks_the_best_in_sample_set_and_propagates_every_param(store: CandleStore) -> None:
    cfg = preset("realistic", "c_score", SYMBOLS, params={"adx_threshold": 0, "volume_multiplier": 1.5})
    grid = {"signal_threshold": [2, 3], "atr_tp_mult": [2.0, 4.0]}
    wf = walk_forward(cfg, store, train_months=1, test_months=1, grid=grid, embargo_bars=8)
    assert wf.sweep is not None
    assert len(wf.sweep.table) == 4
    per_fold = wf.sweep.per_fold
    by_combo = wf.sweep.table.set_index("combo")
    runner = FastRunner(cfg, store)
    for f in wf.folds:
        part = per_fold[per_fold["fold"] == f.fold.number]
        best = int(part.sort_values(["train_value", "combo"], ascending=[False, True]).iloc[0]["combo"])
        expected = {k: by_combo.loc[best, k].item() for k in grid}
        assert f.params == {**cfg.params, **expected}  # P59: fixed and chosen params together
        direct = runner.run(expected, windows=(f.fold.test,))[0]
        assert [float(t.net_pnl) for t in runner.trades(direct, reasons=False)] == [
            float(t.net_pnl) for t in f.result.trades]
        assert f.in_sample["profit_factor"] == pytest.approx(part.set_index("combo").loc[best, "train_value"])
        assert f.fold.train_end == f.fold.test_start - pd.Timedelta(hours=2)
    assert wf.summary["selection"] == "grid of 4 by in-sample profit_factor"


def test_walkforward_command_prints_folds_and_writes_json(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(walkforward_cmd)
    out = tmp_path / "wf.json"
    result = CliRunner().invoke(app, [
        "--symbols", "BTCUSDT,XRPUSDT", "--store", str(sample_root()), "--train-months", "1",
        "--test-months", "1", "--grid", "signal_threshold=2,3", "-p", "adx_threshold=0", "--workers", "1",
        "--out", str(out),
    ])
    assert result.exit_code == 0, result.output
    assert "walk-forward folds" in result.output
    assert "in-sample PF" in result.output
    data = json.loads(out.read_text())
    assert len(data["folds"]) == 2
    assert data["summary"]["folds"] == 2
    assert {"btc_return_pct", "eth_return_pct", "btc_avg_adx", "market_regime", "ls_ratio"} <= set(
        data["folds"][0]["market_context"])
    assert data["folds"][0]["test_period"] == "2025-02-01 ~ 2025-02-28"
