"""`coinpilot data ...`: import market-data files into the store, check them, list the store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console

from coinpilot.data.check import CheckResult, check_paths
from coinpilot.data.consistency import TimeframeComparison
from coinpilot.data.importers import iter_data_files, load_file
from coinpilot.data.limits import MARKET_TYPES, MARKETS, VENUES, allowed_markets, check_symbol
from coinpilot.data.report import SeriesReport, Severity
from coinpilot.data.store import CandleStore, UnreadableSeriesError, store_in_use
from coinpilot.domain.errors import ConfigError, DataError
from coinpilot.domain.timeframe import Timeframe

app = typer.Typer(
    help="Market data: import files into the candle store, check files or the store, list stored series.",
    no_args_is_help=True,
)

_STYLE = {Severity.FATAL: "bold red", Severity.WARNING: "yellow", Severity.FIXED: "cyan", Severity.INFO: "blue"}
_SHOWN = 6

StoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help="Store root. Default: data_dir from the coinpilot config when it holds data, else the bundled sample.",
    ),
]
AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="UTC time the data is judged at: candles closing later are open (default: now)."),
]


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def _bad_option(option: str, value: object, allowed: str) -> ConfigError:
    """One line for `coinpilot`'s error handler: the option, the value, what it accepts."""
    return ConfigError(f"{option} {value!s:s}: {allowed}")


def _import_root(store: Path | None) -> Path:
    """Where `data import` writes: --store, else the config's data_dir (never the sample)."""
    if store is None:
        from coinpilot.config import load_settings

        store = load_settings().data_dir
    if store.exists() and not store.is_dir():
        raise _bad_option("--store", store, "is a file; give the store's root directory")
    return store


def _as_of(text: str | None) -> pd.Timestamp:
    if text is None:
        return pd.Timestamp.now(tz="UTC")
    try:
        ts = pd.Timestamp(text)
    except ValueError:
        ts = None
    if not isinstance(ts, pd.Timestamp) or pd.isna(ts):  # '' and 'NaT' parse to NaT
        raise _bad_option("--as-of", repr(text), "not a time; use e.g. 2026-03-19T19:49 (UTC unless an offset is given)")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _check_overrides(symbol: str | None, timeframe: str | None, venue: str | None, market: str | None) -> None:
    """Refuse bad --symbol/--timeframe/--venue/--market before any file is read."""
    if venue is not None and venue not in VENUES:
        raise _bad_option("--venue", repr(venue), f"unknown venue; use one of {', '.join(VENUES)}")
    if market is not None and market not in MARKET_TYPES:
        raise _bad_option("--market", repr(market), f"unknown market; use one of {', '.join(MARKET_TYPES)}")
    if venue is not None and market is not None and (venue, market) not in MARKETS:
        raise _bad_option("--venue/--market", f"{venue} {market}", f"not a known market; known: {allowed_markets()}")
    if symbol is not None:
        try:
            check_symbol(symbol)
        except DataError as exc:
            raise _bad_option("--symbol", repr(symbol), str(exc)) from None
    if timeframe is not None:
        try:
            Timeframe.parse(timeframe)
        except ValueError:
            raise _bad_option("--timeframe", repr(timeframe), "use a number and a unit m/h/d/w, e.g. 5m, 1h, 1d") from None


def _t(ts: pd.Timestamp | None) -> str:
    return "-" if ts is None else ts.strftime("%Y-%m-%d %H:%M")


def _rel(path: Path, roots: list[Path]) -> str:
    for root in roots:
        if root.is_dir() and path.is_relative_to(root):
            return str(path.relative_to(root))
    return str(path)


def _issue_lines(report: SeriesReport) -> list[str]:
    lines = []
    for issue in report.issues:
        style = _STYLE[issue.severity]
        where = ", ".join(str(r) for r in issue.ranges[:_SHOWN]) or ", ".join(_t(t) for t in issue.times[:_SHOWN])
        more = len(issue.ranges) - _SHOWN if issue.ranges else issue.count - min(len(issue.times), _SHOWN)
        tail = f" (+{more} more)" if more > 0 and where else ""
        # fatal messages already name the first offending rows
        body = issue.message if issue.severity is Severity.FATAL or not where else f"{issue.message}: {where}{tail}"
        lines.append(f"    [{style}]{issue.severity.value:<7}[/] {issue.code}: {body}")
    return lines


