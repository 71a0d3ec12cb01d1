"""Sweeps (engine.sweep) and their executors, on the bundled sample with small grids."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from coinpilot.cli.research import parse_grid, sweep_cmd
from coinpilot.data.store import sample_root
from coinpilot.domain.errors import ConfigError
from coinpilot.engine import executors
from coinpilot.engine.executors import (
    DaskExecutor,
    LocalExecutor,
    SerialExecutor,
    make_executor,
    worker_cached,
)
from coinpilot.engine.fastrun import FastRunner
from coinpilot.engine.presets import preset
from coinpilot.engine.sweep import C48_GRID, expand_grid, run_grid, run_optuna
from coinpilot.engine.walkforward import make_folds

SYMBOLS = ["BTCUSDT", "XRPUSDT", "SOLUSDT"]
GRID = {"atr_sl_mult": [1.0, 2.0], "signal_threshold": [2, 3], "volume_multiplier": [1.5, 2.5]}




@pytest.fixture(scope="module")
def cfg():  # type: ignore[no-untyped-def]
    return preset("realistic", "c_score", SYMBOLS, params={"adx_threshold": 0})


@pytest.fixture(scope="module")
def folds():  # type: ignore[no-untyped-def]
    return make_folds("2025-01-01", "2025-04-01", train_months=1, test_months=1, timeframe="15m")


@pytest.fixture(scope="module")
def serial(store, cfg, folds):  # type: ignore[no-untyped-def]
    return run_grid(cfg, store, GRID, folds=folds, train_stats=True)


def test_c48_grid_has_324_distinct_sets_and_neighbours_share_indicators() -> None:
    combos = expand_grid(C48_GRID)
    assert len(combos) == 324
    assert len({tuple(sorted(c.items())) for c in combos}) == 324
    assert combos[0] == {"atr_sl_mult": 1.0, "atr_tp_mult": 2.0, "signal_threshold": 3, "adx_threshold": 0,
                         "volume_multiplier": 1.5}
    assert combos[1]["volume_multiplier"] == 2.0  # the last key varies fastest
    with pytest.raises(ConfigError, match="non-empty list"):
        expand_grid({"atr_sl_mult": []})


def test_rows_are_ranked_by_out_of_sample_profit_factor_then_net_pnl(serial) -> None:  # type: ignore[no-untyped-def]
    t = serial.table
    assert len(t) == 8
    assert list(t["rank"]) == list(range(1, 9))
    assert list(t.columns[:4]) == ["rank", "atr_sl_mult", "signal_threshold", "volume_multiplier"]
    keys = list(zip(t["profit_factor"], t["net_pnl"], strict=True))
    assert keys == sorted(keys, reverse=True)
    for col in ("trades", "win_rate_pct", "max_drawdown_pct", "sharpe", "is_profit_factor", "full_profit_factor",
                "pf_ratio", "overfit", "profitable_folds"):
        assert col in t.columns
    ratio = t["full_profit_factor"] / t["profit_factor"]
    pd.testing.assert_series_equal(t["pf_ratio"], ratio, check_names=False)  # P66
    assert (t["overfit"] == (t["pf_ratio"] >= 2)).all()
    assert serial.best() == {k: t.iloc[0][k] for k in GRID}


def test_out_of_sample_figures_come_from_merged_fold_trades_and_portfolio_equity(store, cfg, folds, serial) -> None:  # type: ignore[no-untyped-def]
    """P69: recompute the top row from the fold trades with the engine's own result builder."""
    row = serial.table.iloc[0]
    params = {k: row[k].item() for k in GRID}
    runner = FastRunner(cfg, store)
    tests = runner.run(params, [f.test for f in folds])
    trades = [t for k, runs in enumerate(tests) for t in runner.trades(runs, reasons=False, id_prefix=f"f{k}-")]
    merged = runner.assemble(trades, [r for runs in tests for r in runs], (folds[0].test_start, folds[-1].test_end))
    m = merged.metrics
    assert row["trades"] == m.trades > 20
    for name in ("profit_factor", "net_pnl", "win_rate_pct", "max_drawdown_pct", "sharpe"):
        assert row[name] == pytest.approx(getattr(m, name), rel=1e-9), name
    per_fold = serial.per_fold[serial.per_fold["combo"] == row["combo"]]
    assert list(per_fold["test_trades"]) == [len([t for t in trades if t.trade_id.split("-")[1] == f"f{k}"])
                                            for k in range(len(folds))]
    full = runner.stats(runner.run(params)[0])
    assert row["full_profit_factor"] == full["profit_factor"]


