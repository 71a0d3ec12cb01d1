"""`coinpilot strategies ...` and `coinpilot check-lookahead`: what strategies exist, and whether
one of them peeks at the future.

`check_lookahead_cmd` is a standalone function that the root app mounts as
`coinpilot check-lookahead STRATEGY`. Exit codes: 0 clean, 1 look-ahead found; bad input raises a
CoinpilotError, which the root app prints and turns into exit code 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.table import Table

from coinpilot.strategies import BUILTIN_STRATEGIES, get, names
from coinpilot.strategies.base import Strategy
from coinpilot.strategies.loader import load_strategy_module, resolve_strategy
from coinpilot.strategies.lookahead import DEFAULT_CUTS, LookAheadReport, check_lookahead
from coinpilot.strategies.marketdata import market_data_for
from coinpilot.strategies.registry import instantiate

app = typer.Typer(help="Strategies: built-ins and user modules, their parameters and defaults.", no_args_is_help=True)

ModuleDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--strategies-dir", "--module-dir",
        help="Directory of your strategies (<dir>/<name>.py, <dir>/<name>/<SYMBOL>.yaml); default: the strategies_dir setting.",
    ),
]
StoreOpt = Annotated[Path | None, typer.Option("--store", help="Candle store root (default: settings.data_dir, else the bundled sample).")]
ParamOpt = Annotated[
    list[str] | None,
    typer.Option("--param", "-p", help="Strategy parameter as key=value (YAML value); repeatable."),
]


def _console() -> Console:
    return Console(highlight=False)


def parse_params(pairs: list[str] | None) -> dict[str, Any]:
    """`key=value` strings into a dict; values are read as YAML (0.5, true, [BTCUSDT])."""
    out: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"parameter {pair!r} is not key=value (e.g. -p adx_threshold=20)")
        try:
            out[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError:
            raise typer.BadParameter(f"parameter {key!r}: cannot read value {value!r}") from None
    return out


def _dirs(strategies_dir: Path | None) -> list[Path]:
    """The given directory, else the configured `strategies_dir` (one configuration)."""
    from coinpilot.cli.common import settings

    conf = settings(strategies_dir)
    return [conf.strategies_dir] if conf.strategies_dir is not None else []


def _user_strategies(dirs: list[Path]) -> list[type[Strategy]]:
    found = []
    for d in dirs:
        for file in sorted(Path(d).glob("*.py")):
            if not file.name.startswith("_"):
                found.append(load_strategy_module(file))
    return found


def _params_text(cls: type[Strategy]) -> str:
    parts = []
    for key, info in cls.Params.model_fields.items():
        default = info.get_default(call_default_factory=True)
        parts.append(f"{key}={default!r}" if not isinstance(default, str) else f"{key}={default}")
    return ", ".join(parts)


@app.command("list")
def list_cmd(module_dir: ModuleDirOpt = None) -> None:
    """List strategies: name, timeframe, data needs, description and parameters with defaults."""
    user = {c.name for c in _user_strategies(_dirs(module_dir))}
    console = _console()
    shown = [n for n in names() if n in BUILTIN_STRATEGIES or n in user]
    for name in shown:
        cls = get(name)
        default = instantiate(cls)
        reads = ", ".join([default.timeframe.name, *cls.informative_timeframes])
        origin = "" if name in BUILTIN_STRATEGIES else " [yellow](user module)[/]"
        console.print(
            f"[bold cyan]{name}[/]{origin}  timeframe {default.timeframe.name} · "
            f"{cls.level_mode.value.upper()} levels · reads {reads} candles"
        )
        console.print(f"  {cls.description}", soft_wrap=True)
        console.print(f"  [dim]parameters:[/] {_params_text(cls)}\n", soft_wrap=True)
    console.print(f"{len(shown)} strategies; `coinpilot signals --strategies NAME` runs one on the sample")


def check_lookahead_cmd(
    strategy: Annotated[str, typer.Argument(help="Strategy name (built-in or user module).")],
    symbol: Annotated[str, typer.Option("--symbol", help="Symbol to check on.")] = "BTCUSDT",
    timeframe: Annotated[str | None, typer.Option("--timeframe", "-t", help="Override the strategy timeframe.")] = None,
    store: StoreOpt = None,
    module_dir: ModuleDirOpt = None,
    param: ParamOpt = None,
    cuts: Annotated[int, typer.Option("--cuts", help="Number of cut points to test.")] = DEFAULT_CUTS,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random cut points.")] = 0,
    start: Annotated[str | None, typer.Option("--start", help="First candle (UTC) to load.")] = None,
    end: Annotated[str | None, typer.Option("--end", help="Load candles before this time (UTC).")] = None,
    venue: Annotated[str, typer.Option("--venue")] = "binance",
    market: Annotated[str, typer.Option("--market")] = "futures",
) -> None:
    """Run a strategy on data cut at many bars and compare with the full run; exit 1 on any leak.

    Parameters as a run would use them: the configuration's (section, per-symbol overrides and
    YAML files) with `-p`/`--timeframe` on top."""
    from coinpilot.cli.common import settings
    from coinpilot.domain.symbols import check_symbol_name
    from coinpilot.domain.timeframe import parse_utc

    if cuts < 1:
        raise typer.BadParameter(f"--cuts {cuts}: give at least 1 cut point")
    try:
        symbol = check_symbol_name(symbol)
        for value in (start, end):
            if value is not None:
                parse_utc(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    conf = settings(module_dir)
    cls = resolve_strategy(strategy, [conf.strategies_dir] if conf.strategies_dir else [])
    params = {**conf.strategy_params(cls.name, symbol), **parse_params(param)}
    if timeframe is not None:
        params["timeframe"] = timeframe
    instance = instantiate(cls, params)
    from coinpilot.data.store import store_in_use

    candle_store = store_in_use(store, conf)[0]
    data = market_data_for(instance, candle_store, symbol, venue=venue, market=market, start=start, end=end)
    report = check_lookahead(instance, data, cuts, seed=seed)
    print_report(report, len(data.candles), _console())
    if not report.ok:
        raise typer.Exit(code=1)


def print_report(report: LookAheadReport, bars: int, console: Console) -> None:
    """Verdict, what was compared, and the first difference of every failing cut."""
    console.print(
        f"[bold]{report.strategy}[/] on {report.symbol}: {bars} bars, {len(report.cuts)} cut points, "
        f"{len(report.columns)} columns compared ({', '.join(report.columns[:8])}"
        f"{', …' if len(report.columns) > 8 else ''})"
    )
    if report.ok:
        console.print("[bold green]no look-ahead found[/]: every column and decision at every cut equals the full run")
        return
    table = Table(title="[bold red]LOOK-AHEAD[/]: values that change when the future is removed")
    for col in ("cut", "first bad bar", "bar time (UTC)", "column", "full data", "data up to cut"):
        table.add_column(col, overflow="fold")
    for issue in sorted(report.issues, key=lambda i: (i.bar, i.cut)):
        when = "-" if issue.time is None else issue.time.strftime("%Y-%m-%d %H:%M")
        table.add_row(str(issue.cut), str(issue.bar), when, issue.column, _short(issue.full), _short(issue.truncated))
    console.print(table)
    console.print(f"[bold red]{len(report.issues)} of {len(report.cuts)} cuts differ[/]; first: {report.first}")


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@app.command("new")
def new_cmd(
    name: Annotated[str, typer.Argument(help="Name of the new strategy (lower_case; becomes <name>.py).")],
    strategies_dir: Annotated[
        Path | None,
        typer.Option("--strategies-dir", help="Where to write it (default: the strategies_dir setting, else ./strategies)."),
    ] = None,
    symbol: Annotated[str, typer.Option("--symbol", help="Also write an example per-symbol file for this symbol.")] = "BTCUSDT",
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing module.")] = False,
) -> None:
    """Write a working strategy module to start from (Donchian breakout) and a per-symbol YAML example."""
    from coinpilot.cli.common import settings
    from coinpilot.domain.errors import ConfigError
    from coinpilot.domain.symbols import check_symbol_name
    from coinpilot.strategies import template

    template.check_name(name)
    if name in names():
        raise ConfigError(f"strategy name {name!r} is taken by a built-in strategy: choose another")
    try:
        symbol = check_symbol_name(symbol)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    folder = strategies_dir or settings().strategies_dir or Path("strategies")
    module = folder / f"{name}.py"
    if module.exists() and not force:
        raise ConfigError(f"{module} exists: edit it, or pass --force to overwrite it")
    yaml_file = folder / name / f"{symbol}.yaml"
    try:
        yaml_file.parent.mkdir(parents=True, exist_ok=True)
        module.write_text(template.render(name), encoding="utf-8")
        if not yaml_file.exists():
            yaml_file.write_text(template.render_symbol_yaml(name, symbol), encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write the strategy into {folder}: {exc.strerror or exc}") from None
    console = _console()
    console.print(f"wrote [bold]{module}[/] and {yaml_file}")
    console.print(
        "next:\n"
        f"  coinpilot check-lookahead {name} --strategies-dir {folder}\n"
        f"  coinpilot backtest -s {name} --strategies-dir {folder}\n"
        f"  coinpilot sweep -s {name} --strategies-dir {folder} --grid channel=24,48,96\n"
        "see docs/strategies.md"
    )
