"""Performance metrics of one backtest: trade statistics and equity-curve statistics.

Conventions (one place, so reports, the validator and walk-forward aggregates agree):

- A trade wins when its net PnL (after fees and funding) is > 0 and loses when it is < 0; a
  trade at exactly 0 is neither but still counts in `trades` (so win rate = wins / trades).
  The same rule drives the kill switch (C40), so "consecutive losses" mean the same everywhere.
- Profit factor = Σ winning net PnL / |Σ losing net PnL|: +inf with wins and no losses (C43),
  0 with no wins. Payoff = avg win / |avg loss|, with the same inf/0 convention.
- Equity statistics use the equity curve INCLUDING unrealised PnL (P62), one point per bar
  close, preceded by the initial balance (the equity before the first bar). Drawdown peaks
  therefore start at the initial balance: an immediate loss is a drawdown.
- Sharpe and Sortino are per-bar ratios scaled by sqrt(periods per year of the bar timeframe)
  (P63: 5m bars → 105,120; 15m → 35,040). A flat curve gives 0, never NaN. They are comparable
  between runs on the same timeframe, not to fund-manager Sharpes (P63).
- Percentages carry `_pct` in their names and are in percent (12.5 means 12.5 %).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from enum import Enum
from operator import attrgetter
from typing import Any

import numpy as np
import pandas as pd

from coinpilot.domain.timeframe import Timeframe
from coinpilot.domain.trade import TRADE_COLUMNS, Trade
from coinpilot.engine.metrics_equity import (
    ResultError,
    bar_returns,
    cagr_pct,
    check_equity,
    drawdown,
    exposure_from_trades,
    longest_underwater,
    monthly_returns,
    sharpe_ratio,
    sortino_ratio,
)

MONEY_COLUMNS = ("gross_pnl", "fees", "funding", "net_pnl")
_REQUIRED = ("symbol", "entry_time", "exit_time", "exit_reason", *MONEY_COLUMNS)


def _frame_of(trades: Sequence[Trade]) -> pd.DataFrame:
    # Our own builder rather than domain.trades_frame: under pandas 3 a DataFrame built from
    # str-Enum values already holds plain strings, and trades_frame's `.value` map fails.
    columns = (*TRADE_COLUMNS, "meta")  # meta carries stop/target levels for the validator
    if not trades:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    # column lists rather than one dict per trade: the frame comes out the same (same values,
    # same inferred dtypes) in about half the time
    get = attrgetter(*columns)
    records = [get(t) for t in trades]
    data = {c: [r[k] for r in records] for k, c in enumerate(columns)}
    data["side"] = [side.value for side in data["side"]]
    data["exit_reason"] = [reason.value for reason in data["exit_reason"]]
    return pd.DataFrame(data)


def as_trades_frame(trades: Sequence[Trade] | pd.DataFrame) -> pd.DataFrame:
    """Trades as a float frame sorted by exit time (the order in which PnL was realised).

    A frame this function made comes back as a (copy-on-write) shallow copy without being
    converted again: results, metrics, breakdowns and the validator all accept either form
    and each used to redo the conversion."""
    if isinstance(trades, pd.DataFrame) and _is_trades_frame(trades):
        return trades.copy(deep=False)
    frame = trades.copy() if isinstance(trades, pd.DataFrame) else _frame_of(trades)
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise ResultError(f"trades frame lacks columns {missing}; build it with trades_frame()")
    for col in ("symbol", "side", "exit_reason"):
        # enums (ExitReason.STOP_LOSS) become their value ('sl'); a string column holds none
        if col in frame.columns and not isinstance(frame[col].dtype, pd.StringDtype):
            frame[col] = frame[col].map(lambda v: v.value if isinstance(v, Enum) else v)
    for col in MONEY_COLUMNS:
        frame[col] = _floats(frame[col])
    if len(frame) and not np.isfinite(frame[list(MONEY_COLUMNS)].to_numpy()).all():
        raise ResultError(
            "trades frame holds NaN or infinite money values (gross/fees/funding/net)"
        )
    if len(frame):
        frame = frame.sort_values("exit_time", kind="stable").reset_index(drop=True)
    return frame


def _is_trades_frame(frame: pd.DataFrame) -> bool:
    """Already what as_trades_frame returns: text labels, finite float money, sorted by exit
    time on a 0..n-1 index (the conversion would give it back unchanged)."""
    columns = frame.columns
    if any(c not in columns for c in _REQUIRED):
        return False
    if any(frame[c].dtype != np.float64 for c in MONEY_COLUMNS):
        return False
    if any(c in columns and not isinstance(frame[c].dtype, pd.StringDtype) for c in ("symbol", "side", "exit_reason")):
        return False
    index = frame.index
    if not (isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1):
        return False
    if len(frame) and not np.isfinite(frame[list(MONEY_COLUMNS)].to_numpy()).all():
        return False  # the conversion path raises the error
    return bool(frame["exit_time"].is_monotonic_increasing)


def _floats(column: pd.Series) -> np.ndarray:
    """A money column as float64. Decimals (the engine's trades) convert in one numpy pass,
    ~10x quicker than pd.to_numeric's per-value inference; anything numpy refuses (odd text
    from a CSV) goes through pd.to_numeric, which names the bad value."""
    try:
        return np.asarray(column.to_numpy(), dtype=np.float64)
    except (TypeError, ValueError):
        return pd.to_numeric(column).to_numpy(dtype=np.float64)


def _longest_run(mask: np.ndarray) -> int:
    """Length of the longest run of True values."""
    if not mask.any():
        return 0
    padded = np.concatenate(([0], mask.astype(np.int8), [0]))
    edges = np.flatnonzero(np.diff(padded))
    return int((edges[1::2] - edges[0::2]).max())


def _ratio(num: float, den: float) -> float:
    """num / den with the PF/payoff convention: +inf when only the numerator exists."""
    if den > 0:
        return num / den
    return math.inf if num > 0 else 0.0


def trade_stats(net_pnl: np.ndarray) -> dict[str, Any]:
    """Win/loss statistics of net PnLs given in realisation order."""
    pnl = np.asarray(net_pnl, dtype=np.float64)
    wins, losses = pnl[pnl > 0], pnl[pnl < 0]
    n = int(pnl.size)
    avg_win = float(wins.mean()) if wins.size else 0.0
    avg_loss = float(losses.mean()) if losses.size else 0.0
    return {
        "trades": n,
        "wins": int(wins.size),
        "losses": int(losses.size),
        "win_rate_pct": 100.0 * wins.size / n if n else 0.0,
        "avg_win": avg_win,
        "avg_loss": avg_loss,
        "payoff_ratio": _ratio(avg_win, abs(avg_loss)),
        "profit_factor": _ratio(float(wins.sum()), abs(float(losses.sum()))),
        "expectancy": float(pnl.mean()) if n else 0.0,
        "best_trade": float(pnl.max()) if n else 0.0,
        "worst_trade": float(pnl.min()) if n else 0.0,
        "max_consecutive_wins": _longest_run(pnl > 0),
        "max_consecutive_losses": _longest_run(pnl < 0),
    }


def breakdown(trades: pd.DataFrame, by: str) -> dict[str, dict[str, Any]]:
    """Per-group statistics (by 'symbol', 'exit_reason', 'side', ...), keyed by group value."""
    frame = as_trades_frame(trades)
    if by not in frame.columns:
        raise ResultError(f"cannot break trades down by {by!r}: no such column")
    out: dict[str, dict[str, Any]] = {}
    for key, group in frame.groupby(by, sort=True):
        stats = trade_stats(group["net_pnl"].to_numpy())
        row = {k: stats[k] for k in ("trades", "wins", "losses", "win_rate_pct", "profit_factor")}
        row["expectancy"] = stats["expectancy"]
        for col in MONEY_COLUMNS:
            row[col] = float(group[col].sum())
        out[str(key)] = row
    return out


@dataclass(frozen=True, slots=True)
class Metrics:
    """Every number a report or comparison shows for one run. JSON-ready via `as_dict`."""

    trades: int
    wins: int
    losses: int
    win_rate_pct: float
    net_pnl: float
    gross_pnl: float
    fees: float
    funding: float
    avg_win: float
    avg_loss: float
    payoff_ratio: float
    profit_factor: float
    expectancy: float
    best_trade: float
    worst_trade: float
    max_consecutive_wins: int
    max_consecutive_losses: int
    initial_balance: float
    final_equity: float
    return_pct: float
    cagr_pct: float
    sharpe: float
    sortino: float
    max_drawdown_pct: float
    max_drawdown_abs: float
    max_drawdown_bars: int
    max_drawdown_days: float
    exposure_pct: float
    bars: int
    timeframe: str
    periods_per_year: float
    start: str | None
    end: str | None
    by_symbol: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_exit_reason: dict[str, dict[str, Any]] = field(default_factory=dict)
    monthly_returns: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Metrics:
        """Rebuild from `as_dict` output (e.g. a metrics.json), ignoring unknown keys."""
        names = set(cls.__dataclass_fields__)
        missing = names - set(data) - {"by_symbol", "by_exit_reason", "monthly_returns"}
        if missing:
            raise ResultError(f"metrics: missing fields {sorted(missing)}")
        return cls(**{k: v for k, v in data.items() if k in names})


def compute_metrics(
    trades: Sequence[Trade] | pd.DataFrame,
    equity: pd.Series,
    initial_balance: float,
    timeframe: Timeframe | str,
    exposure: pd.Series | np.ndarray | None = None,
) -> Metrics:
    """All metrics of a run from its trades and its per-bar equity (incl. unrealised, P62).

    `exposure` is per bar, aligned with `equity`: a flag or the number of open positions
    (> 0 counts as exposed); without it, exposure is derived from the trades' entry/exit bars.
    """
    if not initial_balance > 0:
        raise ResultError(f"initial_balance must be > 0, got {initial_balance!r}")
    tf = Timeframe.parse(timeframe)
    frame = as_trades_frame(trades)
    curve = check_equity(equity)
    values = curve.to_numpy()
    stats = trade_stats(frame["net_pnl"].to_numpy())
    totals: dict[str, Any] = {col: float(frame[col].sum()) for col in MONEY_COLUMNS}
    returns = bar_returns(values, initial_balance)
    dd_abs, dd_pct = drawdown(values, initial_balance)
    dd_bars, dd_time = longest_underwater(curve, initial_balance, tf)
    final = float(values[-1]) if values.size else initial_balance
    if exposure is None:
        held = exposure_from_trades(frame, pd.DatetimeIndex(curve.index), tf)
    else:
        held = np.asarray(exposure, dtype=np.float64) > 0  # flags or open-position counts
        if held.shape != values.shape:
            raise ResultError(
                f"exposure has {held.size} bars but the equity curve has {values.size}"
            )
    start = curve.index[0] - tf.delta if values.size else None
    years = (curve.index[-1] - start) / pd.Timedelta(days=365) if start is not None else 0.0
    return Metrics(
        **stats,
        **totals,
        initial_balance=float(initial_balance),
        final_equity=final,
        return_pct=100.0 * (final / initial_balance - 1.0),
        cagr_pct=cagr_pct(initial_balance, final, years),
        sharpe=sharpe_ratio(returns, tf.periods_per_year),
        sortino=sortino_ratio(returns, tf.periods_per_year),
        max_drawdown_pct=float(dd_pct.max()) if values.size else 0.0,
        max_drawdown_abs=float(dd_abs.max()) if values.size else 0.0,
        max_drawdown_bars=dd_bars,
        max_drawdown_days=dd_time / pd.Timedelta(days=1),
        exposure_pct=100.0 * float(held.mean()) if held.size else 0.0,
        bars=int(values.size),
        timeframe=tf.name,
        periods_per_year=tf.periods_per_year,
        start=start.isoformat() if start is not None else None,
        end=curve.index[-1].isoformat() if values.size else None,
        by_symbol=breakdown(frame, "symbol"),
        by_exit_reason=breakdown(frame, "exit_reason"),
        monthly_returns=monthly_returns(curve, initial_balance, tf),
    )


__all__ = [
    "MONEY_COLUMNS",
    "Metrics",
    "ResultError",
    "as_trades_frame",
    "breakdown",
    "compute_metrics",
    "trade_stats",
]
