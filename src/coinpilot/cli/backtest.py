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

from coinpilot.domain.errors import ConfigError

if TYPE_CHECKING:
    from coinpilot.data.store import CandleStore
    from coinpilot.engine.backtest import BacktestConfig
    from coinpilot.engine.results import BacktestResult

PRESETS = ("realistic", "reference")  # engine.presets.PRESETS; repeated so --help needs no engine import

DEMO_STRATEGIES = ("ref_ema_cross", "c_score", "w_atr_rule", "u_rsi")
SAMPLE_SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "BNBUSDT", "DOGEUSDT")


def _store(path: Path | None) -> CandleStore:
    from coinpilot.data.store import CandleStore, sample_root

    if path is not None:
        return CandleStore(path)
    try:
        from coinpilot.config import load_settings

        data_dir = load_settings().data_dir
    except ConfigError:
        raise
    return CandleStore(data_dir if data_dir.exists() and any(data_dir.iterdir()) else sample_root())


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
    symbols: Annotated[str, typer.Option(help="Comma-separated symbols.")] = ",".join(SAMPLE_SYMBOLS),
    start: Annotated[str | None, typer.Option(help="First candle time (UTC), e.g. 2025-01-01.")] = None,
    end: Annotated[str | None, typer.Option(help="End (exclusive), e.g. 2025-04-01.")] = None,
    profile: Annotated[str, typer.Option(help=f"Preset: {', '.join(PRESETS)}.")] = "realistic",
    timeframe: Annotated[str | None, typer.Option(help="Override the strategy's timeframe.")] = None,
    balance: Annotated[float | None, typer.Option(help="Initial balance (quote currency).")] = None,
    leverage: Annotated[int | None, typer.Option(help="Leverage.")] = None,
    position_mode: Annotated[str | None, typer.Option(help="Futures position mode: oneway or hedge (orders then name their LONG/SHORT leg).")] = None,
    margin_mode: Annotated[str | None, typer.Option(help="Futures margin mode: isolated or cross.")] = None,
    clock: Annotated[str, typer.Option(help="sparse (fast) or dense (every bar, like paper replay).")] = "sparse",
    store: Annotated[Path | None, typer.Option(help="Candle store root (default: settings.data_dir, else the bundled sample).")] = None,
    out: Annotated[Path, typer.Option(help="Results directory.")] = Path("results"),
    report: Annotated[bool, typer.Option(help="Write the HTML report.")] = True,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
    rerun: Annotated[Path | None, typer.Option(help="Repeat a stored run: its results folder or config.json.")] = None,
    db: Annotated[str | None, typer.Option(help="Database URL for the trade journal (default: sqlite in the results directory).")] = None,
) -> None:
    """Backtest strategies over stored candles; print a summary, write journal, metrics and report."""
    from coinpilot.engine.backtest import BacktestConfig
    from coinpilot.engine.presets import preset
    from coinpilot.engine.report_summary import render_summary
    from coinpilot.engine.results import write_results
    from coinpilot.store.journal import save_backtest

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    console = Console()
    syms = [s.strip().upper() for s in symbols.split(",") if s.strip()]
    candle_store = _store(store)
    results = []
    t0 = time.perf_counter()
    if rerun is not None:
        import json

        path = rerun / "config.json" if rerun.is_dir() else rerun
        if not path.exists():
            raise ConfigError(f"--rerun: no config.json at {path}")
        cfg = BacktestConfig.from_stored(json.loads(path.read_text()))
        result = run_one(cfg, candle_store, console, quiet)
        results.append((result, write_results(result, out / result.run_id, report=report)))
        strategy = []
    for name in strategy:
        params = {"timeframe": timeframe} if timeframe else {}
        overrides: dict[str, object] = {"start": start, "end": end, "clock": clock, "params": params}
        if leverage is not None:
            overrides["leverage"] = leverage
        cfg = preset(profile, name, syms, **overrides)
        sim_updates: dict[str, object] = {}
        if balance is not None:
            sim_updates["initial_balance"] = balance
        if position_mode is not None:
            if position_mode not in ("oneway", "hedge"):
                raise ConfigError(f"--position-mode = {position_mode!r}: choose oneway or hedge")
            sim_updates["hedge_mode"] = position_mode == "hedge"
        if margin_mode is not None:
            sim_updates["margin_mode"] = margin_mode  # validated with the config below
        if sim_updates:
            cfg = cfg.model_copy(update={"sim": cfg.sim.model_copy(update=sim_updates)})
        result = run_one(BacktestConfig.checked(cfg.model_dump(), "invalid backtest options"), candle_store, console, quiet)
        paths = write_results(result, out / result.run_id, report=report)
        results.append((result, paths))
    db_url = db or f"sqlite:///{(out / 'backtests.db').resolve()}"
    for result, _ in results:
        save_backtest(result, db_url)
    console.print(render_summary([r for r, _ in results]))
    for result, paths in results:
        where = paths.report if report else paths.directory
        console.print(f"{result.strategy}: {len(result.trades)} trades, results in [bold]{where}[/]")
    console.print(f"trade journals in {db_url}; done in {time.perf_counter() - t0:.1f} s")


def demo_cmd(
    out: Annotated[Path, typer.Option(help="Results directory.")] = Path("results/demo"),
) -> None:
    """Backtest the default strategies on the bundled sample and write the HTML reports."""
    from coinpilot.data.store import sample_root

    backtest_cmd(strategy=list(DEMO_STRATEGIES), symbols=",".join(SAMPLE_SYMBOLS), start=None, end=None,
                 profile="realistic", timeframe=None, balance=None, leverage=None, clock="sparse",
                 store=sample_root(), out=out, report=True, quiet=False, rerun=None, db=None)
