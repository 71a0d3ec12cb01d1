"""Parameter sweeps: a grid or an Optuna study, each parameter set judged out of sample.

Each parameter set is run on the fast path (engine.fastrun) over every symbol and:
- the whole period: the figure a plain sweep reports (`full_*` columns);
- with folds (engine.walkforward), each test window (the out-of-sample columns, from the
  merged test trades and portfolio equity, P69) and each train window (`is_profit_factor`
  and the per-fold values a walk-forward selects on).
Rows are ranked by the out-of-sample metric (default profit factor, then net PnL, C48), with
`pf_ratio` = full-period PF / walk-forward PF: P66 found a symbol that a full-period sweep
liked (PF 2.83) failing out of sample (0.09); a ratio of 2 or more is flagged `overfit`.
The best row is reported, never applied to any config.

Work is split into chunks of parameter sets run by an executor (engine.executors). A task
carries only the spec (config as JSON, store path, folds) and its parameter sets; each worker
process builds its FastRunner once and reuses it, so the candles are read and the indicators
computed once per worker, not per parameter set. Optuna (C22: TPESampler seed 42,
MedianPruner 5/3) asks a batch of trials per round, one per worker; the per-fold
out-of-sample values are reported as intermediate steps, so trials that fall below the
median of earlier trials at the same fold are recorded as pruned (a trial costs tens of
milliseconds, so pruning here is about the study's record, not about saving time).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from coinpilot.data.store import CandleStore
from coinpilot.domain.errors import ConfigError
from coinpilot.engine.backtest import BacktestConfig
from coinpilot.engine.executors import Executor, SerialExecutor, worker_cached
from coinpilot.engine.fastrun import FastRunner
from coinpilot.engine.jsonsafe import to_jsonable
from coinpilot.engine.walkforward import OVERFIT_RATIO, Fold, pf_ratio

#: C48: 3 × 3 × 3 × 4 × 3 = 324 parameter sets of c_score
C48_GRID: dict[str, list[Any]] = {
    "atr_sl_mult": [1.0, 1.5, 2.0], "atr_tp_mult": [2.0, 3.0, 4.0], "signal_threshold": [3, 4, 5],
    "adx_threshold": [0, 20, 25, 30], "volume_multiplier": [1.5, 2.0, 2.5],
}
#: rankable metrics and their direction (+1 higher is better)
METRICS: dict[str, int] = {"profit_factor": 1, "net_pnl": 1, "sharpe": 1, "return_pct": 1,
                           "win_rate_pct": 1, "expectancy": 1, "max_drawdown_pct": -1}
_EQUITY_METRICS = {"sharpe", "return_pct", "max_drawdown_pct"}
OOS_COLUMNS = ("trades", "win_rate_pct", "profit_factor", "net_pnl", "max_drawdown_pct", "sharpe", "return_pct")


def expand_grid(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination, the last key varying fastest (so sets sharing indicators are adjacent)."""
    for key, values in grid.items():
        if isinstance(values, str | bytes) or not len(values):
            raise ConfigError(f"grid value list for {key!r} must be a non-empty list, got {values!r}")
    keys = list(grid)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*(grid[k] for k in keys))]


