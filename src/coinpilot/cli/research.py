"""`coinpilot sweep` and `coinpilot walkforward`: parameter research on the fast path.

Both are plain functions the root app mounts. Heavy imports (pandas, numba, optuna, dask) stay
inside the functions so `coinpilot --help` stays fast. Bad input raises typer.BadParameter or a
CoinpilotError (the root app prints it as one line, exit code 2).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import yaml
from rich import box
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    import pandas as pd

    from coinpilot.data.store import CandleStore
    from coinpilot.engine.backtest import BacktestConfig
    from coinpilot.engine.executors import Executor

SAMPLE_SYMBOLS = "BTCUSDT,ETHUSDT,SOLUSDT,XRPUSDT,BNBUSDT,DOGEUSDT"
PRESETS = ("realistic", "reference")

StrategyOpt = Annotated[str, typer.Option("--strategy", "-s", help="Strategy name.")]
SymbolsOpt = Annotated[str, typer.Option(help="Comma-separated symbols.")]
StartOpt = Annotated[str | None, typer.Option(help="First candle time (UTC), e.g. 2025-01-01.")]
EndOpt = Annotated[str | None, typer.Option(help="End (exclusive), e.g. 2026-01-01.")]
StoreOpt = Annotated[Path | None, typer.Option(help="Candle store root (default: settings.data_dir, else the bundled sample).")]
PresetOpt = Annotated[str, typer.Option(help=f"Costs and fill rules of a backtest preset: {', '.join(PRESETS)}.")]
GridOpt = Annotated[list[str] | None, typer.Option("--grid", "-g", help="key=v1,v2,... (repeatable); key=lo:hi is a range (Optuna only).")]
CGridOpt = Annotated[bool, typer.Option("--c-grid", help="C48's 324 c_score sets: SL × TP × signal × ADX × volume.")]
ParamOpt = Annotated[list[str] | None, typer.Option("--param", "-p", help="Fixed strategy parameter key=value (repeatable).")]
MetricOpt = Annotated[str, typer.Option(help="Ranking metric: profit_factor, net_pnl, sharpe, return_pct, win_rate_pct, expectancy, max_drawdown_pct.")]
MinTradesOpt = Annotated[int, typer.Option(help="Rank parameter sets with fewer out-of-sample trades last.")]
WorkersOpt = Annotated[int | None, typer.Option(help="Local worker processes (default: one per CPU core).")]
DaskOpt = Annotated[str | None, typer.Option("--dask", help="Dask scheduler address (tcp://host:8786): run there instead.")]
TrainOpt = Annotated[int, typer.Option(help="Walk-forward training window, months.")]
TestOpt = Annotated[int, typer.Option(help="Walk-forward test window, months.")]
StepOpt = Annotated[int | None, typer.Option(help="Months between folds (default: the test window).")]
EmbargoOpt = Annotated[int, typer.Option(help="Bars purged from the end of each training window.")]
OutOpt = Annotated[Path | None, typer.Option(help="Write the results: .csv (table) or .json.")]
TopOpt = Annotated[int, typer.Option(help="Rows to print.")]


def parse_grid(items: list[str] | None, *, ranges: bool = False) -> dict[str, Any]:
    """['atr_sl_mult=1.0,1.5', 'adx_threshold=0:30'] → {'atr_sl_mult': [1.0, 1.5], 'adx_threshold': (0, 30)}.

    Values are read as YAML (numbers, true/false); `lo:hi` is a range, allowed for Optuna only."""
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, values = item.partition("=")
        key = key.strip()
        if not sep or not key or not values.strip():
            raise typer.BadParameter(f"grid {item!r} is not key=v1,v2,... (e.g. --grid atr_sl_mult=1.0,1.5,2.0)")
        try:
            if ":" in values and "," not in values:
                if not ranges:
                    raise typer.BadParameter(f"grid {item!r}: a range lo:hi needs --optuna")
                lo, hi = (yaml.safe_load(v) for v in values.split(":", 1))
                if not isinstance(lo, int | float) or not isinstance(hi, int | float) or lo >= hi:
                    raise typer.BadParameter(f"grid {item!r}: range must be two numbers, low < high")
                out[key] = (lo, hi)
            else:
                out[key] = [yaml.safe_load(v.strip()) for v in values.split(",") if v.strip()]
        except yaml.YAMLError:
            raise typer.BadParameter(f"grid {item!r}: cannot read the values") from None
    return out


def _setup(strategy: str, symbols: str, start: str | None, end: str | None, store: Path | None,
           preset_name: str, params: list[str] | None) -> tuple[BacktestConfig, CandleStore]:
    from coinpilot.cli.backtest import _store
    from coinpilot.cli.strategies import parse_params
    from coinpilot.engine.presets import preset

    if preset_name not in PRESETS:
        raise typer.BadParameter(f"--preset {preset_name!r}: choose one of {', '.join(PRESETS)}")
    syms = [s.strip().upper() for s in symbols.split(",") if s.strip()]
    if not syms:
        raise typer.BadParameter("--symbols is empty")
    cfg = preset(preset_name, strategy, syms, start=start, end=end, params=parse_params(params))
    return cfg, _store(store)


def _executor(workers: int | None, dask: str | None) -> Executor:
    from coinpilot.engine.executors import make_executor

    return make_executor(workers, dask)


def _fmt(value: Any) -> str:
    if hasattr(value, "item"):  # numpy scalars from a DataFrame row
        value = value.item()
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float):
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return "" if math.isnan(value) else f"{value:.3f}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


HEADERS = {"win_rate_pct": "win %", "profit_factor": "PF", "net_pnl": "net PnL", "max_drawdown_pct": "MDD %",
           "sharpe": "Sharpe", "return_pct": "return %", "full_profit_factor": "full PF", "pf_ratio": "PF ratio",
           "profitable_folds": "+ folds", "is_profit_factor": "IS PF", "test_period": "test period"}


def render_table(frame: pd.DataFrame, columns: list[str], title: str, top: int) -> Table:
    """The first `top` rows; numbers never truncated, headers shortened and allowed to wrap."""
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
    shown = [c for c in columns if c in frame.columns]
    cells = [[_fmt(row[c]) for c in shown] for _, row in frame.head(top).iterrows()]
    for k, c in enumerate(shown):
        width = max((len(r[k]) for r in cells), default=1)
        table.add_column(HEADERS.get(c, c.replace("_", " ")), min_width=width, no_wrap=True,
                         justify="left" if c in ("regime", "test_period") else "right")
    for r in cells:
        table.add_row(*r)
    return table


def _console() -> Console:
    """Wide enough for a sweep table when the output is not a terminal (logs, CI)."""
    probe = Console()
    return probe if probe.is_terminal else Console(width=160)


def _notes(console: Console, notes: tuple[str, ...]) -> None:
    for note in notes:
        console.print(f"[yellow]fast path:[/] {note}")


def sweep_cmd(
    strategy: StrategyOpt = "c_score", symbols: SymbolsOpt = SAMPLE_SYMBOLS, start: StartOpt = None,
    end: EndOpt = None, store: StoreOpt = None, preset: PresetOpt = "realistic", grid: GridOpt = None,
    c_grid: CGridOpt = False, param: ParamOpt = None,
    optuna: Annotated[int, typer.Option("--optuna", help="Run an Optuna study of N trials over the grid's space instead of the full grid.")] = 0,
    storage: Annotated[str | None, typer.Option(help="Optuna storage URL (sqlite:///study.db, postgresql://...); default in memory.")] = None,
    study_name: Annotated[str | None, typer.Option(help="Optuna study name (resume or share it with --storage).")] = None,
    metric: MetricOpt = "profit_factor", min_trades: MinTradesOpt = 0, workers: WorkersOpt = None,
    dask: DaskOpt = None,
    walk_forward: Annotated[bool, typer.Option("--walk-forward/--single", help="Judge each set out of sample (default) or on the whole period.")] = True,
    train_months: TrainOpt = 3, test_months: TestOpt = 1, step_months: StepOpt = None, embargo: EmbargoOpt = 0,
    out: OutOpt = None, top: TopOpt = 15,
) -> None:
    """Sweep strategy parameters (grid or Optuna), each set judged out of sample; print the best."""
    from coinpilot.engine.fastrun import FastRunner
    from coinpilot.engine.sweep import C48_GRID, OOS_COLUMNS, run_grid, run_optuna
    from coinpilot.engine.walkforward import data_span, make_folds

    console = _console()
    space = parse_grid(grid, ranges=optuna > 0)
    if c_grid:
        space = {**C48_GRID, **space}
    if not space:
        raise typer.BadParameter("nothing to sweep: give --grid key=v1,v2 (repeatable) or --c-grid")
    cfg, candle_store = _setup(strategy, symbols, start, end, store, preset, param)
    folds: list[Any] = []
    if walk_forward:
        runner = FastRunner(cfg, candle_store)
        span = data_span(runner)
        folds = make_folds(span[0], span[1], train_months=train_months, test_months=test_months,
                           step_months=step_months, embargo_bars=embargo,
                           timeframe=runner.strategy(cfg.symbols[0]).timeframe)
    with _executor(workers, dask) as executor:
        console.print(f"{strategy}: {'Optuna ' + str(optuna) + ' trials' if optuna else 'grid'} over "
                      f"{len(cfg.symbols)} symbols, {len(folds) or 'no'} walk-forward folds, on {executor.description}")
        if optuna:
            result = run_optuna(cfg, candle_store, space, optuna, folds=folds, metric=metric, min_trades=min_trades,
                                executor=executor, storage=storage, study_name=study_name)
        else:
            bad = [k for k, v in space.items() if isinstance(v, tuple)]
            if bad:
                raise typer.BadParameter(f"ranges need --optuna: {', '.join(bad)}")
            result = run_grid(cfg, candle_store, space, folds=folds, metric=metric, min_trades=min_trades,
                              executor=executor)
    _notes(console, result.notes)
    cols = ["rank", *result.params, *(c for c in OOS_COLUMNS if c != "return_pct"), "full_profit_factor",
            "pf_ratio", "overfit", "profitable_folds"]
    label = "out-of-sample" if folds else "whole period"
    console.print(render_table(result.table, cols, f"{strategy}: {len(result.table)} sets by {label} {metric}", top))
    console.print(f"{len(result.table)} parameter sets in {result.seconds:.1f} s "
                  f"({len(result.table) / max(result.seconds, 1e-9):.1f}/s); best (review, never auto-applied): "
                  f"{result.best()}")
    if out is not None:
        console.print(f"written: {result.write(out)}")


def walkforward_cmd(
    strategy: StrategyOpt = "c_score", symbols: SymbolsOpt = SAMPLE_SYMBOLS, start: StartOpt = None,
    end: EndOpt = None, store: StoreOpt = None, preset: PresetOpt = "realistic", grid: GridOpt = None,
    c_grid: CGridOpt = False, param: ParamOpt = None, metric: MetricOpt = "profit_factor",
    min_trades: MinTradesOpt = 0, workers: WorkersOpt = None, dask: DaskOpt = None,
    train_months: TrainOpt = 3, test_months: TestOpt = 1, step_months: StepOpt = None, embargo: EmbargoOpt = 0,
    out: OutOpt = None,
) -> None:
    """Walk-forward: per fold, optional in-sample choice from a grid, then an out-of-sample test."""
    from coinpilot.engine.sweep import C48_GRID
    from coinpilot.engine.walkforward import SUMMARY_KEYS, walk_forward

    console = _console()
    space = parse_grid(grid)
    if c_grid:
        space = {**C48_GRID, **space}
    cfg, candle_store = _setup(strategy, symbols, start, end, store, preset, param)
    with _executor(workers, dask) as executor:
        result = walk_forward(cfg, candle_store, train_months=train_months, test_months=test_months,
                              step_months=step_months, embargo_bars=embargo, grid=space or None, metric=metric,
                              min_trades=min_trades, executor=executor)
    _notes(console, result.notes)
    params = list(space) if space else []
    cols = ["fold", "test_period", *params, "is_profit_factor",
            *(k for k in SUMMARY_KEYS if k not in ("return_pct", "fees")), "regime"]
    console.print(render_table(result.table(), cols, f"{strategy}: walk-forward folds", len(result.folds)))
    s = result.summary
    console.print(
        f"out of sample {s['oos_start']:%Y-%m-%d} → {s['oos_end']:%Y-%m-%d} ({s['selection']}): "
        f"{s['trades']} trades, PF {_fmt(s['profit_factor'])}, net {s['net_pnl']:.2f}, "
        f"win {s['win_rate_pct']:.1f} %, MDD {s['max_drawdown_pct']:.2f} %, Sharpe {s['sharpe']:.2f}; "
        f"in-sample PF {_fmt(s['is_profit_factor'])}, ratio {_fmt(s['pf_ratio'])}"
        + (" [bold red](overfit: ratio >= 2, P66)[/]" if s["overfit"] else "")
    )
    if out is not None:
        console.print(f"written: {result.write_json(out)}")


__all__ = ["parse_grid", "render_table", "sweep_cmd", "walkforward_cmd"]
