"""`c_mtf_pullback`: the cointrader MTF pullback bot (SPEC C58) as a strategy.

Meta filter on the last *closed* 1h candle: the regime is bullish when EMA50 > EMA200 and
bearish when EMA50 < EMA200, and only counts while 1h ADX(14) >= meta_adx_min (a trend strong
enough to pull back in). Only the regime's direction may trade.

Trigger on 15m, a three-candle sequence ending at the signal candle t (long; short mirrored):
- t−2 and t−1 are the pullback: each closes lower than the candle before it;
- the pullback does not break the trend: close[t−1] stays above the 15m EMA(trend_ema);
- t resumes the trend: a green candle closing above high[t−1];
- volume-backed: volume[t] >= volume_multiplier × its MA(20), and above the volume of both
  pullback candles (the counter-move was on lighter volume than the resumption).
Stop and target are ATR(14) of the 15m signal candle × 1.5 / × 3.0 (DIST).

The dump leaves thresholds, the pullback definition and SL/TP unspecified (C58). These
choices are the textbook "buy the dip in an uptrend" pattern with every number a parameter;
1.5 / 3.0 ATR gives the 2:1 reward/risk the seed's Phase 1 robustness check (SHORT PF >= 1.5)
implies is the bar to clear, and ADX 20 on 1h admits moderate trends (the 25 of C10 is for
15m trend-following, where a pullback entry would come too late).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from coinpilot.data.mtf import align_to
from coinpilot.domain.enums import LevelMode
from coinpilot.domain.errors import StrategyError
from coinpilot.indicators import (
    adx,
    atr,
    ema,
    gt,
    in_primary_bars,
    lt,
    safe_div,
    shift,
    sma,
    warmup,
)
from coinpilot.strategies._rows import RowView
from coinpilot.strategies.base import MarketData, Strategy, StrategyParams, empty_signals
from coinpilot.strategies.registry import register

META_TF = "1h"


class MtfPullbackParams(StrategyParams):
    timeframe: str = "15m"
    meta_ema_fast: int = Field(50, ge=1, description="1h fast EMA of the regime")
    meta_ema_slow: int = Field(200, ge=2, description="1h slow EMA of the regime")
    meta_adx_period: int = Field(14, ge=2)
    meta_adx_min: float = Field(20.0, ge=0, description="1h ADX needed for a regime to count")
    trend_ema: int = Field(50, ge=1, description="15m EMA the pullback must hold")
    volume_ma_period: int = Field(20, ge=1)
    volume_multiplier: float = Field(1.5, gt=0, description="trigger volume >= MA × this")
    atr_period: int = Field(14, ge=1)
    atr_sl_mult: float = Field(1.5, gt=0)
    atr_tp_mult: float = Field(3.0, gt=0)

    @model_validator(mode="after")
    def _ema_order(self) -> MtfPullbackParams:
        if self.meta_ema_fast >= self.meta_ema_slow:
            raise ValueError(f"meta_ema_fast ({self.meta_ema_fast}) must be below meta_ema_slow ({self.meta_ema_slow})")
        return self


@register
class MtfPullback(Strategy):
    name = "c_mtf_pullback"
    plot_columns = (("trend_ema", "price"), ("meta_ema_fast", "price"), ("meta_ema_slow", "price"), ("meta_adx", "1h ADX"))
    description = "1h EMA50/EMA200 + ADX regime, 15m volume-backed 3-candle pullback entry; ATR brackets"
    Params = MtfPullbackParams
    informative_timeframes = (META_TF,)
    level_mode = LevelMode.DIST
    params: MtfPullbackParams

    @property
    def warmup_bars(self) -> int:
        p = self.params
        meta = max(warmup("ema", period=p.meta_ema_slow), warmup("adx", period=p.meta_adx_period)) + 1
        local = max(warmup("ema", period=p.trend_ema), warmup("atr", period=p.atr_period),
                    warmup("sma", period=p.volume_ma_period)) + 3
        # `meta` 1h candles have closed at 15m bar meta × 4 − 1 (when the data starts on an hour)
        return max(in_primary_bars(meta, META_TF, self.params.timeframe) - 1, local)

    def prepare(self, data: MarketData) -> pd.DataFrame:
        p = self.params
        if META_TF not in data.informative:
            raise StrategyError(f"{self.name} needs {META_TF} candles in MarketData.informative for {data.symbol}")
        meta = data.informative[META_TF]
        m_close = meta["close"].to_numpy(dtype=np.float64)
        m_high = meta["high"].to_numpy(dtype=np.float64)
        m_low = meta["low"].to_numpy(dtype=np.float64)
        meta_ind = pd.DataFrame({
            "open_time": meta["open_time"],
            "ema_fast": ema(m_close, p.meta_ema_fast),
            "ema_slow": ema(m_close, p.meta_ema_slow),
            "adx": adx(m_high, m_low, m_close, p.meta_adx_period),
        })
        aligned = align_to(data.candles, data.timeframe, meta_ind, META_TF, prefix="meta_")
        mf = aligned["meta_ema_fast"].to_numpy(dtype=np.float64)
        ms = aligned["meta_ema_slow"].to_numpy(dtype=np.float64)
        madx = aligned["meta_adx"].to_numpy(dtype=np.float64)
        with np.errstate(invalid="ignore"):
            strong = madx >= p.meta_adx_min
        bull = gt(mf, ms) & strong
        bear = lt(mf, ms) & strong

        c = data.candles
        o, h, lo, cl, v = (c[k].to_numpy(dtype=np.float64) for k in ("open", "high", "low", "close", "volume"))
        trend = ema(cl, p.trend_ema)
        vol_ma = sma(v, p.volume_ma_period)
        atr_v = atr(h, lo, cl, p.atr_period)
        c1, c2, c3 = shift(cl, 1), shift(cl, 2), shift(cl, 3)
        v1, v2 = shift(v, 1), shift(v, 2)
        with np.errstate(invalid="ignore"):
            vol_backed = (v >= vol_ma * p.volume_multiplier) & (v > v1) & (v > v2)
            long_trigger = (
                (c2 < c3) & (c1 < c2) & gt(c1, shift(trend, 1))
                & (cl > o) & (cl > shift(h, 1)) & vol_backed
            )
            short_trigger = (
                (c2 > c3) & (c1 > c2) & lt(c1, shift(trend, 1))
                & (cl < o) & (cl < shift(lo, 1)) & vol_backed
            )
            atr_ok = atr_v > 0
        go_long = bull & long_trigger & atr_ok
        go_short = bear & short_trigger & atr_ok

        out = empty_signals(len(cl))
        out["signal"][go_long] = 1
        out["signal"][go_short] = -1
        hit = go_long | go_short
        vol_ratio = safe_div(v, vol_ma)
        out["stop"][hit] = atr_v[hit] * p.atr_sl_mult
        out["target"][hit] = atr_v[hit] * p.atr_tp_mult
        out["score"][hit] = vol_ratio[hit]
        regime = np.where(bull, 1, np.where(bear, -1, 0)).astype(np.int8)
        return pd.DataFrame({
            "meta_ema_fast": mf, "meta_ema_slow": ms, "meta_adx": madx, "regime": regime,
            "trend_ema": trend, "atr": atr_v, "vol_ratio": vol_ratio, **out,
        })

    def reason(self, prepared: pd.DataFrame, t: int) -> str:
        p = self.params
        row = RowView(prepared, t)
        regime = {1: "bull", -1: "bear", 0: "none"}[int(row["regime"])]
        meta = (f"1h EMA{p.meta_ema_fast} {row['meta_ema_fast']:.6g} vs EMA{p.meta_ema_slow} "
                f"{row['meta_ema_slow']:.6g}, ADX {row['meta_adx']:.1f} → regime {regime}")
        sig = int(row["signal"])
        if sig == 0:
            return f"no trigger; {meta}"
        side = "LONG" if sig > 0 else "SHORT"
        return (f"{side} pullback resumed on {row['vol_ratio']:.2f}x volume after 2 "
                f"{'lower' if sig > 0 else 'higher'} closes; {meta}")
