"""`u_volatility_breakout`: the Upbit bot's VolatilityBreakout (SPEC U08), close-only.

The classic rule buys intrabar the moment price reaches target = open + k × (previous high −
previous low) and sells at the next candle's open. A coinpilot strategy decides only at candle
close (it never sees the forming candle), so the implementable rule is:

- signal long at the close of bar t when close[t] >= open[t] + k_value × (high[t−1] − low[t−1])
  (the breakout held until the close) and the previous range is > 0;
- the engine enters at the next open and `time_limit_bars = 1` closes the position one bar later,
  i.e. at the open of the candle after the entry candle: the "sell at the next open" of the
  classic rule shifted by the one bar we must wait for confirmation.

Long-only (Upbit KRW spot), no stop or target (the seed has none). The score is how far the
close went past the target, in units of the previous range.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field

from coinpilot.domain.enums import LevelMode
from coinpilot.indicators import ge, safe_div, shift
from coinpilot.strategies._rows import RowView
from coinpilot.strategies.base import MarketData, Strategy, StrategyParams, empty_signals
from coinpilot.strategies.registry import register


class VolatilityBreakoutParams(StrategyParams):
    timeframe: str = "5m"
    time_limit_bars: int | None = Field(1, ge=1, description="bars to hold after entry (classic: 1)")
    k_value: float = Field(0.5, ge=0, description="fraction of the previous range to break out by")


@register
class VolatilityBreakout(Strategy):
    name = "u_volatility_breakout"
    plot_columns = (("breakout_target", "price"),)
    description = "Close above open + k × previous range → buy next open, sell one bar later (long-only)"
    Params = VolatilityBreakoutParams
    level_mode = LevelMode.PCT
    params: VolatilityBreakoutParams

    @property
    def warmup_bars(self) -> int:
        return 1

    def prepare(self, data: MarketData) -> pd.DataFrame:
        c = data.candles
        o, h, lo, cl = (c[k].to_numpy(dtype=np.float64) for k in ("open", "high", "low", "close"))
        prev_range = shift(h) - shift(lo)
        target = o + self.params.k_value * prev_range
        with np.errstate(invalid="ignore"):
            go = ge(cl, target) & (prev_range > 0)
        out = empty_signals(len(cl))
        out["signal"][go] = 1
        out["score"][go] = safe_div(cl - target, prev_range)[go]
        return pd.DataFrame({"prev_range": prev_range, "breakout_target": target, **out})

    def reason(self, prepared: pd.DataFrame, t: int) -> str:
        row = RowView(prepared, t)
        k = self.params.k_value
        if int(row["signal"]) == 0:
            return f"no breakout: target {row['breakout_target']:.6g} (k={k:g})"
        return (f"breakout: close beyond target {row['breakout_target']:.6g} = open + {k:g} × previous range "
                f"{row['prev_range']:.6g}; hold {self.params.time_limit_bars} bar(s)")
