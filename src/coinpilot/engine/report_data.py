"""The numbers behind the terminal summary and the HTML report, computed once for both.

Why a module of its own: the terminal tables (`report_summary`) and the HTML page
(`report`) must tell the same story — the same halts, the same refused entries, the same
holding times and the same market change — so both read them from here rather than each
computing its own version.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from coinpilot.engine.metrics import as_trades_frame, breakdown

if TYPE_CHECKING:
    from coinpilot.engine.results import BacktestResult
    from coinpilot.risk.halts import HaltPeriod


def halts_of(result: Any) -> list[HaltPeriod]:
    """The run's halt periods; results written before halts were recorded have none."""
    return list(result.halts)


def run_end(result: BacktestResult) -> pd.Timestamp | None:
    """The last bar close of the run (an open halt lasted until then)."""
    if len(result.equity):
        return pd.Timestamp(result.equity.index[-1])
    end = result.metrics.end
    return pd.Timestamp(end) if end else None


def run_start(result: BacktestResult) -> pd.Timestamp | None:
    if len(result.equity):
        return pd.Timestamp(result.equity.index[0])
    start = result.metrics.start
    return pd.Timestamp(start) if start else None


def format_duration(delta: pd.Timedelta | None) -> str:
    """'2d 03:15' / '03:15' / '—': days and hours:minutes, the way trade lists show holding time."""
    if delta is None or pd.isna(delta):
        return "—"
    minutes = round(delta.total_seconds() / 60.0)
    sign = "-" if minutes < 0 else ""
    days, rest = divmod(abs(minutes), 1440)
    hours, mins = divmod(rest, 60)
    return f"{sign}{days}d {hours:02d}:{mins:02d}" if days else f"{sign}{hours:02d}:{mins:02d}"


@dataclass(frozen=True, slots=True)
class HaltRow:
    """One halt as the tables show it."""

    rule: str
    key: str
    start: pd.Timestamp
    end: pd.Timestamp | None  # None: to the end of the run
    duration: pd.Timedelta | None
    refused: int
    reason: str


def halt_rows(result: BacktestResult) -> list[HaltRow]:
    """Halts in start order, with their duration up to the run's end when still open."""
    end = run_end(result)
    rows = []
    for halt in sorted(halts_of(result), key=lambda h: pd.Timestamp(h.start)):
        stop = halt.end if halt.end is not None else end
        duration = (pd.Timestamp(stop) - pd.Timestamp(halt.start)) if stop is not None else None
        rows.append(HaltRow(halt.rule, halt.key, pd.Timestamp(halt.start),
                            None if halt.end is None else pd.Timestamp(halt.end), duration,
                            int(halt.refused), halt.reason))
    return rows


def refusals_by_rule(rejections: pd.DataFrame) -> list[tuple[str, int]]:
    """(rule, count) of refused entries and orders, most frequent first."""
    if rejections is None or rejections.empty or "rule" not in rejections.columns:
        return []
    counts = rejections["rule"].astype(str).value_counts(sort=False)
    return sorted(((str(k), int(v)) for k, v in counts.items()), key=lambda kv: (-kv[1], kv[0]))


def no_trade_reason(result: BacktestResult) -> str | None:
    """Why a run made no trade, when refusals explain it (None when it traded or nothing refused)."""
    if result.metrics.trades or not refusals_by_rule(result.rejections):
        return None
    rules = ", ".join(f"{rule} ×{count:,}" for rule, count in refusals_by_rule(result.rejections))
    halts = halt_rows(result)
    tail = f"; {len(halts)} halt(s), the first {halts[0].rule} from {halts[0].start:%Y-%m-%d %H:%M}" if halts else ""
    return f"no trade: every entry signal was refused ({rules}){tail}"


def side_breakdown(result: BacktestResult) -> dict[str, dict[str, Any]]:
    """Per-side statistics (long/short), the same columns as the by-symbol breakdown."""
    frame = as_trades_frame(result.trades)
    return breakdown(frame, "side") if len(frame) else {}


@dataclass(frozen=True, slots=True)
class Durations:
    """Holding times (entry bar open to exit bar open) of all trades, winners and losers."""

    rows: dict[str, dict[str, Any]]  # group -> {"trades", "avg", "min", "max"} (Timedeltas)


def durations(result: BacktestResult) -> Durations:
    frame = as_trades_frame(result.trades)
    if frame.empty:
        return Durations({})
    held = pd.to_datetime(frame["exit_time"], utc=True) - pd.to_datetime(frame["entry_time"], utc=True)
    pnl = frame["net_pnl"].to_numpy(dtype=np.float64)
    groups = {"all": np.ones(len(frame), dtype=bool), "winners": pnl > 0, "losers": pnl < 0}
    out: dict[str, dict[str, Any]] = {}
    for name, mask in groups.items():
        part = held[mask]
        if len(part):
            out[name] = {"trades": int(mask.sum()), "avg": part.mean(), "min": part.min(), "max": part.max()}
    return Durations(out)


def holding_hours(result: BacktestResult) -> np.ndarray:
    frame = as_trades_frame(result.trades)
    if frame.empty:
        return np.zeros(0)
    held = pd.to_datetime(frame["exit_time"], utc=True) - pd.to_datetime(frame["entry_time"], utc=True)
    return held.dt.total_seconds().to_numpy(dtype=np.float64) / 3600.0


def trade_return_pct(frame: pd.DataFrame) -> np.ndarray:
    """Net PnL per trade as % of its entry notional (what the trade earned on what it risked)."""
    if frame.empty:
        return np.zeros(0)
    notional = frame["entry_price"].astype(float).to_numpy() * frame["qty"].astype(float).to_numpy()
    pnl = frame["net_pnl"].to_numpy(dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(notional > 0, 100.0 * pnl / notional, 0.0)
    return np.asarray(out, dtype=np.float64)


def market_change(candles: Mapping[str, pd.DataFrame]) -> dict[str, float]:
    """Buy-and-hold % per symbol over the run: first bar's open to last bar's close."""
    out: dict[str, float] = {}
    for symbol, frame in sorted(candles.items()):
        if frame.empty:
            continue
        first, last = float(frame["open"].iloc[0]), float(frame["close"].iloc[-1])
        if first > 0:
            out[symbol] = 100.0 * (last / first - 1.0)
    return out


def buy_and_hold_curve(
    candles: Mapping[str, pd.DataFrame], bar_ms: int, initial_balance: float, times: pd.Index
) -> pd.Series | None:
    """The balance split equally over the symbols at the first open and held, at `times`.

    The benchmark of the equity chart: what doing nothing but holding the same markets would
    have made (no fees, no leverage). Each symbol's value is read at its bar closes, carried
    forward to the equity curve's times."""
    index = pd.DatetimeIndex(times)
    if not candles or len(index) == 0:
        return None
    parts = []
    for frame in candles.values():
        if frame.empty:
            continue
        opened = pd.DatetimeIndex(pd.to_datetime(frame["open_time"], utc=True))
        closes = pd.Series(frame["close"].to_numpy(dtype=np.float64), index=opened + pd.Timedelta(milliseconds=bar_ms))
        first = float(frame["open"].iloc[0])
        if first <= 0:
            continue
        growth = closes.reindex(index, method="ffill") / first
        parts.append(growth.fillna(1.0).to_numpy())
    if not parts:
        return None
    return pd.Series(initial_balance * np.mean(parts, axis=0), index=index)
