"""Backtest runner: one strategy over many symbols through the real engine components.

Data → strategy.prepare (vectorised, once) → SimLoop driving Bot / RiskManager / OrderManager /
SimExchange → trades, equity (with unrealised PnL), funding ledger, rejections → BacktestResult.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import threading
from bisect import bisect_right
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from coinpilot.data.store import CandleStore
from coinpilot.domain.candles import utc_stamp
from coinpilot.domain.errors import ConfigError, DataError, StrategyError
from coinpilot.domain.filters import SymbolFilters
from coinpilot.domain.leverage import LeverageTiers
from coinpilot.domain.trade import ExitReason, Trade
from coinpilot.engine import bus as ch
from coinpilot.engine.bot import Bot
from coinpilot.engine.bus import EventBus
from coinpilot.engine.context import AccountViewer
from coinpilot.engine.equity import equity_curve
from coinpilot.engine.loop import SimLoop
from coinpilot.engine.results import BacktestResult, build_result, make_run_id
from coinpilot.exchanges.base import FundingEvent
from coinpilot.exchanges.sim.config import SimConfig
from coinpilot.exchanges.sim.exchange import SimExchange, dec
from coinpilot.exchanges.sim.market import SimMarket
from coinpilot.exchanges.sim.rules import OrderRules
from coinpilot.execution.config import ExecutionConfig
from coinpilot.execution.order_manager import OrderManager
from coinpilot.risk.config import RiskConfig
from coinpilot.risk.halts import HaltPeriod
from coinpilot.risk.manager import RiskManager
from coinpilot.risk.types import Rejection
from coinpilot.strategies import registry
from coinpilot.strategies.base import MarketData, Strategy, validate_prepared
from coinpilot.strategies.loader import resolve_strategy
from coinpilot.strategies.marketdata import load_mark, market_data_for


class BacktestConfig(BaseModel):
    """Everything a run depends on; stored with the results (config.json) so a run can be
    repeated exactly: `BacktestConfig.from_stored(json)` or `coinpilot backtest --rerun DIR`.

    `clock`: 'sparse' visits only bars where something can happen; 'dense' visits every bar
    like a paper replay. Both give identical trades; the one exception is an equity-based
    breaker (risk.losses.circuit_breaker_loss / max_drawdown), which sparse checks only at
    the bars it visits: use 'dense' when such a breaker must see every bar's equity.
    """

    model_config = ConfigDict(extra="forbid")

    strategy: str
    params: dict[str, Any] = Field(default_factory=dict)
    symbol_params: dict[str, dict[str, Any]] = Field(default_factory=dict)
    symbols: list[str]
    venue: str = "binance"
    market: Literal["futures", "spot"] = "futures"
    start: str | None = None
    end: str | None = None
    leverage: int = Field(1, ge=1, le=125)
    sim: SimConfig = Field(default_factory=SimConfig)
    execution: ExecutionConfig = Field(default_factory=ExecutionConfig)
    risk: RiskConfig = Field(default_factory=RiskConfig)
    clock: Literal["sparse", "dense"] = "sparse"
    end_of_data: Literal["last_open", "last_close"] = "last_close"
    size_at_fill: bool = False
    strategies_dir: str | None = Field(
        None, description="where a user strategy module <name>.py lives (worker processes load it from here)"
    )
    warmup: bool = Field(
        True, description="load history before `start` so indicators are settled at the first decision"
    )

    @classmethod
    def from_stored(cls, stored: dict[str, Any]) -> BacktestConfig:
        """Rebuild from a results config.json (run metadata keys are ignored)."""
        return cls.checked({k: v for k, v in stored.items() if k in cls.model_fields}, "stored run config is invalid")

    @classmethod
    def checked(cls, data: dict[str, Any], title: str) -> BacktestConfig:
        """Validate `data`; a bad value is a ConfigError that names each field, not a traceback."""
        from pydantic import ValidationError

        from coinpilot.config.loader import describe_validation_error

        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(describe_validation_error(exc, title)) from None


@dataclass
class _Collect:
    trades: list[Trade] = field(default_factory=list)
    rejections: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)


def _exchange_rules(cfg: BacktestConfig) -> tuple[dict[str, SymbolFilters], dict[str, LeverageTiers]]:
    if not cfg.sim.apply_filters:
        return {}, {}
    if cfg.venue == "binance" and cfg.market == "futures":
        from coinpilot.exchanges.binance.rules import bundled_catalog, leverage_tiers

        catalog = bundled_catalog()
        filters = {s: catalog.get("binance", "futures", s).filters for s in cfg.symbols}
        tiers = {}
        for s in cfg.symbols:
            try:
                tiers[s] = leverage_tiers(s)
            except Exception:
                continue
        return filters, tiers
    if cfg.venue == "upbit":
        from coinpilot.exchanges.upbit.rules import krw_spec

        return {s: krw_spec(s).filters for s in cfg.symbols}, {}
    return {}, {}


def prepare_all(strategies: dict[str, Strategy], data: dict[str, MarketData]) -> dict[str, pd.DataFrame]:
    out = {}
    for symbol, strategy in strategies.items():
        try:
            prepared = strategy.prepare(data[symbol])
        except Exception as exc:  # user code: name strategy and symbol, keep the cause
            raise StrategyError(
                f"{strategy.name}.prepare failed on {symbol}: {type(exc).__name__}: {exc}; "
                "fix the strategy (run it alone with `coinpilot signals`)"
            ) from exc
        out[symbol] = validate_prepared(strategy, data[symbol], prepared)
    return out


def load_data(cfg: BacktestConfig, store: CandleStore, strategies: dict[str, Strategy]) -> dict[str, MarketData]:
    """Each symbol's data from `cfg.start` (or the first stored candle) to `cfg.end`, with the
    strategy's history before `start` when `cfg.warmup` (see `history_start`)."""
    data = {}
    for symbol, strategy in strategies.items():
        first = history_start(strategy, cfg.start) if cfg.warmup else cfg.start
        md = market_data_for(strategy, store, symbol, venue=cfg.venue, market=cfg.market, start=first, end=cfg.end)
        if len(md.candles) == 0 or (cfg.start is not None and md.candles["open_time"].iloc[-1] < utc_time(cfg.start)):
            raise DataError(f"{symbol}: no candles between {cfg.start} and {cfg.end} (empty period)")
        data[symbol] = md
    return data


