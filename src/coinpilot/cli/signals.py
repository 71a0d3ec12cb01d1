"""`coinpilot signals`: run strategies over stored candles and show what they would have done.

The default is every built-in strategy on the configured symbols, else every stored symbol of
the store in use (the bundled sample when nothing else is configured): other timeframes are built from stored ones (15m from 5m, 4h
from 1h). It prints the last signals of each strategy and symbol with their reasons, then one
summary table. Signals are computed over history from before --start (warm-up) and shown from
--start on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from coinpilot.cli.common import StrategiesDirOpt, settings
from coinpilot.data.store import CandleStore
from coinpilot.domain.candles import SeriesKey
from coinpilot.domain.enums import IntentAction
from coinpilot.domain.errors import ConfigError, DataNotFoundError
from coinpilot.domain.intent import Intent
from coinpilot.domain.timeframe import parse_utc
from coinpilot.engine.runconfig import strategy_class
from coinpilot.strategies import BUILTIN_STRATEGIES, registry, validate_prepared
from coinpilot.strategies.base import Strategy
from coinpilot.strategies.marketdata import market_data_for, stored_timeframes

if TYPE_CHECKING:
    from coinpilot.config.settings import Settings

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


def _venue_market(conf: Settings, venue: str | None, market: str | None) -> tuple[str, str]:
    from coinpilot.data.limits import check_venue_market
    from coinpilot.domain.errors import DataError

    venue = venue if venue is not None else conf.exchange.venue
    market = market if market is not None else conf.exchange.market
    try:
        check_venue_market(venue, market)
    except DataError as exc:
        raise ConfigError(f"--venue/--market: {exc}") from None
    return venue, market


def _default_symbols(conf: Settings, name: str, store: CandleStore, venue: str, market: str) -> list[str] | None:
    """The configured symbols if the user set any, else every stored symbol of the market."""
    section = conf.strategies.get(name)
    if "symbols" in conf.model_fields_set or (section is not None and section.symbols):
        return None  # backtest_config reads them
    return sorted({k.symbol for k in store.keys() if (k.venue, k.market) == (venue, market)})  # noqa: SIM118


def signals_cmd(
    strategies: Annotated[list[str] | None, typer.Option("--strategy", "-s", "--strategies", help="Strategy names (repeatable or comma-separated; default: every built-in).")] = None,
    symbols: Annotated[list[str] | None, typer.Option("--symbols", help="Symbols (repeatable or comma-separated; default: the configured symbols if set, else every stored one).")] = None,
    start: Annotated[str | None, typer.Option("--start", help="Show signals from this UTC time (history before it warms the indicators up).")] = None,
    end: Annotated[str | None, typer.Option("--end", help="Use candles before this UTC time.")] = None,
    last: Annotated[int, typer.Option("--last", "-n", help="Signals to print per strategy and symbol (0 or more).")] = 3,
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="Strategy parameter key=value (repeatable; beats the config).")] = None,
    store: Annotated[Path | None, typer.Option("--store", help="Candle store root (default: settings.data_dir, else the bundled sample).")] = None,
    strategies_dir: StrategiesDirOpt = None,
    venue: Annotated[str | None, typer.Option("--venue", help="Venue of the stored candles (default: exchange.venue).")] = None,
    market: Annotated[str | None, typer.Option("--market", help="Market of the stored candles (default: exchange.market).")] = None,
) -> None:
    """Run strategies over stored candles and print their latest signals and a summary.

    Parameters come from the one configuration (file < env < --param), per symbol, as in
    `backtest`."""
    from coinpilot.cli.strategies import parse_params
    from coinpilot.data.store import store_in_use
    from coinpilot.engine.runconfig import RunOptions, backtest_config, parse_symbols

    began = time.perf_counter()
    console = Console(highlight=False)
    if last < 0:
        raise ConfigError(f"--last {last}: give 0 or more signals to print")
    conf = settings(strategies_dir)
    venue, market = _venue_market(conf, venue, market)
    found, where = store_in_use(store, conf)
    candle_store = _CachedStore(found.root)
    wanted = parse_symbols(_split(symbols), "--symbols") if symbols else None
    params = parse_params(param)
    chosen = _split(strategies) or list(BUILTIN_STRATEGIES)
    plans = []
    for name in chosen:  # every configuration checked before any work
        run_symbols = wanted if wanted is not None else _default_symbols(conf, name, candle_store, venue, market)
        if run_symbols == []:
            raise DataNotFoundError(
                f"no {venue}/{market} candles in {where}; import some with `coinpilot data import`"
            )
        cfg = backtest_config(conf, name, RunOptions(symbols=run_symbols, start=start, end=end, params=params))
        plans.append((name, cfg, [s for s in (run_symbols or cfg.symbols) if s not in cfg.symbols]))
    console.print(f"[dim]candles: {where}[/]")
    show_from = None if plans[0][1].start is None else parse_utc(str(plans[0][1].start))
    until = None if plans[0][1].end is None else parse_utc(str(plans[0][1].end))
    rows: list[_Row] = []
    n_symbols = 0
    for name, cfg, disabled in plans:
        cls = strategy_class(conf, name)
        title_strategy = registry.instantiate(cls, cfg.params)
        table = Table(title=f"{cls.name} ({title_strategy.timeframe.name}): last {last} signals per symbol",
                      title_justify="left")
        for col in ("symbol", "decided at (UTC)", "action", "price", "stop", "target", "score", "reason"):
            table.add_column(col, overflow="fold")
        n_symbols = max(n_symbols, len(cfg.symbols) + len(disabled))
        for symbol in cfg.symbols:
            strategy = registry.instantiate(cls, {**cfg.params, **cfg.symbol_params.get(symbol, {})})
            row = _Row(cls.name, symbol)
            rows.append(row)
            for intent in _run(strategy, candle_store, symbol, venue, market, show_from, until, last, row):
                table.add_row(*_intent_cells(intent))
        rows += [_Row(cls.name, s, note="switched off in the config") for s in disabled]
        console.print(table)
    console.print(_summary(rows))
    console.print(f"{len(plans)} strategies × {n_symbols} symbols in {time.perf_counter() - began:.1f}s")


def _run(strategy: Strategy, store: CandleStore, symbol: str, venue: str, market: str,
         show_from: pd.Timestamp | None, until: pd.Timestamp | None, last: int, row: _Row) -> list[Intent]:
    """Prepare one strategy on one symbol; fill its summary row; return its last intents."""
    load_from = None
    if show_from is not None:  # enough history before --start for the indicators to warm up
        load_from = show_from - strategy.timeframe.delta * strategy.history_bars
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