def test_min_trades_and_metric_direction_change_the_order(store, cfg) -> None:  # type: ignore[no-untyped-def]
    grid = {"signal_threshold": [2, 3, 4]}
    plain = run_grid(cfg, store, grid, metric="max_drawdown_pct")
    assert list(plain.table["max_drawdown_pct"]) == sorted(plain.table["max_drawdown_pct"])  # lower is better
    busy = int(plain.table["trades"].max())
    strict = run_grid(cfg, store, grid, metric="max_drawdown_pct", min_trades=busy)
    assert strict.table.iloc[0]["trades"] == busy
    assert strict.table.iloc[0]["eligible"]
    assert not strict.table.iloc[-1]["eligible"]
    with pytest.raises(ConfigError, match="unknown metric"):
        run_grid(cfg, store, grid, metric="pnl")
    with pytest.raises(ConfigError, match="signal_threshold"):
        run_grid(cfg, store, {"signal_threshold": [0]})  # validated before any task is sent


def test_results_are_written_as_csv_and_json_with_infinity_spelled_out(serial, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = dataclasses.replace(serial, table=serial.table.copy())
    result.table.loc[0, "profit_factor"] = math.inf
    data = json.loads(result.write(tmp_path / "s.json").read_text())
    assert data["rows"][0]["profit_factor"] == "Infinity"
    assert len(data["folds"]) == 2
    assert data["metric"] == "profit_factor"
    csv = pd.read_csv(result.write(tmp_path / "s.csv"))
    assert list(csv.columns) == list(result.table.columns)
    assert len(csv) == 8


def test_worker_cache_builds_once_per_process_and_forgets_the_oldest() -> None:
    executors.clear_worker_cache()
    calls: list[str] = []
    for key in ("a", "a", "b", "a"):
        worker_cached(key, lambda k=key: calls.append(k) or k, max_items=2)  # type: ignore[func-returns-value]
    assert calls == ["a", "b"]
    worker_cached("c", lambda: "c", max_items=2)  # 'b' is the least recently used: dropped
    worker_cached("a", lambda: calls.append("a2") or "a", max_items=2)  # type: ignore[func-returns-value]
    worker_cached("b", lambda: calls.append("b2") or "b", max_items=2)  # type: ignore[func-returns-value]
    assert calls == ["a", "b", "b2"]
    executors.clear_worker_cache()


def test_local_process_pool_gives_the_same_table_as_this_process(store, cfg, folds, serial) -> None:  # type: ignore[no-untyped-def]
    with LocalExecutor(2) as pool:
        assert pool.workers == 2
        assert pool.start_method in ("forkserver", "spawn")
        parallel = run_grid(cfg, store, GRID, folds=folds, executor=pool, train_stats=True)
    assert parallel.executor == "2 local processes"
    pd.testing.assert_frame_equal(parallel.table, serial.table)
    pd.testing.assert_frame_equal(parallel.per_fold, serial.per_fold)


def test_make_executor_picks_serial_local_or_refuses() -> None:
    assert isinstance(make_executor(1), SerialExecutor)
    with make_executor(2) as ex:
        assert isinstance(ex, LocalExecutor)
    with pytest.raises(ConfigError):
        make_executor(0)
    with pytest.raises(ConfigError, match="Dask scheduler"):
        DaskExecutor("tcp://127.0.0.1:1", timeout_s=1)


def test_dask_cluster_gives_the_same_table_as_this_process(store, cfg, folds, serial) -> None:  # type: ignore[no-untyped-def]
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, DaskExecutor(cluster.scheduler_address) as dask:
        assert dask.workers == 2
        result = run_grid(cfg, store, GRID, folds=folds, executor=dask, train_stats=True)
    assert result.executor.startswith("Dask at tcp://127.0.0.1")
    pd.testing.assert_frame_equal(result.table, serial.table)


def test_optuna_study_is_seeded_prunes_on_fold_values_and_resumes_from_sqlite(store, cfg, folds,
                                                                             tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import optuna

    space = {"atr_sl_mult": [1.0, 1.5, 2.0], "atr_tp_mult": (1.5, 4.0), "signal_threshold": (2, 3)}
    a = run_optuna(cfg, store, space, 6, folds=folds)
    b = run_optuna(cfg, store, space, 6, folds=folds)
    pd.testing.assert_frame_equal(a.table, b.table)  # TPESampler(seed=42)
    assert isinstance(a.study.sampler, optuna.samplers.TPESampler)
    assert isinstance(a.study.pruner, optuna.pruners.MedianPruner)
    assert (a.study.pruner._n_startup_trials, a.study.pruner._n_warmup_steps) == (5, 3)
    trial = a.study.trials[0]
    assert len(trial.intermediate_values) == len(folds)  # one step per out-of-sample fold
    assert set(a.table["state"]) <= {"complete", "pruned"}
    assert len(a.table) == 6
    assert all(isinstance(v, float) and 1.5 <= v <= 4.0 for v in a.table["atr_tp_mult"])
    assert set(a.table["signal_threshold"]) <= {2, 3}
    url = f"sqlite:///{tmp_path / 'study.db'}"
    run_optuna(cfg, store, space, 3, folds=folds, storage=url, study_name="c48")
    resumed = run_optuna(cfg, store, space, 2, folds=folds, storage=url, study_name="c48")
    assert len(resumed.study.trials) == 5
    assert resumed.extra["storage"] == url
    complete = a.table[a.table["state"] == "complete"]
    assert (complete["objective"] == complete["profit_factor"].clip(upper=1e12)).all()
    assert a.extra["best_trial"] == complete.loc[complete["objective"].idxmax(), "trial"]


def test_optuna_runs_on_a_process_pool_in_batches(store, cfg) -> None:  # type: ignore[no-untyped-def]
    with LocalExecutor(2) as pool:
        result = run_optuna(cfg, store, {"signal_threshold": [2, 3], "atr_sl_mult": [1.0, 2.0]}, 4, executor=pool)
    assert len(result.table) == 4
    assert result.executor == "2 local processes"
    assert result.table["objective"].notna().all()


def test_parse_grid_reads_lists_and_ranges() -> None:
    assert parse_grid(["atr_sl_mult=1.0,1.5", "signal_threshold=3, 4"]) == {
        "atr_sl_mult": [1.0, 1.5], "signal_threshold": [3, 4]}
    assert parse_grid(["atr_tp_mult=2:4"], ranges=True) == {"atr_tp_mult": (2, 4)}
    for bad in (["atr_sl_mult"], ["=1,2"], ["atr_tp_mult=4:2"]):
        with pytest.raises(typer.BadParameter):
            parse_grid(bad, ranges=True)
    with pytest.raises(typer.BadParameter, match="needs --optuna"):
        parse_grid(["atr_tp_mult=2:4"])


def test_sweep_command_prints_the_ranking_and_writes_json(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(sweep_cmd)
    out = tmp_path / "sweep.json"
    result = CliRunner().invoke(app, [
        "--symbols", "BTCUSDT,XRPUSDT", "--store", str(sample_root()), "--grid", "atr_sl_mult=1.0,2.0",
        "--grid", "signal_threshold=2,3", "--train-months", "1", "--test-months", "1", "--workers", "1",
        "--out", str(out),
    ])
    assert result.exit_code == 0, result.output
    assert "4 sets by out-of-sample profit_factor" in result.output
    assert "never auto-applied" in result.output
    assert "risk rules" in result.output
    data = json.loads(out.read_text())
    assert len(data["rows"]) == 4
    assert len(data["folds"]) == 2
    bad = CliRunner().invoke(app, ["--store", str(sample_root()), "--workers", "1"])
    assert bad.exit_code != 0
    assert "nothing to sweep" in bad.output
