"""Run a strategy through the fast path for many symbols, the way the event engine would.

Sweeps and walk-forwards run one strategy hundreds of times over the same candles, so this
module keeps everything that does not change between runs: each symbol's MarketData is loaded
once, a strategy's indicators are computed once per (symbol, indicator parameters), and only
the cheap part (thresholds → signals, multipliers → stop/target) is redone per parameter set.

- `fast_setup(cfg)` maps an event-engine `BacktestConfig` (a preset) onto `FastParams` and lists
  what the fast path does not model for that config; `strict=True` makes each such gap a
  ConfigError. With the `reference` preset there is none, and the trades are identical to the
  event engine's (tests/engine/test_fastrun.py).
- `FastRunner.run(params, windows)` simulates every symbol over whole periods or time windows
  (signals always come from the full loaded history, which is causal: a window starts flat but
  its indicators are warm); `stats` gives a sweep's metrics straight from the arrays (the
  portfolio equity includes unrealised PnL, P62); `result` builds a full BacktestResult with
  domain Trades, in the event engine's conventions (times, trade ids, level metadata).

Parameter precedence per symbol: config params < the symbol's config overrides < the run's
`params` (a sweep's combination must win, or sweeping a per-symbol value would do nothing: P59).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from coinpilot.data.store import CandleStore
from coinpilot.domain.candles import open_ms
from coinpilot.domain.enums import Side
from coinpilot.domain.errors import ConfigError, DataError
from coinpilot.domain.timeframe import Timeframe
from coinpilot.domain.trade import Trade
from coinpilot.engine.backtest import BacktestConfig
from coinpilot.engine.equity import equity_curve
from coinpilot.engine.fastpath import REASONS, FastResult, simulate
from coinpilot.engine.fastpath_ft import FundingSchedule
from coinpilot.engine.fastsetup import FastSetup, engine_funding, fast_setup
from coinpilot.engine.metrics import trade_stats
from coinpilot.engine.metrics_equity import bar_returns, drawdown, sharpe_ratio
from coinpilot.engine.results import BacktestResult, build_result, make_run_id
from coinpilot.exchanges.sim.account import dec
from coinpilot.strategies import registry
from coinpilot.strategies.base import (
    MarketData,
    Strategy,
    StrategyParams,
    validate_prepared,
)
from coinpilot.strategies.c_score import REDERIVABLE_PARAMS, CScoreParams, rederive_signals
from coinpilot.strategies.marketdata import load_mark, market_data_for

Window = tuple[pd.Timestamp, pd.Timestamp]


class SignalColumns(NamedTuple):
    signal: np.ndarray
    exit: np.ndarray
    stop: np.ndarray
    target: np.ndarray
    score: np.ndarray


def _c_score_columns(prepared: pd.DataFrame, candles: pd.DataFrame, params: StrategyParams) -> SignalColumns:
    """c_score's signals re-derived by the strategy's own function (see rederive_signals)."""
    assert isinstance(params, CScoreParams)
    sig = rederive_signals(prepared, candles, params)
    return SignalColumns(sig.direction, np.zeros(sig.direction.shape[0], dtype=np.int8), sig.stop, sig.target, sig.score)


Rederive = Callable[[pd.DataFrame, pd.DataFrame, StrategyParams], SignalColumns]

#: strategies whose signals can be re-derived from cached indicators: (params that only the
#: re-derivation reads, the function). Other strategies call `prepare` per distinct params.
REDERIVABLE: dict[str, tuple[frozenset[str], Rederive]] = {
    "c_score": (REDERIVABLE_PARAMS, _c_score_columns),
}


@dataclass(frozen=True, slots=True)
class SymbolData:
    """One symbol's market data as the kernel reads it, loaded once per runner."""

    md: MarketData
    times: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    funding: FundingSchedule

    def bars(self, window: Window | None) -> tuple[int, int]:
        """Bar range [lo, hi) of candles opening inside the window."""
        if window is None:
            return 0, int(self.times.shape[0])
        lo, hi = (int(np.searchsorted(self.times, _ms(t), side="left")) for t in window)
        return lo, hi


@dataclass(frozen=True, slots=True)
class WindowRun:
    """A symbol simulated over bars [lo, hi): indices in `result` are relative to lo."""

    symbol: str
    lo: int
    hi: int
    result: FastResult
    strategy: Strategy


