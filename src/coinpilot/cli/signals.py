"""`coinpilot signals`: run strategies over stored candles and show what they would have done.

The default is every built-in strategy on every symbol of the bundled sample (3 months of 5m
and 1h candles for 6 symbols): other timeframes are built from stored ones (15m from 5m, 4h
from 1h). It prints the last signals of each strategy and symbol with their reasons, then one
summary table. Signals are computed over history from before --start (warm-up) and shown from
--start on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from coinpilot.data.store import CandleStore, sample_root
from coinpilot.domain.candles import SeriesKey
from coinpilot.domain.enums import IntentAction
from coinpilot.domain.errors import DataNotFoundError
from coinpilot.domain.intent import Intent
from coinpilot.strategies import BUILTIN_STRATEGIES, validate_prepared
from coinpilot.strategies.base import Strategy
from coinpilot.strategies.loader import resolve_strategy
from coinpilot.strategies.marketdata import market_data_for, stored_timeframes
from coinpilot.strategies.registry import instantiate

ListOpt = Annotated[list[str] | None, typer.Option(help="Repeatable or comma-separated.")]


class _CachedStore(CandleStore):
    """Loads each stored series once per command: strategies share candles."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self._memo: dict[tuple[SeriesKey, object, object], pd.DataFrame] = {}

    def load(self, key: SeriesKey, start: pd.Timestamp | str | None = None,
             end: pd.Timestamp | str | None = None) -> pd.DataFrame:
        memo_key = (key, start, end)
        if memo_key not in self._memo:
            self._memo[memo_key] = super().load(key, start, end)
        return self._memo[memo_key]


@dataclass
class _Row:
    strategy: str
    symbol: str
    longs: int = 0
    shorts: int = 0
    exits: int = 0
    first: pd.Timestamp | None = None
    last: pd.Timestamp | None = None
    note: str = ""


def _split(values: list[str] | None) -> list[str]:
    return [v.strip() for item in values or [] for v in item.split(",") if v.strip()]


def _utc(text: str | None, option: str) -> pd.Timestamp | None:
    if text is None:
        return None
    try:
        ts = pd.Timestamp(text)
    except ValueError:
        raise typer.BadParameter(f"{option}: not a time: {text!r} (use e.g. 2025-02-01 or 2025-02-01T12:00)") from None
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def signals_cmd(
    store: Annotated[Path | None, typer.Option("--store", help="Candle store root (default: the bundled sample).")] = None,
    symbols: Annotated[list[str] | None, typer.Option("--symbols", "-s", help="Symbols (repeatable or comma-separated; default: all stored).")] = None,
    strategies: Annotated[list[str] | None, typer.Option("--strategies", help="Strategy names (default: every built-in).")] = None,
    start: Annotated[str | None, typer.Option("--start", help="Show signals from this UTC time.")] = None,
    end: Annotated[str | None, typer.Option("--end", help="Use candles before this UTC time.")] = None,
    last: Annotated[int, typer.Option("--last", "-n", help="Signals to print per strategy and symbol.")] = 3,
    module_dir: Annotated[list[Path] | None, typer.Option("--module-dir", help="Directory of user strategy modules.")] = None,
    venue: Annotated[str, typer.Option("--venue")] = "binance",
    market: Annotated[str, typer.Option("--market")] = "futures",
) -> None:
    """Run strategies over stored candles and print their latest signals and a summary."""
    began = time.perf_counter()
    console = Console(highlight=False)
    root = store if store is not None else sample_root()
    candle_store = _CachedStore(root)
    show_from, until = _utc(start, "--start"), _utc(end, "--end")
    wanted = [s.upper() for s in _split(symbols)] or sorted(
        {k.symbol for k in candle_store.keys() if (k.venue, k.market) == (venue, market)}  # noqa: SIM118
    )
    if not wanted:
        raise DataNotFoundError(f"no {venue}/{market} candles under {root}; import some with `coinpilot data import`")
    chosen = _split(strategies) or list(BUILTIN_STRATEGIES)
    rows: list[_Row] = []
    for name in chosen:
        strategy = instantiate(resolve_strategy(name, module_dir or []))
        table = Table(title=f"{name} ({strategy.timeframe.name}): last {last} signals per symbol", title_justify="left")
        for col in ("symbol", "decided at (UTC)", "action", "price", "stop", "target", "score", "reason"):
            table.add_column(col, overflow="fold")
        for symbol in wanted:
            row = _Row(name, symbol)
            rows.append(row)
            for intent in _run(strategy, candle_store, symbol, venue, market, show_from, until, last, row):
                table.add_row(*_intent_cells(intent))
        console.print(table)
    console.print(_summary(rows))
    console.print(f"{len(chosen)} strategies × {len(wanted)} symbols from {root} in {time.perf_counter() - began:.1f}s")


