"""Equity curve with unrealised PnL (P62), rebuilt from the trade journal after a run.

Rebuilding afterwards keeps the hot loop free of per-bar bookkeeping: realised PnL steps in at
the close of each exit bar (fees and funding included there), and every bar a position is
open adds its mark-to-close PnL. The result is sampled at every bar close of the union grid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from coinpilot.domain.candles import open_ms
from coinpilot.domain.timeframe import Timeframe
from coinpilot.domain.trade import Trade


def equity_curve(
    candles: Mapping[str, pd.DataFrame],
    trades: Sequence[Trade],
    funding: pd.DataFrame,
    initial_balance: float,
    timeframe: Timeframe,
) -> tuple[pd.Series, pd.Series]:
    """(equity at each bar close, number of open positions at each bar close)."""
    grids = {s: open_ms(c) for s, c in candles.items()}
    grid = np.unique(np.concatenate(list(grids.values()))) if grids else np.empty(0, np.int64)
    n = grid.shape[0]
    realised = np.zeros(n)
    unreal = np.zeros(n)
    exposure = np.zeros(n, dtype=np.int64)
    for t in trades:
        times = grids[t.symbol]
        close = candles[t.symbol]["close"].to_numpy(dtype=np.float64)
        e = int(np.searchsorted(times, t.entry_time.value // 1_000_000))
        x = int(np.searchsorted(times, t.exit_time.value // 1_000_000))
        gx = int(np.searchsorted(grid, times[x])) if x < times.shape[0] else n - 1
        realised[gx] += float(t.net_pnl)
        if x > e:
            g = np.searchsorted(grid, times[e:x])
            unreal[g] += t.side.sign * float(t.qty) * (close[e:x] - float(t.entry_price))
            exposure[g] += 1
    equity = initial_balance + np.cumsum(realised) + unreal
    index = pd.to_datetime(grid + timeframe.ms, unit="ms", utc=True)
    return pd.Series(equity, index=index, name="equity"), pd.Series(exposure, index=index, name="open_positions")


__all__ = ["equity_curve"]