def _ms(t: pd.Timestamp | str) -> int:
    ts = pd.Timestamp(t)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return int(ts.value // 1_000_000)


class FastRunner:
    """One strategy over many symbols on the fast path, data and indicators loaded once."""

    def __init__(self, cfg: BacktestConfig, store: CandleStore, *, strict: bool = False,
                 cache_size: int = 16) -> None:
        if not cfg.symbols:
            raise ConfigError("a fast run needs at least one symbol")
        self.cfg, self.store = cfg, store
        self.setup = fast_setup(cfg, strict=strict)
        self._data: dict[tuple[str, str, tuple[str, ...], tuple[str, ...]], SymbolData] = {}
        self._prepared: OrderedDict[tuple[str, str], pd.DataFrame] = OrderedDict()
        self._grids: dict[tuple[int, ...], tuple[np.ndarray, dict[str, np.ndarray]]] = {}
        self._cache_size = cache_size

    # ---- strategy, data, signals -------------------------------------------------------------
    def strategy(self, symbol: str, params: Mapping[str, Any] | None = None) -> Strategy:
        """The strategy for `symbol`: config params < symbol overrides < `params` (P59)."""
        merged = {**self.cfg.params, **self.cfg.symbol_params.get(symbol, {}), **dict(params or {})}
        return registry.create(self.cfg.strategy, merged)

    def data(self, symbol: str, strategy: Strategy | None = None) -> SymbolData:
        strategy = strategy or self.strategy(symbol)
        key = (symbol, strategy.timeframe.name, strategy.informative_timeframes, strategy.context_symbols)
        found = self._data.get(key)
        if found is None:
            md = market_data_for(strategy, self.store, symbol, venue=self.cfg.venue, market=self.cfg.market,
                                 start=self.cfg.start, end=self.cfg.end)
            if len(md.candles) == 0:
                raise DataError(f"{symbol}: no candles between {self.cfg.start} and {self.cfg.end} (empty period)")
            c = md.candles
            found = SymbolData(
                md, open_ms(c), c["open"].to_numpy(dtype=np.float64), c["high"].to_numpy(dtype=np.float64),
                c["low"].to_numpy(dtype=np.float64), c["close"].to_numpy(dtype=np.float64),
                engine_funding(c, md.funding, self.setup.params.profile.entry_timing,
                               load_mark(self.store, symbol, venue=self.cfg.venue, market=self.cfg.market,
                                         start=self.cfg.start, end=self.cfg.end) if md.funding is not None else None),
            )
            self._data[key] = found
        return found

    def prepared(self, symbol: str, strategy: Strategy, exact: bool = False) -> pd.DataFrame:
        """strategy.prepare over the symbol's data, cached by the params that shape indicators.

        `exact=False` may return a frame computed with other re-derivable params (its signal
        columns are then not this strategy's: read them through `columns`)."""
        keys = REDERIVABLE.get(strategy.name, (frozenset(), None))[0] if not exact else frozenset()
        key = (symbol, json.dumps(strategy.params.model_dump(mode="json", exclude=set(keys)), sort_keys=True))
        frame = self._prepared.get(key)
        if frame is None:
            md = self.data(symbol, strategy).md
            frame = validate_prepared(strategy, md, strategy.prepare(md))
            self._prepared[key] = frame
            if len(self._prepared) > self._cache_size:
                self._prepared.popitem(last=False)
        else:
            self._prepared.move_to_end(key)
        return frame

    def columns(self, symbol: str, strategy: Strategy) -> SignalColumns:
        """Signal columns of `strategy` for `symbol`, from cached indicators where possible."""
        frame = self.prepared(symbol, strategy)
        rederive = REDERIVABLE.get(strategy.name)
        if rederive is not None:
            return rederive[1](frame, self.data(symbol, strategy).md.candles, strategy.params)
        return SignalColumns(*(frame[k].to_numpy() for k in ("signal", "exit", "stop", "target", "score")))

    # ---- simulation -------------------------------------------------------------------------
    def run(self, params: Mapping[str, Any] | None = None, windows: Sequence[Window | None] = (None,),
            symbols: Sequence[str] | None = None) -> list[list[WindowRun]]:
        """Simulate every symbol over each window (None: the whole loaded period).

        Returns one list of WindowRuns (one per symbol) per window, in the order given."""
        out: list[list[WindowRun]] = [[] for _ in windows]
        for symbol in symbols or self.cfg.symbols:
            strategy = self.strategy(symbol, params)
            data = self.data(symbol, strategy)
            cols = self.columns(symbol, strategy)
            fp = replace(self.setup.params, time_limit_bars=strategy.params.time_limit_bars)
            funding = data.funding if fp.profile.funding else None
            for k, window in enumerate(windows):
                lo, hi = data.bars(window)
                sl = slice(lo, hi)
                result = simulate(
                    data.open[sl], data.high[sl], data.low[sl], data.close[sl], data.times[sl],
                    cols.signal[sl], cols.exit[sl], cols.stop[sl], cols.target[sl], strategy.level_mode,
                    fp, funding=funding, symbol=symbol,
                )
                out[k].append(WindowRun(symbol, lo, hi, result, strategy))
        return out

    # ---- metrics straight from the arrays ----------------------------------------------------
    def _grid(self, runs: Sequence[WindowRun]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The union bar grid of the runs' symbols and each symbol's bar positions on it."""
        datas = {r.symbol: self.data(r.symbol, r.strategy) for r in runs}
        key = tuple(sorted(id(d) for d in datas.values()))
        found = self._grids.get(key)
        if found is None:
            grid = np.unique(np.concatenate([d.times for d in datas.values()]))
            found = grid, {s: np.searchsorted(grid, d.times) for s, d in datas.items()}
            self._grids[key] = found
        return found

    def equity(self, runs: Sequence[WindowRun], window: Window | None = None) -> np.ndarray:
        """Portfolio equity at each bar close of the window (realised + unrealised, P62); the
        same bookkeeping as engine.equity.equity_curve, vectorised per symbol."""
        grid, positions = self._grid(runs)
        g0, g1 = (0, grid.shape[0]) if window is None else (
            int(np.searchsorted(grid, _ms(window[0]))), int(np.searchsorted(grid, _ms(window[1]))))
        realised, unreal = np.zeros(g1 - g0), np.zeros(g1 - g0)
        for run in runs:
            r = run.result
            if r.n_trades == 0 or run.hi <= run.lo:
                continue
            close = self.data(run.symbol, run.strategy).close[run.lo:run.hi]
            pos = positions[run.symbol][run.lo:run.hi] - g0
            e = r.entry_idx + (r.entry_phase == 1)
            x = r.exit_idx + (r.exit_phase == 1)
            np.add.at(realised, pos[np.minimum(x, run.hi - run.lo - 1)], r.pnl)
            signed = r.side * r.qty
            dq, dc = np.zeros(close.shape[0] + 1), np.zeros(close.shape[0] + 1)
            np.add.at(dq, e, signed)
            np.add.at(dq, x, -signed)
            np.add.at(dc, e, signed * r.entry_price)
            np.add.at(dc, x, -signed * r.entry_price)
            unreal[pos] += np.cumsum(dq)[:-1] * close - np.cumsum(dc)[:-1]
        return self.setup.params.initial_equity + np.cumsum(realised) + unreal

    def stats(self, runs: Sequence[WindowRun], window: Window | None = None, *,
              with_equity: bool = True) -> dict[str, float]:
        """A sweep's metrics of these runs together: trade statistics from the net PnLs, and
        (with_equity) drawdown, Sharpe and return from the portfolio equity over the window."""
        pnl = np.concatenate([r.result.pnl for r in runs]) if runs else np.empty(0)
        t = trade_stats(pnl)
        out: dict[str, float] = {"trades": int(t["trades"]), "wins": int(t["wins"])}
        out |= {k: float(t[k]) for k in ("win_rate_pct", "profit_factor", "expectancy")}
        out["net_pnl"] = float(pnl.sum())
        if with_equity:
            values = self.equity(runs, window)
            initial = self.setup.params.initial_equity
            tf = runs[0].strategy.timeframe if runs else Timeframe.parse("1h")
            out["max_drawdown_pct"] = float(drawdown(values, initial)[1].max()) if values.size else 0.0
            out["sharpe"] = sharpe_ratio(bar_returns(values, initial), tf.periods_per_year)
            out["return_pct"] = 100.0 * (float(values[-1]) / initial - 1.0) if values.size else 0.0
        return out

    # ---- domain results ---------------------------------------------------------------------
    def trades(self, runs: Sequence[WindowRun], *, reasons: bool = True, id_prefix: str = "") -> list[Trade]:
        """Domain Trades in the event engine's conventions, ordered by exit time."""
        out: list[Trade] = []
        for run in runs:
            frame = self.prepared(run.symbol, run.strategy, exact=True) if reasons else None
            out += fast_trades(run, self.cfg.strategy, frame, id_prefix)
        return sorted(out, key=lambda t: (t.exit_time, t.symbol))

    def result(self, runs: Sequence[WindowRun] | None = None, window: Window | None = None, *,
               reasons: bool = True, id_prefix: str = "") -> BacktestResult:
        """A BacktestResult (metrics, validation, equity) of these runs (default: the whole
        period with the config's params); candles and equity cover `window`."""
        runs = list(runs) if runs is not None else self.run(windows=(window,))[0]
        return self.assemble(self.trades(runs, reasons=reasons, id_prefix=id_prefix), runs, window)

    def assemble(self, trades: Sequence[Trade], runs: Sequence[WindowRun], window: Window | None = None,
                 ) -> BacktestResult:
        """A BacktestResult from trades of `runs` (e.g. merged out-of-sample folds, P69): equity
        over the window (default: the span of the runs) of the runs' symbols."""
        if not runs:
            raise ConfigError("cannot build a result without any simulated symbol")
        spans: dict[str, tuple[SymbolData, int, int]] = {}
        for run in runs:
            data = self.data(run.symbol, run.strategy)
            lo, hi = data.bars(window) if window is not None else (run.lo, run.hi)
            old = spans.get(run.symbol)
            spans[run.symbol] = (data, min(lo, old[1]), max(hi, old[2])) if old else (data, lo, hi)
        candles = {s: d.md.candles.iloc[lo:hi].reset_index(drop=True) for s, (d, lo, hi) in spans.items()}
        tf = runs[0].strategy.timeframe
        initial = self.setup.params.initial_equity
        ordered = sorted(trades, key=lambda t: (t.exit_time, t.symbol))
        funding = pd.DataFrame(
            [{"time": t.exit_time, "symbol": t.symbol, "amount": float(t.funding)} for t in ordered if t.funding],
            columns=["time", "symbol", "amount"],
        )
        equity, exposure = equity_curve(candles, ordered, funding, initial, tf)
        config = {**self.cfg.model_dump(mode="json"), "engine": "fast", "fast_notes": list(self.setup.notes)}
        return build_result(
            run_id=make_run_id(config, self.cfg.strategy), trades=ordered, equity=equity,
            initial_balance=initial, timeframe=tf, config=config, strategy=self.cfg.strategy,
            exposure=exposure, funding=funding, candles=candles, hedge_mode=self.cfg.sim.hedge_mode,
        )


def fast_trades(run: WindowRun, strategy_name: str, prepared: pd.DataFrame | None = None,
                id_prefix: str = "") -> list[Trade]:
    """Trades of one WindowRun. A fill at a bar's close is stamped with the next bar's open time
    (the instant it happened), as SimExchange does; `prepared` (exact) adds entry reasons."""
    r = run.result
    tf_ms = run.strategy.timeframe.ms
    trades = []
    for j in range(r.n_trades):
        entry_close, exit_close = int(r.entry_phase[j]) == 1, int(r.exit_phase[j]) == 1
        e, x = int(r.entry_idx[j]), int(r.exit_idx[j])
        side = int(r.side[j])
        stop, target = float(r.stop[j]), float(r.target[j])
        signal_bar = run.lo + (e if entry_close else e - 1)
        reason = run.strategy.reason(prepared, signal_bar) if prepared is not None else ""
        score = float(prepared["score"].iloc[signal_bar]) if prepared is not None else None
        trades.append(Trade(
            symbol=run.symbol, side=Side.from_sign(side), strategy=strategy_name,
            entry_time=pd.Timestamp(int(r.times_ms[e]) + (tf_ms if entry_close else 0), unit="ms", tz="UTC"),
            entry_price=dec(r.entry_price[j]),
            exit_time=pd.Timestamp(int(r.times_ms[x]) + (tf_ms if exit_close else 0), unit="ms", tz="UTC"),
            exit_price=dec(r.exit_price[j]), qty=dec(r.qty[j]),
            gross_pnl=dec(side * r.qty[j] * (r.exit_price[j] - r.entry_price[j])),
            fees=dec(r.fees[j]), funding=dec(r.funding[j]), net_pnl=dec(r.pnl[j]),
            exit_reason=REASONS[int(r.reason[j])], entry_reason=reason,
            trade_id=f"{run.symbol}-{id_prefix}{j + 1}",
            meta={"stop": None if np.isnan(stop) else stop, "initial_stop": None if np.isnan(stop) else stop,
                  "initial_target": None if np.isnan(target) else target, "score": score},
        ))
    return trades


def fast_backtest(cfg: BacktestConfig, store: CandleStore, *, strict: bool = False) -> BacktestResult:
    """`Backtest(cfg, store).run()` on the fast path (see fast_setup for what it leaves out)."""
    return FastRunner(cfg, store, strict=strict).result()


__all__ = [
    "REDERIVABLE", "FastRunner", "FastSetup", "SignalColumns", "SymbolData", "Window", "WindowRun",
    "engine_funding", "fast_backtest", "fast_setup", "fast_trades",
]