def utc_time(text: str) -> pd.Timestamp:
    """A configured time as UTC; a bad value is a ConfigError naming it."""
    from coinpilot.domain.timeframe import parse_utc

    try:
        return parse_utc(text)
    except ValueError as exc:
        raise ConfigError(f"backtest time: {exc}") from None


def history_start(strategy: Strategy, start: str | None) -> pd.Timestamp | None:
    """Where to start loading so that the decision at `start` equals a full-history run's.

    A backtest over a sub-range must not differ from the full run inside that range just
    because its indicators start cold (c_mtf_pullback on BTCUSDT from 2025-03-09 made 0 trades
    instead of 2). The strategy's `history_bars` (its warm-up plus the memory of recursive
    indicators such as EMAs) of its own timeframe are loaded before `start`; the rows before
    `start` feed `prepare` only and are cut before the simulation.
    """
    if start is None:
        return None
    return utc_time(start) - strategy.timeframe.delta * strategy.history_bars


def trim_to_start(data: MarketData, prepared: pd.DataFrame, start: str | None) -> tuple[MarketData, pd.DataFrame]:
    """Cut the warm-up rows (before `start`) off the primary candles and the prepared frame."""
    if start is None:
        return data, prepared
    times = data.candles["open_time"]
    keep = int((times < utc_time(start)).sum())
    if keep == 0:
        return data, prepared
    candles = data.candles.iloc[keep:].reset_index(drop=True)
    funding = data.funding
    if funding is not None and len(funding):
        funding = funding[funding["funding_time"] >= utc_time(start)].reset_index(drop=True)
    return (
        dataclasses.replace(data, candles=candles, funding=funding),
        prepared.iloc[keep:].reset_index(drop=True),
    )


def check_funding(cfg: BacktestConfig, data: dict[str, MarketData]) -> list[str]:
    """Futures backtests need funding: missing series raise or warn as configured."""
    if cfg.market != "futures" or cfg.sim.funding == "off" or cfg.sim.missing_funding == "ignore":
        return []
    problems = []
    for symbol, md in data.items():
        f = md.funding
        first, last = md.candles["open_time"].iloc[0], md.candles["open_time"].iloc[-1]
        if f is None or len(f) == 0:
            problems.append(f"{symbol}: no funding series stored; funding payments are not simulated")
        elif f["funding_time"].iloc[0] > first + pd.Timedelta(hours=8) or f["funding_time"].iloc[-1] < last - pd.Timedelta(hours=8):
            problems.append(f"{symbol}: funding covers {f['funding_time'].iloc[0]} → {f['funding_time'].iloc[-1]}, candles {first} → {last}")
    if problems and cfg.sim.missing_funding == "error":
        raise DataError("missing funding data: " + "; ".join(problems) +
                        " (import it, or set sim.missing_funding to 'warn' or 'ignore')")
    return problems


