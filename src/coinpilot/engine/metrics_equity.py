"""Equity-curve statistics: returns, Sharpe/Sortino, drawdown, exposure, monthly returns.

Plain numpy over the per-bar equity INCLUDING unrealised PnL (P62); conventions are stated
in `coinpilot.engine.metrics`. Split from it to keep each module readable in one sitting.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from coinpilot.domain.errors import CoinpilotError
from coinpilot.domain.timeframe import Timeframe


class ResultError(CoinpilotError, ValueError):
    """A backtest result (trades, equity curve or results folder) is malformed.

    The message names the input and the offending field; the engine that produced it has a bug,
    or the folder was edited by hand. Re-run the backtest.
    """


def check_equity(equity: pd.Series) -> pd.Series:
    """The equity curve as float64 over a sorted UTC DatetimeIndex, or a ResultError."""
    if not isinstance(equity.index, pd.DatetimeIndex):
        raise ResultError("equity curve: index must be a DatetimeIndex of bar close times")
    if equity.index.tz is None:
        raise ResultError("equity curve: index must be timezone-aware (UTC)")
    if not equity.index.is_monotonic_increasing or equity.index.has_duplicates:
        raise ResultError("equity curve: timestamps must be strictly increasing")
    values = equity.astype("float64")
    if len(values) and not np.isfinite(values.to_numpy()).all():
        bad = values[~np.isfinite(values.to_numpy())].index[0]
        raise ResultError(f"equity curve: non-finite value at {bad}")
    return values


def _with_start(values: np.ndarray, initial_balance: float) -> np.ndarray:
    return np.concatenate(([initial_balance], values))


def bar_returns(equity: np.ndarray, initial_balance: float) -> np.ndarray:
    """Simple return of each bar, the first one against the initial balance."""
    path = _with_start(equity, initial_balance)
    prev = path[:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        returns = np.diff(path) / prev
    # after a wipe-out (equity <= 0) a return means nothing; drop rather than emit inf/NaN
    return returns[prev > 0]


def sharpe_ratio(returns: np.ndarray, periods_per_year: float) -> float:
    """Annualised mean/std of per-bar returns; 0 for fewer than two bars or a flat curve."""
    if returns.size < 2:
        return 0.0
    std = float(returns.std(ddof=1))
    if std <= 1e-15:
        return 0.0
    return float(returns.mean()) / std * math.sqrt(periods_per_year)


def sortino_ratio(returns: np.ndarray, periods_per_year: float) -> float:
    """Annualised mean / downside deviation (root mean square of the negative returns).

    With no losing bar it is +inf for a positive mean (like PF without losses) and 0 otherwise.
    """
    if returns.size < 2:
        return 0.0
    downside = math.sqrt(float(np.mean(np.minimum(returns, 0.0) ** 2)))
    mean = float(returns.mean())
    if downside <= 1e-15:
        return math.inf if mean > 1e-15 else 0.0
    return mean / downside * math.sqrt(periods_per_year)


def drawdown(equity: np.ndarray, initial_balance: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-bar drawdown (absolute, percent of the running peak); both >= 0."""
    peak = np.maximum.accumulate(_with_start(equity, initial_balance))[1:]
    dd_abs = peak - equity
    with np.errstate(divide="ignore", invalid="ignore"):
        dd_pct = np.where(peak > 0, 100.0 * dd_abs / peak, 0.0)
    return dd_abs, dd_pct


def longest_underwater(
    equity: pd.Series, initial_balance: float, timeframe: Timeframe
) -> tuple[int, pd.Timedelta]:
    """Longest stretch below a previous high: (bars below it, time from the high to recovery).

    The time runs from the bar close where the high was set (the start of the test for the
    initial balance) to the first bar close back at or above it, or to the last bar if equity
    never recovered.
    """
    values = equity.to_numpy()
    if values.size == 0:
        return 0, pd.Timedelta(0)
    dd_abs, _ = drawdown(values, initial_balance)
    under = np.concatenate(([0], (dd_abs > 0).astype(np.int8), [0]))
    edges = np.flatnonzero(np.diff(under))
    if edges.size == 0:
        return 0, pd.Timedelta(0)
    starts, ends = edges[0::2], edges[1::2]  # run covers bars [start, end)
    times = pd.DatetimeIndex(equity.index).as_unit("ns").asi8
    first_time = int(times[0]) - timeframe.ms * 1_000_000
    before = np.concatenate(([first_time], times))  # before[k] = close of bar k-1
    peak_times = before[starts]
    end_times = times[np.minimum(ends, values.size - 1)]
    spans = end_times - peak_times
    best = int(np.argmax(spans))
    return int(ends[best] - starts[best]), pd.Timedelta(int(spans[best]), unit="ns")


def exposure_from_trades(
    trades: pd.DataFrame, closes: pd.DatetimeIndex, timeframe: Timeframe
) -> np.ndarray:
    """Per bar: True if any trade was open during it (entry bar through exit bar inclusive)."""
    held = np.zeros(len(closes) + 1, dtype=np.int64)
    if len(trades) and len(closes):
        entry = pd.DatetimeIndex(pd.to_datetime(trades["entry_time"], utc=True)).as_unit("ns").asi8
        exit_ = pd.DatetimeIndex(pd.to_datetime(trades["exit_time"], utc=True)).as_unit("ns").asi8
        opens_ns = pd.DatetimeIndex(closes - timeframe.delta).as_unit("ns").asi8
        np.add.at(held, np.searchsorted(opens_ns, entry, side="left"), 1)
        np.add.at(held, np.searchsorted(opens_ns, exit_, side="right"), -1)
    return np.cumsum(held)[: len(closes)] > 0


def monthly_returns(
    equity: pd.Series, initial_balance: float, timeframe: Timeframe
) -> dict[str, float]:
    """Return (%) of each calendar month, keyed 'YYYY-MM', compounded from month-end equity.

    A bar belongs to the month of its OPEN time: the 23:55 bar that closes at 00:00 on the 1st
    is the previous month's last bar.
    """
    if equity.empty:
        return {}
    opens = pd.DatetimeIndex(equity.index) - timeframe.delta
    keys = pd.Index(opens.year * 100 + opens.month)
    month_end = equity.groupby(keys, sort=True).last()
    prev = np.concatenate(([initial_balance], month_end.to_numpy()[:-1]))
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(prev > 0, 100.0 * (month_end.to_numpy() / prev - 1.0), 0.0)
    return {
        f"{k // 100:04d}-{k % 100:02d}": float(v) for k, v in zip(month_end.index, pct, strict=True)
    }


def cagr_pct(initial_balance: float, final_equity: float, years: float) -> float:
    """Compound annual growth (%); -100 after a wipe-out, inf if it overflows (tiny spans)."""
    if years <= 0:
        return 0.0
    if final_equity <= 0:
        return -100.0
    exponent = math.log(final_equity / initial_balance) / years
    if exponent > 700:
        return math.inf
    return 100.0 * (math.exp(exponent) - 1.0)
