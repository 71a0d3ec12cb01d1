"""The `coinpilot` command line."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from coinpilot.cli import config_cmd, data, db, strategies
from coinpilot.cli.backtest import backtest_cmd, demo_cmd
from coinpilot.cli.research import sweep_cmd, walkforward_cmd
from coinpilot.cli.signals import signals_cmd
from coinpilot.config.loader import CONFIG_ENV
from coinpilot.domain.errors import CoinpilotError

app = typer.Typer(
    name="coinpilot",
    help="coinpilot: data, indicators, strategies, backtests and trading for crypto markets.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root(
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="YAML config file (also $COINPILOT_CONFIG).", envvar=CONFIG_ENV),
    ] = None,
) -> None:
    """coinpilot: one engine for research, paper and live trading."""
    if config is not None:
        os.environ[CONFIG_ENV] = str(config)


app.add_typer(config_cmd.app, name="config")
app.add_typer(data.app, name="data")
app.add_typer(db.app, name="db")
app.add_typer(strategies.app, name="strategies")
app.command("signals", help="Run strategies over candles (default: the bundled sample) and print their signals.")(signals_cmd)
app.command("backtest", help="Backtest strategies over stored candles: summary, trade journal, metrics, HTML report.")(backtest_cmd)
app.command("demo", help="Backtest the default strategies on the bundled sample and write the HTML reports.")(demo_cmd)
app.command("sweep", help="Sweep strategy parameters (grid or Optuna), judged out of sample.")(sweep_cmd)
app.command("walkforward", help="Walk-forward: in-sample choice per fold, out-of-sample test.")(walkforward_cmd)
app.command("check-lookahead", help="Check that a strategy's decisions never use data after their decision time.")(
    strategies.check_lookahead_cmd
)


def main() -> None:
    """Entry point: turn coinpilot's typed errors into one clear line and exit code 2."""
    try:
        app()
    except CoinpilotError as exc:
        Console(stderr=True).print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