class Backtest:
    """Build once, run once. `run()` returns a BacktestResult."""

    def __init__(self, cfg: BacktestConfig, store: CandleStore, progress: Callable[[int], None] | None = None) -> None:
        if not cfg.symbols:
            raise ConfigError("a backtest needs at least one symbol")
        self.cfg = cfg
        self.store = store
        self.progress = progress
        dirs = [cfg.strategies_dir] if cfg.strategies_dir else []
        cls = resolve_strategy(cfg.strategy, dirs)
        self.strategies = {
            s: registry.instantiate(cls, {**cfg.params, **cfg.symbol_params.get(s, {})}) for s in cfg.symbols
        }
        data = load_data(cfg, store, self.strategies)
        prepared = prepare_all(self.strategies, data)
        self.data, self.prepared = {}, {}
        for s in cfg.symbols:
            self.data[s], self.prepared[s] = trim_to_start(data[s], prepared[s], cfg.start)
        self.warnings = check_funding(cfg, self.data)

    def run(self) -> BacktestResult:
        done: list[BacktestResult] = []

        async def main() -> None:
            # the result is handed back through `done`, not as the task's result: when
            # asyncio.run restores the SIGINT handler it formats repr(task) (an Enum lookup
            # of the old handler fails on CPython 3.11), and the repr of a finished task
            # includes its result, i.e. every trade: ~0.2 s wasted on the reference run
            done.append(await self.run_async())

        with young_collections_only():
            asyncio.run(main())
        return done[0]

    async def run_async(self) -> BacktestResult:
        cfg = self.cfg
        filters, tiers = _exchange_rules(cfg)
        sim_cfg = cfg.sim.model_copy(update={"default_leverage": cfg.leverage})
        sim = SimExchange(sim_cfg, OrderRules(cfg.sim.apply_filters, filters, tiers), market=cfg.market)
        for symbol, md in self.data.items():
            mark = (load_mark(self.store, symbol, venue=cfg.venue, market=cfg.market, start=cfg.start, end=cfg.end)
                    if cfg.market == "futures" and cfg.sim.funding == "apply" else None)
            sim.add_market(SimMarket.from_frames(symbol, md.timeframe, md.candles, md.funding, mark))
        run_id = make_run_id(cfg.model_dump(mode="json"), cfg.strategy)
        om = OrderManager(sim, run_id, cfg.execution, filters, hedge_mode=cfg.sim.hedge_mode)
        bus = EventBus()
        collect = _Collect()
        risk = RiskManager(cfg.risk, scope="backtest")
        sim.add_listener(om.on_event)
        om.on_entry_failed(risk.entry_failed)

        async def on_trade(trade: Trade) -> None:
            risk.on_trade_closed(trade)
            collect.trades.append(trade)
            await bus.publish(ch.TRADE_CLOSED, trade)

        om.on_trade(on_trade)

        async def on_reject(_: str, rejection: Rejection) -> None:
            collect.rejections.append(rejection.as_row())

        bus.subscribe(ch.RISK_REJECTED, on_reject)

        async def on_note(symbol: str, rule: str, detail: str) -> None:
            now = sim.now(symbol)
            collect.rejections.append({"time": now, "symbol": symbol, "strategy": cfg.strategy,
                                       "side": "", "rule": rule, "reason": detail})

        om.on_note(on_note)
        viewer = AccountViewer(
            sim, om, list(cfg.symbols), price=lambda s: sim._last_price(s), base_balance=cfg.sim.initial_balance,
            leverage=cfg.leverage, filters=filters, tiers=tiers,
            next_funding=_FundingClock(sim.markets), has_funding=cfg.market == "futures",
        )
        fill_next_open = cfg.sim.market_fill == "next_open"
        bots = {
            s: Bot(s, self.strategies[s], self.data[s], self.prepared[s], om, risk, viewer, bus,
                   on_opposite=cfg.execution.on_opposite_signal, size_at_fill=cfg.size_at_fill,
                   last_entry_bar=len(self.data[s].candles) - (3 if fill_next_open else 2))
            for s in cfg.symbols
        }

        watch_equity = cfg.risk.enabled and (
            cfg.risk.losses.circuit_breaker_loss is not None or cfg.risk.losses.max_drawdown is not None
        )

        last_day = [-1]

        async def after_event(symbol: str, bar: int) -> None:
            market = sim.markets[symbol]
            day = (int(market.times[bar]) + market.timeframe.ms) // 86_400_000
            if watch_equity and om.positions:  # F16 breaker / drawdown stop watch equity
                risk.on_account(await viewer.view(sim.now(symbol)))
            elif day != last_day[0]:  # the risk day only moves at UTC midnight
                risk.on_time(sim.now(symbol))
            last_day[0] = day
            if not risk.has_pending_actions:
                return
            for action in risk.pending_actions():
                for other in list(om.positions):
                    await om.exit(other, ExitReason.RISK)
                collect.notes.append({"time": action.time, "rule": action.rule.value, "reason": action.reason})

        loop = SimLoop(sim, om, bots, cfg.clock, after_event, self.progress)
        await loop.run()
        await self._end_of_data(sim, om)
        return self._result(run_id, sim, collect, loop.events, risk.halts)

    async def _end_of_data(self, sim: SimExchange, om: OrderManager) -> None:
        for symbol in list(om.positions) + list(om.pending):
            market = sim.markets[symbol]
            last = len(market) - 1
            if sim.cursor[symbol] < last:
                om.set_bar(symbol, last)
                await sim.process_bar(symbol, last)
            await om.cancel_entry(symbol)
            if symbol in om.positions:
                await om.exit(symbol, ExitReason.END)
                price = market.open[last] if self.cfg.end_of_data == "last_open" else market.close[last]
                await sim.settle_pending(symbol, float(price), last)

    def _result(
        self, run_id: str, sim: SimExchange, collect: _Collect, events: int, halts: tuple[HaltPeriod, ...]
    ) -> BacktestResult:
        cfg = self.cfg
        funding = pd.DataFrame(
            [{"time": e.time, "symbol": e.symbol, "rate": float(e.rate), "mark_price": float(e.mark_price),
              "amount": float(e.amount)} for e in sim.funding_ledger if isinstance(e, FundingEvent)],
            columns=["time", "symbol", "rate", "mark_price", "amount"],
        )
        equity, exposure = equity_curve(
            {s: md.candles for s, md in self.data.items()}, collect.trades, funding,
            float(cfg.sim.initial_balance), self.data[cfg.symbols[0]].timeframe,
        )
        rejections = pd.DataFrame(collect.rejections, columns=["time", "symbol", "strategy", "side", "rule", "reason"])
        result = build_result(
            run_id=run_id, trades=collect.trades, equity=equity, initial_balance=float(cfg.sim.initial_balance),
            timeframe=self.data[cfg.symbols[0]].timeframe, config=cfg.model_dump(mode="json"),
            strategy=cfg.strategy, exposure=exposure, funding=funding, rejections=rejections,
            candles={s: md.candles for s, md in self.data.items()}, hedge_mode=cfg.sim.hedge_mode,
            indicators=self._indicators(), plot_columns=self._plot_columns(), halts=halts,
        )
        result.config["events"] = events
        result.config["warnings"] = self.warnings
        return result

    def _plot_columns(self) -> dict[str, str]:
        """The strategy's declared plot columns that its prepared frames really hold."""
        declared = dict(self.strategies[self.cfg.symbols[0]].plot_columns)
        return {c: panel for c, panel in declared.items()
                if all(c in frame.columns for frame in self.prepared.values())}

    def _indicators(self) -> dict[str, pd.DataFrame]:
        """Per symbol, the plot columns of the prepared frame (row for row with the candles)."""
        columns = list(self._plot_columns())
        return {s: frame[columns].reset_index(drop=True) for s, frame in self.prepared.items()} if columns else {}


