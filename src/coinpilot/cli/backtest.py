"""`coinpilot backtest` and `coinpilot demo`."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import structlog
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from coinpilot.cli.common import ProfileOpt, StrategiesDirOpt, settings
from coinpilot.config.settings import SAMPLE_SYMBOLS
from coinpilot.domain.errors import ConfigError

if TYPE_CHECKING:
    from coinpilot.config.settings import Settings
    from coinpilot.data.store import CandleStore
    from coinpilot.engine.backtest import BacktestConfig
    from coinpilot.engine.results import BacktestResult

DEMO_STRATEGIES = ("ref_ema_cross", "c_score", "w_atr_rule", "u_rsi")


def _store(path: Path | None, conf: Settings | None = None) -> CandleStore:
    """The candle store in use (data.store.store_in_use: --store, else data_dir, else the sample)."""
    from coinpilot.data.store import store_in_use

    return store_in_use(path, conf)[0]


def run_one(cfg: BacktestConfig, store: CandleStore, console: Console, quiet: bool = False) -> BacktestResult:
    """Run a backtest with a progress display; returns the result."""
    from coinpilot.engine.backtest import Backtest

    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.fields[info]}"),
                  TimeElapsedColumn(), console=console, transient=True, disable=quiet) as progress:
        task = progress.add_task(f"{cfg.strategy}: loading", total=3, info="")
        bt = Backtest(cfg, store, progress=lambda n: progress.update(task, info=f"{n} events"))
        progress.update(task, advance=1, description=f"{cfg.strategy}: simulating")
        result = bt.run()
        progress.update(task, advance=2)
    for warning in bt.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    return result


def backtest_cmd(
    strategy: Annotated[list[str], typer.Option("--strategy", "-s", help="Strategy name (repeatable).")] = ["ref_ema_cross"],  # noqa: B006
    symbols: Annotated[str | None, typer.Option(help="Comma-separated symbols (default: the strategy's or the symbols setting).")] = None,
    start: Annotated[str | None, typer.Option(help="First candle time (UTC), e.g. 2025-01-01; history before it warms the indicators up.")] = None,
    end: Annotated[str | None, typer.Option(help="End (exclusive), e.g. 2025-04-01.")] = None,
    profile: ProfileOpt = None,
    timeframe: Annotated[str | None, typer.Option(help="Override the strategy's timeframe.")] = None,
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="Strategy parameter key=value (repeatable; beats the config).")] = None,
    balance: Annotated[float | None, typer.Option(help="Initial balance (quote currency).")] = None,
    leverage: Annotated[int | None, typer.Option(help="Leverage (default: exchange.leverage).")] = None,
    position_mode: Annotated[str | None, typer.Option(help="Futures position mode: oneway or hedge (orders then name their LONG/SHORT leg).")] = None,
    margin_mode: Annotated[str | None, typer.Option(help="Futures margin mode: isolated or cross.")] = None,
    clock: Annotated[str | None, typer.Option(help="sparse (fast) or dense (every bar, like paper replay).")] = None,
    store: Annotated[Path | None, typer.Option(help="Candle store root (default: settings.data_dir, else the bundled sample).")] = None,
    out: Annotated[Path | None, typer.Option(help="Results directory (default: backtest.results_dir).")] = None,
    report: Annotated[bool, typer.Option(help="Write the HTML report.")] = True,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
    rerun: Annotated[Path | None, typer.Option(help="Repeat a stored run: its results folder or config.json.")] = None,
    db: Annotated[str | None, typer.Option(help="Database URL for the trade journal (default: sqlite in the results directory).")] = None,
    strategies_dir: StrategiesDirOpt = None,
) -> None:
    """Backtest strategies over stored candles; print a summary, write journal, metrics and report.

    The run is what the configuration file and environment say (see `coinpilot config show`),
    with these options on top; the whole effective configuration is stored in config.json."""
    from coinpilot.cli.strategies import parse_params
    from coinpilot.engine.backtest import BacktestConfig
    from coinpilot.engine.report_summary import render_summary
    from coinpilot.engine.results import write_results
    from coinpilot.engine.runconfig import RunOptions, backtest_config
    from coinpilot.store.journal import save_backtest

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    console = Console()
    conf = settings(strategies_dir)
    out = out if out is not None else conf.backtest.results_dir
    opts = RunOptions(symbols=symbols, start=start, end=end, profile=profile, timeframe=timeframe,
                      balance=balance, leverage=leverage, position_mode=position_mode,
                      margin_mode=margin_mode, clock=clock, params=parse_params(param))
    configs: list[BacktestConfig] = []
    if rerun is not None:
        import json

        path = rerun / "config.json" if rerun.is_dir() else rerun
        if not path.exists():
            raise ConfigError(f"--rerun: no config.json at {path}")
        try:
            stored = json.loads(path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(f"--rerun: {path} is not a readable run config ({exc})") from None
        if not isinstance(stored, dict):
            raise ConfigError(f"--rerun: {path} does not hold a run config (a JSON object)")
        configs.append(BacktestConfig.from_stored(stored))
        strategy = []
    configs += [backtest_config(conf, name, opts) for name in strategy]  # every config checked before any run
    from coinpilot.data.store import store_in_use

    candle_store, where = store_in_use(store, conf)
    if not quiet:
        console.print(f"[dim]candles: {where}[/]", highlight=False)
    results = []
    t0 = time.perf_counter()
    for cfg in configs:
        result = run_one(cfg, candle_store, console, quiet)
        paths = write_results(result, out / result.run_id, report=report)
        results.append((result, paths))
    db_url = db or f"sqlite:///{(out / 'backtests.db').resolve()}"
    for result, _ in results:
        save_backtest(result, db_url)
    console.print(render_summary([r for r, _ in results]))
    for result, paths in results:
        shown = paths.report if report else paths.directory
        console.print(f"{result.strategy}: {len(result.trades)} trades, results in [bold]{shown}[/]")
    console.print(f"trade journals in {db_url}; done in {time.perf_counter() - t0:.1f} s")


def demo_cmd(
    out: Annotated[Path, typer.Option(help="Results directory.")] = Path("results/demo"),
    strategies_dir: StrategiesDirOpt = None,
) -> None:
    """Backtest the default strategies on the bundled sample and write the HTML reports.

    The sample's symbols and period; everything else (profile, risk, strategy parameters) as
    the configuration says, like `backtest`."""
    from coinpilot.data.store import sample_root

    backtest_cmd(strategy=list(DEMO_STRATEGIES), symbols=",".join(SAMPLE_SYMBOLS), start=None, end=None,
                 profile=None, timeframe=None, param=None, balance=None, leverage=None, position_mode=None,
                 margin_mode=None, clock=None, store=sample_root(), out=out, report=True, quiet=False,
                 rerun=None, db=None, strategies_dir=strategies_dir)
