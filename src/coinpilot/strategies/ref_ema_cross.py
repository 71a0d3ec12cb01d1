"""`ref_ema_cross`: the benchmark reference strategy (shared/bench/REFERENCE_STRATEGY.md, part 1).

Signal at the close of bar t: EMA(fast) crosses above EMA(slow) → long, below → short, both
TA-Lib EMAs of close computed from the first row given (the SMA seed position matters).
Levels are fractions of the entry fill (PCT): stop 1.5 %, target 3 %. No signal exits, no time
exit. What happens to a signal while a position is open (the reference drops it) is the
engine's business; this module only says where the crosses are.

Choices: comparisons are exact (`tie_tol = 0`) because the reference defines them exactly and
its 4759 trades were reproduced by two peers that way; the C10 tie tolerance is available as a
parameter. The score is the EMA gap in basis points of the close, a size of the cross that is
comparable across symbols.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from coinpilot.domain.enums import LevelMode
from coinpilot.indicators import crosses, ema, safe_div, warmup
from coinpilot.strategies._rows import num, sign
from coinpilot.strategies.base import MarketData, Strategy, StrategyParams, empty_signals
from coinpilot.strategies.registry import register


class RefEmaCrossParams(StrategyParams):
    timeframe: str = "5m"
    fast: int = Field(9, ge=1, description="fast EMA period")
    slow: int = Field(21, ge=2, description="slow EMA period")
    stop_pct: float = Field(0.015, gt=0, lt=1, description="stop as a fraction of the entry fill")
    target_pct: float = Field(0.03, gt=0, description="take-profit as a fraction of the entry fill")
    tie_tol: float = Field(0.0, ge=0, description="tie tolerance of the EMA comparison (0 = exact)")

    @model_validator(mode="after")
    def _fast_below_slow(self) -> RefEmaCrossParams:
        if self.fast >= self.slow:
            raise ValueError(f"fast ({self.fast}) must be smaller than slow ({self.slow})")
        return self


@register
class RefEmaCross(Strategy):
    name = "ref_ema_cross"
    plot_columns = (("ema_fast", "price"), ("ema_slow", "price"))
    description = "Benchmark reference: EMA9/EMA21 cross on close, stop 1.5 %, target 3 % of the fill"
    Params = RefEmaCrossParams
    level_mode = LevelMode.PCT
    params: RefEmaCrossParams

    @property
    def warmup_bars(self) -> int:
        # the cross needs the previous bar's slow EMA too
        return warmup("ema", period=self.params.slow) + 1

    def prepare(self, data: MarketData) -> pd.DataFrame:
        p = self.params
        close = data.candles["close"].to_numpy(dtype=np.float64)
        fast = ema(close, p.fast)
        slow = ema(close, p.slow)
        out = empty_signals(len(close))
        up, down = crosses(fast, slow, p.tie_tol)
        out["signal"][up] = 1
        out["signal"][down] = -1
        hit = up | down
        out["stop"][hit] = p.stop_pct
        out["target"][hit] = p.target_pct
        out["score"][hit] = np.abs(safe_div(fast - slow, close))[hit] * 1e4
        return pd.DataFrame({"ema_fast": fast, "ema_slow": slow, **out})

    def reason(self, prepared: pd.DataFrame, t: int) -> str:
        p = self.params
        fast = num(prepared, "ema_fast", t)
        slow = num(prepared, "ema_slow", t)
        sig = sign(prepared, "signal", t)
        if sig == 0:
            return f"no cross: EMA{p.fast} {fast:.6g} vs EMA{p.slow} {slow:.6g}"
        word = "above" if sig > 0 else "below"
        return f"EMA{p.fast} {fast:.6g} crossed {word} EMA{p.slow} {slow:.6g}"
