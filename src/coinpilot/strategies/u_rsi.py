"""`u_rsi`: the Upbit bot's RSI strategy (SPEC U10), long-only.

BUY when RSI(period) crosses back up through `oversold` (below it on the previous candle, at or
above it now); exit a long when RSI crosses back down through `overbought` (above it on the
previous candle, at or below it now). U10 leaves level-vs-cross open and suggests the cross: a
level rule would buy every candle of a falling knife and sell at the first overbought tick,
while the cross waits for the move to turn. No stop or target (the seed has none). The score is
how deep the dip went below `oversold` on the previous candle.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from coinpilot.domain.enums import LevelMode
from coinpilot.indicators import rsi, shift, warmup
from coinpilot.strategies._rows import RowView
from coinpilot.strategies.base import MarketData, Strategy, StrategyParams, empty_signals
from coinpilot.strategies.registry import register


class RsiParams(StrategyParams):
    timeframe: str = "5m"
    period: int = Field(14, ge=2)
    oversold: float = Field(30.0, gt=0, lt=100)
    overbought: float = Field(70.0, gt=0, lt=100)

    @model_validator(mode="after")
    def _levels(self) -> RsiParams:
        if self.oversold >= self.overbought:
            raise ValueError(f"oversold ({self.oversold}) must be below overbought ({self.overbought})")
        return self


@register
class RsiCross(Strategy):
    name = "u_rsi"
    plot_columns = (("rsi", "rsi"),)
    description = "Buy when RSI crosses back above 30, sell when it crosses back below 70 (long-only)"
    Params = RsiParams
    level_mode = LevelMode.PCT
    params: RsiParams

    @property
    def warmup_bars(self) -> int:
        return warmup("rsi", period=self.params.period) + 1

    def prepare(self, data: MarketData) -> pd.DataFrame:
        p = self.params
        r = rsi(data.candles["close"].to_numpy(dtype=np.float64), p.period)
        prev = shift(r)
        with np.errstate(invalid="ignore"):
            buy = (prev < p.oversold) & (r >= p.oversold)
            sell = (prev > p.overbought) & (r <= p.overbought)
        out = empty_signals(len(r))
        out["signal"][buy] = 1
        out["exit"][sell] = 1
        out["score"][buy] = (p.oversold - prev)[buy]
        return pd.DataFrame({"rsi": r, "rsi_prev": prev, **out})

    def reason(self, prepared: pd.DataFrame, t: int) -> str:
        p = self.params
        row = RowView(prepared, t)
        now, before = row["rsi"], row["rsi_prev"]
        if int(row["signal"]) > 0:
            return f"RSI{p.period} crossed back above {p.oversold:g}: {before:.1f} → {now:.1f}"
        if int(row["exit"]) > 0:
            return f"RSI{p.period} crossed back below {p.overbought:g}: {before:.1f} → {now:.1f}"
        return f"RSI{p.period} {now:.1f}"