_gc_lock = threading.Lock()
_gc_holders = 0
_gc_saved: tuple[int, int, int] | None = None


@contextmanager
def young_collections_only() -> Iterator[None]:
    """Hold back CPython's full (oldest-generation) garbage collections while a run is going.

    A run leaves tens of thousands of small objects alive (orders, fills, trades), and that
    growth triggers a full collection, which walks the whole heap (every imported module,
    the candle frames: ~200k objects, 0.1-0.2 s, about a tenth of a run). The young
    generations are still collected as usual, so reference cycles that user code creates and
    drops during the run are freed; only the full pass waits until the run has ended, when
    the previous thresholds are back. Nested or concurrent runs share one hold.
    """
    global _gc_holders, _gc_saved
    with _gc_lock:
        if _gc_holders == 0:
            _gc_saved = gc.get_threshold()
            gc.set_threshold(_gc_saved[0], _gc_saved[1], 1_000_000)
        _gc_holders += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_holders -= 1
            if _gc_holders == 0 and _gc_saved is not None:
                gc.set_threshold(*_gc_saved)
                _gc_saved = None


class _FundingClock:
    """The next funding time after `now` for the account viewer (None past the last one).

    Every entry asks, a few days apart per symbol, so a remembered answer rarely still holds;
    a bisect over the funding times as a Python list (~0.2 µs) beats numpy's searchsorted
    call (~1.5 µs) for one value, and the shared stamp cache makes the answer's Timestamp."""

    def __init__(self, markets: dict[str, SimMarket]) -> None:
        self._markets = markets
        self._times: dict[str, list[int]] = {}  # symbol: funding times, epoch ms

    def __call__(self, symbol: str, now: pd.Timestamp) -> pd.Timestamp | None:
        times = self._times.get(symbol)
        if times is None:
            times = self._times[symbol] = [int(t) for t in self._markets[symbol].funding_times.tolist()]
        k = bisect_right(times, now.value // 1_000_000)
        return utc_stamp(times[k]) if k < len(times) else None


__all__ = ["Backtest", "BacktestConfig", "Decimal", "dec"]
