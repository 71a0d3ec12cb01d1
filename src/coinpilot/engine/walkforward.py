"""Walk-forward: rolling train/test windows, optional in-sample selection, out-of-sample truth.

Folds (C45): train on `train_months`, test on the next `test_months`, step `step_months`
(default: the test length, so test windows tile the period without overlap). The embargo (C21's
purge) removes the last `embargo_bars` bars of each training window: nothing learnt in-sample
touches the bars right before the test, and the test windows stay contiguous.

Per fold: with a grid, the sweep picks the parameter set with the best in-sample metric on the
train window (C48 style); without one, the config's params are used. The chosen params are then
backtested on the test window with ALL params propagated (P59), and the fold reports C47's
market context. The aggregate is computed from the merged out-of-sample trades and the
portfolio equity over all test windows (P69), never by averaging fold figures; it also gives
the in-sample PF of the chosen params and the IS/OOS ratio (P66: above 2 means overfit).

Signals are computed over the whole loaded history (indicators are causal, so a test window's
indicators are warm from the bars before it); each window starts flat and closes what is still
open at its last bar.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from coinpilot.data.store import CandleStore
from coinpilot.domain.errors import ConfigError, DataNotFoundError
from coinpilot.domain.timeframe import Timeframe
from coinpilot.engine.backtest import BacktestConfig
from coinpilot.engine.fastrun import FastRunner, Window, WindowRun
from coinpilot.engine.jsonsafe import to_jsonable
from coinpilot.engine.results import BacktestResult
from coinpilot.indicators import adx
from coinpilot.strategies.marketdata import load_candles

if TYPE_CHECKING:
    from coinpilot.engine.executors import Executor
    from coinpilot.engine.sweep import SweepResult

SUMMARY_KEYS = ("trades", "win_rate_pct", "profit_factor", "net_pnl", "return_pct", "max_drawdown_pct",
                "sharpe", "fees")
OVERFIT_RATIO = 2.0  # P66: a full-period/in-sample PF more than twice the walk-forward PF
TREND_ADX = 25.0  # C47


@dataclass(frozen=True, slots=True)
class Fold:
    """One train/test split; every end is exclusive."""

    number: int
    train_start: pd.Timestamp
    train_end: pd.Timestamp
    test_start: pd.Timestamp
    test_end: pd.Timestamp

    @property
    def train(self) -> Window:
        return (self.train_start, self.train_end)

    @property
    def test(self) -> Window:
        return (self.test_start, self.test_end)

    @property
    def test_period(self) -> str:
        """'2025-04-01 ~ 2025-04-30' (last day inclusive), as the seed's fold output shows it."""
        last = self.test_end - pd.Timedelta(milliseconds=1)
        return f"{self.test_start:%Y-%m-%d} ~ {last:%Y-%m-%d}"


def _utc(t: pd.Timestamp | str) -> pd.Timestamp:
    ts = pd.Timestamp(t)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def make_folds(
    start: pd.Timestamp | str, end: pd.Timestamp | str, *, train_months: int = 3, test_months: int = 1,
    step_months: int | None = None, embargo_bars: int = 0, timeframe: Timeframe | str = "15m",
    include_partial: bool = False,
) -> list[Fold]:
    """Calendar-month folds over [start, end). Offsets are taken from `start` each time (never
    accumulated), so month-end clipping does not drift. A last, shorter test window is kept
    only with `include_partial`."""
    step = step_months if step_months is not None else test_months
    for name, value, low in (("train_months", train_months, 1), ("test_months", test_months, 1),
                             ("step_months", step, 1), ("embargo_bars", embargo_bars, 0)):
        if value < low:
            raise ConfigError(f"walk-forward {name} must be >= {low}, got {value}")
    t0, t1 = _utc(start), _utc(end)
    gap = Timeframe.parse(timeframe).delta * embargo_bars
    folds: list[Fold] = []
    k = 0
    while True:
        test_start = t0 + pd.DateOffset(months=train_months + k * step)
        test_end = t0 + pd.DateOffset(months=train_months + k * step + test_months)
        if test_start >= t1 or (test_end > t1 and not include_partial):
            break
        train_start = t0 + pd.DateOffset(months=k * step)
        train_end = test_start - gap
        if train_end <= train_start:
            raise ConfigError(f"embargo of {embargo_bars} bars leaves no training data in fold {k + 1}")
        folds.append(Fold(k + 1, train_start, train_end, test_start, min(test_end, t1)))
        k += 1
    if not folds:
        raise ConfigError(
            f"no walk-forward fold fits in {t0:%Y-%m-%d} → {t1:%Y-%m-%d} with {train_months} train + "
            f"{test_months} test months; use a longer period or shorter windows"
        )
    return folds