@dataclass(frozen=True)
class SweepSpec:
    """What a worker needs to evaluate parameter sets (small, picklable, hashable by content)."""

    config: dict[str, Any]
    store_root: str
    folds: tuple[Fold, ...] = ()
    metric: str = "profit_factor"
    train_stats: bool = False

    @property
    def key(self) -> str:
        blob = json.dumps(to_jsonable({"c": self.config, "s": self.store_root}), sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()

    def runner(self) -> FastRunner:
        """This process's FastRunner for the spec, built on first use (executors.worker_cached)."""
        return worker_cached(self.key, lambda: FastRunner(BacktestConfig.model_validate(self.config),
                                                          CandleStore(self.store_root)))


def evaluate(runner: FastRunner, spec: SweepSpec, params: Mapping[str, Any]) -> dict[str, Any]:
    """One row: full-period figures and, with folds, out-of-sample and per-fold figures."""
    folds = spec.folds
    windows = [None, *(f.test for f in folds), *((f.train for f in folds) if spec.train_stats else ())]
    runs = runner.run(params, windows)
    full = runner.stats(runs[0])
    row: dict[str, Any] = dict(params)
    if not folds:
        row.update({k: full[k] for k in OOS_COLUMNS})
        return row
    tests = runs[1:1 + len(folds)]
    oos = runner.stats([r for w in tests for r in w], (folds[0].test_start, folds[-1].test_end))
    row.update({k: oos[k] for k in OOS_COLUMNS})
    row.update({"full_trades": full["trades"], "full_profit_factor": full["profit_factor"],
                "full_net_pnl": full["net_pnl"]})
    equity = spec.metric in _EQUITY_METRICS
    per_test = [runner.stats(w, f.test, with_equity=equity) for w, f in zip(tests, folds, strict=True)]
    row["profitable_folds"] = sum(1 for s in per_test if s["net_pnl"] > 0)
    row["_test"] = [(s[spec.metric], s["trades"]) for s in per_test]
    if spec.train_stats:
        trains = runs[1 + len(folds):]
        per_train = [runner.stats(w, f.train, with_equity=equity) for w, f in zip(trains, folds, strict=True)]
        row["_train"] = [(s[spec.metric], s["trades"]) for s in per_train]
        row["is_profit_factor"] = runner.stats([r for w in trains for r in w], with_equity=False)["profit_factor"]
    row["pf_ratio"] = pf_ratio(full["profit_factor"], oos["profit_factor"])
    row["overfit"] = bool(row["pf_ratio"] >= OVERFIT_RATIO)
    return row


def evaluate_chunk(spec: SweepSpec, chunk: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The task a worker runs: a few parameter sets against the worker's cached runner."""
    runner = spec.runner()
    return [evaluate(runner, spec, params) for params in chunk]


@dataclass
class SweepResult:
    """A ranked table (one row per parameter set) plus the per-fold values behind it."""

    table: pd.DataFrame
    per_fold: pd.DataFrame
    params: list[str]
    metric: str
    folds: tuple[Fold, ...]
    seconds: float
    executor: str
    notes: tuple[str, ...] = ()
    study: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    def best(self) -> dict[str, Any]:
        """The top row's parameters: for a human to review (C48: never auto-applied)."""
        if self.table.empty:
            raise ConfigError("the sweep produced no rows")
        return {k: _plain(self.table.iloc[0][k]) for k in self.params}

    def as_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "seconds": self.seconds, "executor": self.executor,
                "params": self.params, "notes": list(self.notes),
                "folds": [{"number": f.number, "train": [f.train_start, f.train_end],
                           "test": [f.test_start, f.test_end]} for f in self.folds],
                "rows": self.table.to_dict("records"), **self.extra}

    def write(self, path: Path | str) -> Path:
        """CSV (the table) or JSON (table, folds, notes; inf as "Infinity", C46) by suffix."""
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix.lower() == ".json":
            out.write_text(json.dumps(to_jsonable(self.as_dict()), indent=2, allow_nan=False))
        else:
            self.table.to_csv(out, index=False)
        return out


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def rank(rows: list[dict[str, Any]], params: list[str], metric: str, min_trades: int,
         ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(ranked table, per-fold values): rows with >= min_trades out-of-sample trades first, then
    by the metric in its direction, then net PnL; ties keep the grid order."""
    per_fold = []
    for i, row in enumerate(rows):
        row["combo"] = i
        tests, trains = row.pop("_test", []), row.pop("_train", None)
        for k, (value, trades) in enumerate(tests):
            item = {"combo": i, "fold": k + 1, "test_value": value, "test_trades": trades}
            if trains is not None:
                item |= {"train_value": trains[k][0], "train_trades": trains[k][1]}
            per_fold.append(item)
    table = pd.DataFrame(rows)
    if table.empty:
        return table, pd.DataFrame(per_fold)
    table["eligible"] = table["trades"] >= min_trades
    sign = METRICS[metric]
    table["_key"] = table[metric].astype(float) * sign
    table = table.sort_values(["eligible", "_key", "net_pnl", "combo"], ascending=[False, False, False, True],
                              kind="stable").drop(columns="_key").reset_index(drop=True)
    table.insert(0, "rank", range(1, len(table) + 1))
    first = ["rank", *params]
    return table[first + [c for c in table.columns if c not in first]], pd.DataFrame(per_fold)


def _spec(cfg: BacktestConfig, store: CandleStore, folds: Sequence[Fold], metric: str,
          train_stats: bool) -> SweepSpec:
    if metric not in METRICS:
        raise ConfigError(f"unknown metric {metric!r}; choose one of {', '.join(METRICS)}")
    return SweepSpec(cfg.model_dump(mode="json"), str(Path(store.root).resolve()), tuple(folds), metric, train_stats)


def run_grid(
    cfg: BacktestConfig, store: CandleStore, grid: Mapping[str, Sequence[Any]], *,
    folds: Sequence[Fold] = (), metric: str = "profit_factor", min_trades: int = 0,
    executor: Executor | None = None, train_stats: bool = True, chunks_per_worker: int = 4,
) -> SweepResult:
    """Evaluate every combination of `grid` (see module doc); without folds, on the whole period.

    `train_stats` also simulates each fold's train window: the in-sample PF column and the
    per-fold values a walk-forward selects on (about half again the work)."""
    spec = _spec(cfg, store, folds, metric, train_stats)
    combos = expand_grid(grid)
    probe = FastRunner(cfg, store)
    for combo in combos:  # bad names or values fail here, before any task is sent
        for symbol in cfg.symbols:
            probe.strategy(symbol, combo)
    executor = executor or SerialExecutor()
    n = max(1, min(len(combos), executor.workers * chunks_per_worker))
    size = math.ceil(len(combos) / n)
    chunks = [combos[i:i + size] for i in range(0, len(combos), size)]
    t0 = time.perf_counter()
    rows = [row for part in executor.map(partial(evaluate_chunk, spec), chunks) for row in part]
    seconds = time.perf_counter() - t0
    table, per_fold = rank(rows, list(grid), metric, min_trades)
    return SweepResult(table, per_fold, list(grid), metric, tuple(folds), seconds, executor.description,
                       probe.setup.notes)


def select_per_fold(sweep: SweepResult, min_trades: int = 0) -> list[dict[str, Any]]:
    """Per fold, the params with the best in-sample (train window) metric; ties: grid order."""
    pf = sweep.per_fold
    if "train_value" not in pf.columns:
        raise ConfigError("the sweep was run without train windows (train_stats=True)")
    by_combo = sweep.table.set_index("combo")
    sign = METRICS[sweep.metric]
    chosen = []
    for k in range(1, len(sweep.folds) + 1):
        part = pf[pf["fold"] == k].copy()
        part["eligible"] = part["train_trades"] >= min_trades
        part["_key"] = part["train_value"].astype(float) * sign
        best = part.sort_values(["eligible", "_key", "combo"], ascending=[False, False, True], kind="stable")
        combo = int(best.iloc[0]["combo"])
        chosen.append({p: _plain(by_combo.loc[combo, p]) for p in sweep.params})
    return chosen


def _suggest(trial: Any, space: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for name, dom in space.items():
        if isinstance(dom, tuple) and len(dom) == 2:
            lo, hi = dom
            both_int = isinstance(lo, int) and isinstance(hi, int)
            out[name] = trial.suggest_int(name, lo, hi) if both_int else trial.suggest_float(name, float(lo), float(hi))
        else:
            out[name] = trial.suggest_categorical(name, list(dom))
    return out


def run_optuna(
    cfg: BacktestConfig, store: CandleStore, space: Mapping[str, Any], n_trials: int, *,
    folds: Sequence[Fold] = (), metric: str = "profit_factor", min_trades: int = 0,
    executor: Executor | None = None, storage: str | None = None, study_name: str | None = None,
    on_trial: Callable[[int, int], None] | None = None,
) -> SweepResult:
    """An Optuna study over `space` (name → list of choices, or (low, high) for a range);
    objective = the out-of-sample metric (folds) or the full-period one. `storage` is any
    Optuna RDB URL (sqlite:///..., postgresql://...) to share or resume a study."""
    import optuna
    from optuna.trial import TrialState

    if n_trials < 1:
        raise ConfigError(f"n_trials must be >= 1, got {n_trials}")
    spec = _spec(cfg, store, folds, metric, False)
    executor = executor or SerialExecutor()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    direction: Literal["maximize", "minimize"] = "maximize" if METRICS[metric] > 0 else "minimize"
    study = optuna.create_study(
        direction=direction, sampler=optuna.samplers.TPESampler(seed=42),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=3),
        storage=storage, study_name=study_name, load_if_exists=storage is not None,
    )
    worst = -1e12 if direction == "maximize" else 1e12
    rows: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    done = 0
    while done < n_trials:
        trials = [study.ask() for _ in range(min(executor.workers, n_trials - done))]
        batch = [_suggest(t, space) for t in trials]
        results = executor.map(partial(evaluate_chunk, spec), [[p] for p in batch])
        for trial, (row,) in zip(trials, results, strict=True):
            value = float(row[metric]) if row["trades"] >= min_trades else worst
            value = max(min(value, 1e12), -1e12)  # PF is inf without losses; Optuna needs finite
            pruned = False
            for step, (fold_value, _) in enumerate(row.get("_test", [])):
                trial.report(max(min(float(fold_value), 1e12), -1e12), step)
                if trial.should_prune():
                    pruned = True
                    break
            study.tell(trial, state=TrialState.PRUNED) if pruned else study.tell(trial, value)
            row |= {"trial": trial.number, "state": "pruned" if pruned else "complete", "objective": value}
            rows.append(row)
        done += len(trials)
        if on_trial is not None:
            on_trial(done, n_trials)
    table, per_fold = rank(rows, list(space), metric, min_trades)
    extra = {"study_name": study.study_name, "storage": storage or "in-memory",
             "best_trial": study.best_trial.number if _has_complete(study) else None}
    return SweepResult(table, per_fold, list(space), metric, tuple(folds), time.perf_counter() - t0,
                       executor.description, FastRunner(cfg, store).setup.notes, study, extra)


def _has_complete(study: Any) -> bool:
    from optuna.trial import TrialState

    return any(t.state is TrialState.COMPLETE for t in study.trials)


__all__ = [
    "C48_GRID", "METRICS", "SweepResult", "SweepSpec", "evaluate", "evaluate_chunk", "expand_grid",
    "rank", "run_grid", "run_optuna", "select_per_fold",
]