def _print_reports(console: Console, result: CheckResult, roots: list[Path]) -> None:
    for entry in result.files:
        name = _rel(entry.path, roots)
        if entry.error:
            console.print(f"[bold red]FAIL[/] {name}\n    [bold red]fatal  [/] {entry.error}")
            continue
        for item in entry.series:
            r = item.report
            mark = "[green]ok  [/]" if r.ok else "[bold red]FAIL[/]"
            console.print(f"{mark} {name}  {item.key}  {r.rows:,} rows  {_t(r.first)} → {_t(r.last)}")
            for line in _issue_lines(r):
                console.print(line)


def _print_comparison(console: Console, c: TimeframeComparison, roots: list[Path]) -> None:
    head = f"{_rel(Path(c.higher_label), roots)} vs {_rel(Path(c.lower_label), roots)} resampled"
    console.print(f"[yellow]{head}[/]: {len(c.mismatches)} of {c.compared} {c.higher_tf} bars disagree")
    for m in c.mismatches[:_SHOWN]:
        diffs = ", ".join(f"{d.field} {d.stored:g} vs {d.resampled:g} ({d.rel:.2e})" for d in m.diffs)
        console.print(f"    {_t(m.open_time)}  {diffs}")
    if len(c.mismatches) > _SHOWN:
        console.print(f"    (+{len(c.mismatches) - _SHOWN} more bars)")
    if c.uncomparable:
        shown = ", ".join(str(r) for r in c.uncomparable[:_SHOWN])
        console.print(f"    cannot compare (incomplete {c.lower_tf} buckets): {shown}")


@app.command("check")
def check(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or directories (recursive). Default: the store in use.")
    ] = None,
    store: Annotated[
        Path | None,
        typer.Option("--store", help="Also check every series in this store root (and remove dead writers' temp files)."),
    ] = None,
    as_of: AsOfOpt = None,
    cross_source: Annotated[bool, typer.Option("--cross-source", help="Also compare timeframes across different source folders.")] = False,
) -> None:
    """Validate data files and cross-check timeframes; exit code 1 if any file is unusable.

    Without paths or --store, checks the store in use (the config's data_dir when it holds data, else the bundled sample). Reports per series: rows, time range, gaps (never filled), flat zero-volume runs (maintenance), OHLC violations, duplicates, the still-open last candle; then the higher-timeframe bars that disagree with the lower timeframe resampled.
    """
    roots = list(paths or [])
    console = _console()
    when = _as_of(as_of)
    stores: list[CandleStore] = []
    if store is not None or not roots:
        candle_store, described = store_in_use(store)
        console.print(f"[bold]store in use[/]: {described}")
        roots.append(candle_store.root)
        stores.append(candle_store)
    try:
        result = check_paths(roots, as_of=when, cross_source=cross_source)
    except DataError as exc:  # e.g. a path that does not exist
        console.print(f"[bold red]FAIL[/] {exc}")
        raise typer.Exit(code=1) from None
    for candle_store in stores:
        for tmp in candle_store.sweep_temp_files():
            console.print(f"[cyan]removed[/] {tmp}: temp file of a writer that did not finish")
    _print_reports(console, result, roots)
    for path, why in result.skipped:
        console.print(f"[dim]skip {_rel(path, roots)}: {why}[/]")
    disagreeing = [c for c in result.comparisons if c.mismatches or c.uncomparable]
    console.print(
        f"\n[bold]cross-timeframe[/]: {len(result.comparisons)} pair(s) compared, "
        f"{len(result.comparisons) - len(disagreeing)} agree"
    )
    for c in disagreeing:
        _print_comparison(console, c, roots)
    n_series = len(result.reports)
    failed = sum(1 for f in result.files if f.error or any(not s.report.ok for s in f.series))
    verdict = f"[bold red]FATAL problems found in {failed} file(s)[/]" if result.fatal else "[green]no fatal problems[/]"
    console.print(
        f"\nchecked {len(result.files)} file(s), {n_series} series, skipped {len(result.skipped)} "
        f"in {result.seconds:.1f} s: {verdict}"
    )
    if result.fatal:
        raise typer.Exit(code=1)


