"""`u_dual_momentum`: the Upbit bot's DualMomentum (SPEC U09).

- absolute momentum: the `window`-candle return close[t] / close[t−window] − 1 is > 0;
- relative momentum: that return beats the same-window return of every symbol in
  `context_symbols` (e.g. BTCUSDT), read from MarketData.context at the same candle; with no
  context symbols only the absolute test applies (the "cash" comparison of U09).
BUY while both hold; exit while absolute momentum is <= 0. Long-only (Upbit KRW spot).

Choices: signals are states, not edges, as in the seed's loop (it re-evaluates every candle and
buys when flat): after a time or risk exit the strategy can re-enter while momentum persists.
A context candle missing at a bar makes relative momentum unknown, so no entry there. The
traded symbol itself is skipped if listed among its context symbols. The score is the window
return in percent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field

from coinpilot.domain.candles import open_ms
from coinpilot.domain.enums import LevelMode
from coinpilot.domain.errors import StrategyError
from coinpilot.indicators import gt, roc_ratio, warmup
from coinpilot.strategies._rows import RowView
from coinpilot.strategies.base import MarketData, Strategy, StrategyParams, empty_signals
from coinpilot.strategies.registry import register


class DualMomentumParams(StrategyParams):
    timeframe: str = "5m"
    window: int = Field(12, ge=1, description="momentum look-back in candles")
    context_symbols: tuple[str, ...] = Field((), description="symbols to beat for relative momentum")


@register
class DualMomentum(Strategy):
    name = "u_dual_momentum"
    plot_columns = (("momentum", "momentum"), ("best_context_momentum", "momentum"))
    description = "Absolute (window return > 0) and relative (beats context symbols) momentum; exit when absolute <= 0"
    Params = DualMomentumParams
    level_mode = LevelMode.PCT
    params: DualMomentumParams

    @property
    def context_symbols(self) -> tuple[str, ...]:
        return tuple(s.upper() for s in self.params.context_symbols)

    @property
    def warmup_bars(self) -> int:
        return warmup("roc_ratio", period=self.params.window)

    def prepare(self, data: MarketData) -> pd.DataFrame:
        close = data.candles["close"].to_numpy(dtype=np.float64)
        n = len(close)
        mom = roc_ratio(close, self.params.window)
        others = [s for s in self.context_symbols if s != data.symbol.upper()]
        best_other = np.full(n, np.nan)
        relative = np.ones(n, dtype=bool)
        if others:
            best_other = np.full(n, -np.inf)
            for sym in others:
                if sym not in data.context:
                    raise StrategyError(
                        f"{self.name} needs {sym} candles in MarketData.context (relative momentum)"
                    )
                # np.maximum propagates NaN: one missing context candle makes the bar unknown
                best_other = np.maximum(best_other, _aligned_momentum(data.candles, data.context[sym], self.params.window))
            relative = gt(mom, best_other)
        with np.errstate(invalid="ignore"):
            buy = (mom > 0) & relative
            leave = (mom <= 0) & ~buy
        out = empty_signals(n)
        out["signal"][buy] = 1
        out["exit"][leave] = 1
        out["score"][buy] = mom[buy] * 100
        return pd.DataFrame({"momentum": mom, "best_context_momentum": best_other, **out})

    def reason(self, prepared: pd.DataFrame, t: int) -> str:
        row = RowView(prepared, t)
        mom = row["momentum"] * 100
        w = self.params.window
        other = row["best_context_momentum"]
        vs = f", best of {', '.join(self.context_symbols)} {other * 100:.3f}%" if np.isfinite(other) else ""
        if int(row["signal"]) > 0:
            return f"dual momentum: {w}-bar return {mom:.3f}% > 0{vs}"
        if int(row["exit"]) > 0:
            return f"absolute momentum gone: {w}-bar return {mom:.3f}% <= 0"
        return f"{w}-bar return {mom:.3f}%{vs}"


def _aligned_momentum(primary: pd.DataFrame, other: pd.DataFrame, window: int) -> np.ndarray:
    """The other symbol's window return at each primary candle (same open time), NaN if absent."""
    p_open = open_ms(primary)
    out = np.full(len(p_open), np.nan)
    if len(other) == 0:
        return out
    mom = roc_ratio(other["close"].to_numpy(dtype=np.float64), window)
    o_open = open_ms(other)
    pos = np.minimum(np.searchsorted(o_open, p_open), len(o_open) - 1)
    found = o_open[pos] == p_open
    out[found] = mom[pos[found]]
    return out