class MarketContext:
    """C47, reporting only: BTC and ETH returns, BTC mean ADX(14) on 15m and the regime per window."""

    def __init__(self, store: CandleStore, start: pd.Timestamp, end: pd.Timestamp, *,
                 venue: str = "binance", market: str = "futures") -> None:
        self.frames: dict[str, pd.DataFrame] = {}
        warm = pd.Timedelta(days=3)  # ADX(14) on 15m settles within ~30 bars; keep it warm
        for symbol in ("BTCUSDT", "ETHUSDT"):
            try:
                c = load_candles(store, symbol, "15m", venue=venue, market=market, start=start - warm, end=end)
            except DataNotFoundError:
                continue
            if len(c):
                frame = c[["open_time", "close"]].copy()
                frame["adx"] = adx(c["high"], c["low"], c["close"], 14)
                self.frames[symbol] = frame

    def _window(self, symbol: str, window: Window) -> pd.DataFrame | None:
        frame = self.frames.get(symbol)
        if frame is None:
            return None
        part = frame[(frame["open_time"] >= window[0]) & (frame["open_time"] < window[1])]
        return part if len(part) else None

    def for_window(self, window: Window) -> dict[str, Any]:
        """{btc_return_pct, eth_return_pct, btc_avg_adx, market_regime, regime_label, ls_ratio}."""
        out: dict[str, Any] = {"btc_return_pct": None, "eth_return_pct": None, "btc_avg_adx": None,
                               "market_regime": None, "regime_label": "unknown (no BTC candles)",
                               "ls_ratio": None}  # no long/short-ratio series in the store (C47: N/A)
        for symbol, key in (("BTCUSDT", "btc_return_pct"), ("ETHUSDT", "eth_return_pct")):
            part = self._window(symbol, window)
            if part is not None:
                close = part["close"].to_numpy()
                out[key] = 100.0 * (close[-1] / close[0] - 1.0)
        btc = self._window("BTCUSDT", window)
        if btc is not None and np.isfinite(btc["adx"]).any():
            mean_adx = float(np.nanmean(btc["adx"].to_numpy()))
            out["btc_avg_adx"] = mean_adx
            out["market_regime"] = regime(mean_adx, out["btc_return_pct"])
            out["regime_label"] = f"{out['market_regime']} (BTC ADX {mean_adx:.1f})"
        return out


def regime(mean_adx: float, btc_return_pct: float) -> str:
    """C47: uptrend/downtrend when ADX >= 25 with a positive/negative return, else sideways.
    ADX >= 25 with a return of exactly 0 is unspecified in the seed: no direction, so sideways."""
    if mean_adx >= TREND_ADX and btc_return_pct > 0:
        return "uptrend"
    if mean_adx >= TREND_ADX and btc_return_pct < 0:
        return "downtrend"
    return "sideways"


@dataclass
class FoldResult:
    fold: Fold
    params: dict[str, Any]
    in_sample: dict[str, float]
    result: BacktestResult
    market_context: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """C45's fold output: number, test_period, test_start/test_end, summary, market_context."""
        m = self.result.metrics
        return {
            "number": self.fold.number, "train_start": self.fold.train_start, "train_end": self.fold.train_end,
            "test_period": self.fold.test_period, "test_start": self.fold.test_start,
            "test_end": self.fold.test_end, "params": self.params, "in_sample": self.in_sample,
            "summary": {k: getattr(m, k) for k in SUMMARY_KEYS}, "market_context": self.market_context,
        }


@dataclass
class WalkForwardResult:
    folds: list[FoldResult]
    oos: BacktestResult
    summary: dict[str, Any]
    sweep: SweepResult | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def table(self) -> pd.DataFrame:
        """One row per fold: period, chosen params, in-sample PF, out-of-sample figures, regime."""
        rows = []
        for f in self.folds:
            m = f.result.metrics
            rows.append({"fold": f.fold.number, "test_period": f.fold.test_period, **f.params,
                         "is_profit_factor": f.in_sample.get("profit_factor"),
                         **{k: getattr(m, k) for k in SUMMARY_KEYS},
                         "regime": f.market_context.get("regime_label")})
        return pd.DataFrame(rows)

    def as_dict(self) -> dict[str, Any]:
        return {"summary": self.summary, "folds": [f.as_dict() for f in self.folds], "notes": list(self.notes)}

    def write_json(self, path: Path | str) -> Path:
        import json

        out = Path(path)
        out.write_text(json.dumps(to_jsonable(self.as_dict()), indent=2, allow_nan=False))
        return out