@app.command("import")
def import_(
    paths: Annotated[list[Path], typer.Argument(help="Files or directories to import (recursive).")],
    store: Annotated[
        Path | None, typer.Option("--store", help="Store root to write (default: data_dir from the coinpilot config).")
    ] = None,
    symbol: Annotated[str | None, typer.Option("--symbol", help="Override the symbol inferred from the path, e.g. BTCUSDT or KRW-BTC.")] = None,
    timeframe: Annotated[str | None, typer.Option("--timeframe", help="Override the timeframe, e.g. 5m; it must match the bars' spacing.")] = None,
    venue: Annotated[str | None, typer.Option("--venue", help=f"Override the venue: {' or '.join(VENUES)}.")] = None,
    market: Annotated[str | None, typer.Option("--market", help=f"Override the market: {' or '.join(MARKET_TYPES)}.")] = None,
    as_of: AsOfOpt = None,
) -> None:
    """Import files into the store: auto-detect the format, validate, upsert (idempotent).

    Unusable files are reported (file and why) and skipped, the others imported; exit code 1 if any failed. Candles still open at --as-of and the open last row of REST snapshots are never stored. Safe to run several imports at once: writes of one series are serialised and merged.
    """
    _check_overrides(symbol, timeframe, venue, market)
    when = _as_of(as_of)
    root = _import_root(store)
    candle_store = CandleStore(root)
    console = _console()
    try:
        files, skipped = iter_data_files(paths)
    except DataError as exc:
        console.print(f"[bold red]FAIL[/] {exc}")
        raise typer.Exit(code=1) from None
    failed = 0
    for path in files:
        try:
            series = load_file(path, symbol=symbol, timeframe=timeframe, venue=venue, market=market, as_of=when)
            for item in series:
                done = candle_store.upsert(item.key, item.frame, as_of=when)
                s = done.stats
                if done.unreadable:
                    aside, why = done.unreadable
                    console.print(f"[yellow]replaced unreadable[/] {done.path} (moved to {aside}): {why}")
                console.print(
                    f"[green]ok[/] {path} → {item.key}: {item.report.rows:,} rows read, {s.appended:,} appended, "
                    f"{len(s.replaced):,} replaced, {s.unchanged:,} unchanged ({s.rows:,} stored)"
                )
                for line in _issue_lines(item.report):
                    console.print(line)
        except DataError as exc:
            failed += 1
            where = "" if str(path) in str(exc) else f"{path}: "
            console.print(f"[bold red]FAIL[/] {where}{exc}")
    for path, why in skipped:
        console.print(f"[dim]skip {path}: {why}[/]")
    console.print(f"\nimported {len(files) - failed} of {len(files)} file(s) into {root}")
    if failed:
        console.print(f"[bold red]{failed} file(s) failed[/]: see FAIL lines above")
        raise typer.Exit(code=1)


@app.command("info")
def info(store: StoreOpt = None) -> None:
    """List stored series of the store in use: key, first and last time, rows, gaps; unreadable files are named."""
    candle_store, described = store_in_use(store)
    console = _console()
    console.print(f"[bold]store in use[/]: {described}")
    keys = candle_store.keys()
    if not keys:
        console.print(f"no series stored under {candle_store.root} (import some with `coinpilot data import`)")
        return
    width = max(len(str(k)) for k in keys)
    unreadable = 0
    for key in keys:
        try:
            s = candle_store.summary(key)
        except UnreadableSeriesError as exc:
            unreadable += 1
            console.print(f"{key!s:<{width}}  [bold red]unreadable[/]: {exc}")
            continue
        except DataError as exc:  # e.g. a folder whose name is no valid venue/market/symbol
            unreadable += 1
            console.print(f"{key!s:<{width}}  [bold red]not a valid series[/]: {exc}")
            continue
        missing = sum(g.bars for g in s.gaps)
        gaps = f"{len(s.gaps)} gap(s), {missing} missing bar(s)" if s.gaps else "no gaps"
        console.print(f"{key!s:<{width}}  {_t(s.first)} → {_t(s.last)}  {s.rows:>10,} rows  {gaps}")
        if s.gaps:
            console.print("    " + ", ".join(str(g) for g in s.gaps[:_SHOWN]))
    if unreadable:
        console.print(f"[bold red]{unreadable} of {len(keys)} series cannot be used[/]: re-import or delete them")
        raise typer.Exit(code=1)
