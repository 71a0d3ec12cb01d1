"""`w_atr_rule`: the Gemini bot's RULE_BACKUP (SPEC W09) with ATR brackets (W12).

Direction = agreement of close vs SMA20 on the 5m candle and on the last *closed* 1h and 4h
candles: all three above → LONG, all three below → SHORT, otherwise nothing. A direction only
counts while RSI(14) on 5m is within [rsi_low, rsi_high] (30–70, inclusive) and the volatility
fraction (W03: std of the last 20 log returns) is at least min_vol_frac (W06's 0.0005 gate,
which holds the rule back on dead markets just as it holds the LLM back). Stop = ATR(14) ×
atr_mult_sl (1.0), target = ATR(14) × atr_mult_tp (2.0), as distances from the entry fill (DIST).

The intent carries probability = min_prob (0.60, W09: "a fixed modest prob") so it still has
to pass the RR and spread gates downstream, and a reason naming each timeframe's verdict.

Choices: signals are states (the seed's loop re-evaluates every tick and trades when flat).
The score is the mean distance of close from SMA20 over the three timeframes, in basis points:
how decisively they agree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from coinpilot.data.mtf import align_to
from coinpilot.domain.enums import LevelMode
from coinpilot.domain.errors import StrategyError
from coinpilot.domain.timeframe import Timeframe
from coinpilot.indicators import (
    atr,
    gt,
    in_primary_bars,
    lt,
    rsi,
    safe_div,
    sma,
    volatility_frac,
    warmup,
)
from coinpilot.strategies._rows import RowView
from coinpilot.strategies.base import MarketData, Strategy, StrategyParams, empty_signals
from coinpilot.strategies.registry import register

HIGHER_TFS = ("1h", "4h")


class AtrRuleParams(StrategyParams):
    timeframe: str = "5m"
    sma_period: int = Field(20, ge=1)
    rsi_period: int = Field(14, ge=2)
    rsi_low: float = Field(30.0, ge=0, le=100)
    rsi_high: float = Field(70.0, ge=0, le=100)
    atr_period: int = Field(14, ge=1)
    atr_mult_tp: float = Field(2.0, gt=0, description="ATR_MULT_TP (W12)")
    atr_mult_sl: float = Field(1.0, gt=0, description="ATR_MULT_SL (W12)")
    min_prob: float = Field(0.60, ge=0, le=1, description="probability carried on the intent (MIN_PROB)")
    min_vol_frac: float = Field(0.0005, ge=0, description="MIN_VOL_FRAC gate (W06); 0 disables")
    vol_window: int = Field(20, ge=2, description="log returns in the volatility fraction (W03)")

    @model_validator(mode="after")
    def _below_higher_timeframes(self) -> AtrRuleParams:
        if Timeframe.parse(self.timeframe).ms >= Timeframe.parse(HIGHER_TFS[0]).ms:
            raise ValueError(f"timeframe {self.timeframe!r} must be shorter than {HIGHER_TFS[0]} (1h and 4h are the higher timeframes)")
        if self.rsi_low >= self.rsi_high:
            raise ValueError(f"rsi_low ({self.rsi_low}) must be below rsi_high ({self.rsi_high})")
        return self


@register
class AtrRule(Strategy):
    name = "w_atr_rule"
    plot_columns = (("sma_1h", "price"), ("sma_4h", "price"), ("rsi", "rsi"))
    description = "RULE_BACKUP: close vs SMA20 agrees on 5m/1h/4h, RSI 30–70; ATR×2 target, ATR×1 stop, prob 0.60"
    Params = AtrRuleParams
    informative_timeframes = HIGHER_TFS
    level_mode = LevelMode.DIST
    params: AtrRuleParams

    @property
    def warmup_bars(self) -> int:
        p = self.params
        local = max(warmup("sma", period=p.sma_period), warmup("rsi", period=p.rsi_period),
                    warmup("atr", period=p.atr_period), warmup("volatility_frac", window=p.vol_window))
        # N higher candles have closed at primary bar N × ratio − 1 (when the data starts on a boundary)
        higher = max(in_primary_bars(warmup("sma", period=p.sma_period) + 1, tf, p.timeframe) - 1 for tf in HIGHER_TFS)
        return max(local, higher)

    def prepare(self, data: MarketData) -> pd.DataFrame:
        p = self.params
        c = data.candles
        h, lo, cl = (c[k].to_numpy(dtype=np.float64) for k in ("high", "low", "close"))
        sides: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        ma = sma(cl, p.sma_period)
        sides[p.timeframe] = (cl, ma)
        for tf in HIGHER_TFS:
            if tf not in data.informative:
                raise StrategyError(f"{self.name} needs {tf} candles in MarketData.informative for {data.symbol}")
            frame = data.informative[tf]
            tf_close = frame["close"].to_numpy(dtype=np.float64)
            ind = pd.DataFrame({"open_time": frame["open_time"], "close": tf_close, "sma": sma(tf_close, p.sma_period)})
            aligned = align_to(c, data.timeframe, ind, tf)
            sides[tf] = (aligned["close"].to_numpy(dtype=np.float64), aligned["sma"].to_numpy(dtype=np.float64))
        above = np.logical_and.reduce([gt(x, m) for x, m in sides.values()])
        below = np.logical_and.reduce([lt(x, m) for x, m in sides.values()])
        r = rsi(cl, p.rsi_period)
        vol = volatility_frac(cl, p.vol_window)
        atr_v = atr(h, lo, cl, p.atr_period)
        with np.errstate(invalid="ignore"):
            calm = (r >= p.rsi_low) & (r <= p.rsi_high)
            lively = vol >= p.min_vol_frac
            ok = calm & lively & (atr_v > 0)
        go_long = above & ok
        go_short = below & ok
        out = empty_signals(len(cl))
        out["signal"][go_long] = 1
        out["signal"][go_short] = -1
        hit = go_long | go_short
        out["stop"][hit] = atr_v[hit] * p.atr_mult_sl
        out["target"][hit] = atr_v[hit] * p.atr_mult_tp
        dist = np.mean([np.abs(safe_div(x - m, m)) for x, m in sides.values()], axis=0) * 1e4
        out["score"][hit] = dist[hit]
        cols: dict[str, np.ndarray] = {}
        for tf, (x, m) in sides.items():
            cols[f"close_{tf}"] = x
            cols[f"sma_{tf}"] = m
        return pd.DataFrame({**cols, "rsi": r, "vol_frac": vol, "atr": atr_v, **out})

    def probability(self, prepared: pd.DataFrame, t: int) -> float | None:
        return self.params.min_prob  # the rule's fixed stand-in for the predictor's probability

    def reason(self, prepared: pd.DataFrame, t: int) -> str:
        p = self.params
        row = RowView(prepared, t)
        parts = []
        for tf in (p.timeframe, *HIGHER_TFS):
            x, m = row[f"close_{tf}"], row[f"sma_{tf}"]
            rel = "above" if x > m else "below" if x < m else "at"
            parts.append(f"{tf} {x:.6g} {rel} SMA{p.sma_period} {m:.6g}")
        sig = int(row["signal"])
        head = "RULE_BACKUP " + ("LONG" if sig > 0 else "SHORT" if sig < 0 else "HOLD")
        return (f"{head} (prob {p.min_prob:.2f}): " + "; ".join(parts)
                + f"; RSI{p.rsi_period} {row['rsi']:.1f} in [{p.rsi_low:g}, {p.rsi_high:g}]"
                + f"; volatility {row['vol_frac'] * 100:.3f}% (min {p.min_vol_frac * 100:.3f}%)")