def pf_ratio(in_sample: float, out_of_sample: float) -> float:
    """IS / OOS profit factor (P66): inf when OOS lost everything, NaN with nothing in-sample."""
    if out_of_sample > 0:
        return in_sample / out_of_sample
    return math.inf if in_sample > 0 else math.nan


def data_span(runner: FastRunner) -> Window:
    """[first bar, last bar + 1 bar) over the runner's symbols, unless the config bounds it."""
    firsts, lasts = [], []
    for symbol in runner.cfg.symbols:
        data = runner.data(symbol)
        firsts.append(int(data.times[0]))
        lasts.append(int(data.times[-1]) + data.md.timeframe.ms)
    start = _utc(runner.cfg.start) if runner.cfg.start else pd.Timestamp(min(firsts), unit="ms", tz="UTC")
    end = _utc(runner.cfg.end) if runner.cfg.end else pd.Timestamp(max(lasts), unit="ms", tz="UTC")
    return start, end


def walk_forward(
    cfg: BacktestConfig, store: CandleStore, *, train_months: int = 3, test_months: int = 1,
    step_months: int | None = None, embargo_bars: int = 0, include_partial: bool = False,
    grid: Mapping[str, Sequence[Any]] | None = None, metric: str = "profit_factor", min_trades: int = 0,
    executor: Executor | None = None, reasons: bool = True,
) -> WalkForwardResult:
    """Run a walk-forward of `cfg` (see module doc). With `grid`, each fold's params are chosen
    in-sample by the sweep (run on `executor`); the choice is reported, never applied elsewhere."""
    from coinpilot.engine.sweep import METRICS, run_grid, select_per_fold

    if metric not in METRICS:
        raise ConfigError(f"unknown metric {metric!r}; choose one of {', '.join(METRICS)}")
    runner = FastRunner(cfg, store)
    span = data_span(runner)
    folds = make_folds(span[0], span[1], train_months=train_months, test_months=test_months,
                       step_months=step_months, embargo_bars=embargo_bars,
                       timeframe=runner.strategy(cfg.symbols[0]).timeframe, include_partial=include_partial)
    sweep = None
    chosen: list[dict[str, Any]] = [{} for _ in folds]
    if grid:
        sweep = run_grid(cfg, store, grid, folds=folds, metric=metric, min_trades=min_trades,
                         executor=executor, train_stats=True)
        chosen = select_per_fold(sweep, min_trades=min_trades)
    context = MarketContext(store, folds[0].test_start, folds[-1].test_end, venue=cfg.venue, market=cfg.market)
    results: list[FoldResult] = []
    test_runs: list[WindowRun] = []
    train_runs: list[WindowRun] = []
    for fold, params in zip(folds, chosen, strict=True):
        train, test = runner.run(params, windows=(fold.train, fold.test))
        train_runs += train
        test_runs += test
        in_sample = runner.stats(train, fold.train)
        result = runner.result(test, fold.test, reasons=reasons, id_prefix=f"f{fold.number}-")
        used = {**cfg.params, **params}
        results.append(FoldResult(fold, used, in_sample, result, context.for_window(fold.test)))
    oos_window = (folds[0].test_start, folds[-1].test_end)
    oos = runner.assemble([t for f in results for t in f.result.trades], test_runs, oos_window)
    is_pf = runner.stats(train_runs, with_equity=False)["profit_factor"]
    m = oos.metrics
    ratio = pf_ratio(is_pf, m.profit_factor)
    summary = {
        "strategy": cfg.strategy, "symbols": list(cfg.symbols), "folds": len(folds),
        "train_months": train_months, "test_months": test_months, "step_months": step_months or test_months,
        "embargo_bars": embargo_bars, "oos_start": oos_window[0], "oos_end": oos_window[1],
        **{k: getattr(m, k) for k in SUMMARY_KEYS},
        "is_profit_factor": is_pf, "pf_ratio": ratio, "overfit": bool(ratio >= OVERFIT_RATIO),
        "profitable_folds": sum(1 for f in results if f.result.metrics.net_pnl > 0),
        "selection": f"grid of {len(sweep.table)} by in-sample {metric}" if sweep is not None else "fixed params",
    }
    return WalkForwardResult(results, oos, summary, sweep, runner.setup.notes)


__all__ = [
    "Fold", "FoldResult", "MarketContext", "WalkForwardResult", "data_span", "make_folds", "pf_ratio",
    "regime", "walk_forward",
]