def _run(strategy: Strategy, store: CandleStore, symbol: str, venue: str, market: str,
         show_from: pd.Timestamp | None, until: pd.Timestamp | None, last: int, row: _Row) -> list[Intent]:
    """Prepare one strategy on one symbol; fill its summary row; return its last intents."""
    load_from = None
    if show_from is not None:  # enough history before --start for the indicators to warm up
        load_from = show_from - strategy.timeframe.delta * (2 * strategy.warmup_bars + 10)
    try:
        data = market_data_for(strategy, store, symbol, venue=venue, market=market, start=load_from, end=until)
    except DataNotFoundError as exc:
        row.note = "no data: " + str(exc).split(";")[0]
        if not stored_timeframes(store, symbol, venue, market):
            row.note = "no data"
        return []
    prepared = validate_prepared(strategy, data, strategy.prepare(data))
    sig = prepared["signal"].to_numpy()
    ext = prepared["exit"].to_numpy()
    decided = pd.DatetimeIndex(data.candles["open_time"]) + strategy.timeframe.delta  # close = decision time
    shown = np.ones(len(sig), dtype=bool) if show_from is None else np.asarray(decided > show_from)
    row.longs = int(((sig == 1) & shown).sum())
    row.shorts = int(((sig == -1) & shown).sum())
    row.exits = int(((ext != 0) & shown).sum())
    events = np.flatnonzero(((sig != 0) | (ext != 0)) & shown)
    if len(events):
        row.first = decided[int(events[0])]
        row.last = decided[int(events[-1])]
    intents = [strategy.decide(prepared, int(t), data) for t in events[-last:]] if last > 0 else []
    return [i for i in intents if i is not None]


def _intent_cells(intent: Intent) -> tuple[str, ...]:
    if intent.action is IntentAction.ENTER:
        action = intent.side.value.upper()
        stop = "-" if intent.stop is None else f"{intent.stop.price(intent.price, intent.side, is_stop=True):.6g}"
        target = "-" if intent.target is None else f"{intent.target.price(intent.price, intent.side, is_stop=False):.6g}"
    else:
        action, stop, target = f"exit {intent.side.value}", "-", "-"
    return (intent.symbol, intent.time.strftime("%Y-%m-%d %H:%M"), action, f"{intent.price:.6g}",
            stop, target, f"{intent.score:.3g}", intent.reason)


def _summary(rows: list[_Row]) -> Table:
    table = Table(title="summary (signals shown from --start on)", title_justify="left")
    for col in ("strategy", "symbol", "longs", "shorts", "exits", "first (UTC)", "last (UTC)"):
        table.add_column(col, justify="right" if col in ("longs", "shorts", "exits") else "left")
    for r in rows:
        first = "-" if r.first is None else r.first.strftime("%Y-%m-%d %H:%M")
        last = r.note or ("-" if r.last is None else r.last.strftime("%Y-%m-%d %H:%M"))
        table.add_row(r.strategy, r.symbol, str(r.longs), str(r.shorts), str(r.exits), first, last)
    return table
