"""`c_score`: the cointrader indicator score with ADX gate and volume rule (SPEC C09–C11).

At the close of each 15m candle (C10):
1. ADX gate: ADX < adx_threshold → HOLD (only when adx_threshold > 0; a NaN ADX falls through).
2. Long score: RSI < 35 (+1), MACD golden cross (+2), close < lower Bollinger band (+1),
   EMA9 > EMA21 > EMA50 (+1), StochRSI K < 20 and K > D (+1). Short score is the mirror.
3. Volume surge: volume >= vol_ma20 × volume_multiplier.
4. LONG if long_score >= threshold and (surge OR long_score >= threshold + 1) — the OR is the
   seed's rule (P103), kept as specified. SHORT likewise.
Stops and targets are ATR(14) of the signal candle × atr_sl_mult / atr_tp_mult (C11), as price
distances from the entry fill (DIST). A held position meeting an opposite signal is reversed
by the engine (C12/C13): the signal column simply shows the new direction; `exit` stays 0.

Choices where the seed is silent:
- Both sides qualifying: the higher score wins, equal scores give HOLD (C10's suggestion).
- Indicator-vs-indicator comparisons (MACD vs signal, close vs band, EMA stack, K vs D) use the
  1e-9 tie tolerance of `indicators.compare` (C10 implementation note); RSI and K against fixed
  levels are plain comparisons.
- No signal where ATR is NaN or <= 0: a bracket of zero width cannot be placed (C41 skips it).
- Per-symbol values (XRP: 1.5 / 4.0 / ADX 25) come from config, merged before `create`
  (configs/strategies/c_score/XRPUSDT.yaml).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from pydantic import Field

from coinpilot.domain.enums import LevelMode
from coinpilot.indicators import (
    adx,
    atr,
    bollinger,
    crosses,
    ema,
    gt,
    lt,
    macd,
    rsi,
    safe_div,
    sma,
    stoch_rsi,
    warmup,
)
from coinpilot.strategies._rows import RowView
from coinpilot.strategies.base import MarketData, Strategy, StrategyParams, column, empty_signals
from coinpilot.strategies.registry import register

# rule bits, in the order the reason lists them; weight 2 for the MACD cross (C10)
RULES: tuple[tuple[str, str, int], ...] = (
    ("rsi", "RSI", 1),
    ("macd", "MACD cross", 2),
    ("bb", "Bollinger", 1),
    ("ema", "EMA stack", 1),
    ("stoch", "StochRSI", 1),
)


class CScoreParams(StrategyParams):
    timeframe: str = "15m"
    signal_threshold: int = Field(3, ge=1, le=6, description="minimum score to trade (max score 6)")
    adx_threshold: float = Field(25.0, ge=0, description="ADX gate; 0 disables it")
    volume_multiplier: float = Field(2.5, gt=0, description="volume surge = volume >= vol_ma20 × this")
    atr_sl_mult: float = Field(2.0, gt=0, description="stop distance in ATRs")
    atr_tp_mult: float = Field(2.0, gt=0, description="take-profit distance in ATRs")
    rsi_period: int = Field(14, ge=2)
    rsi_oversold: float = Field(35.0, ge=0, le=100)
    rsi_overbought: float = Field(65.0, ge=0, le=100)
    macd_fast: int = Field(12, ge=1)
    macd_slow: int = Field(26, ge=2)
    macd_signal: int = Field(9, ge=1)
    bb_period: int = Field(20, ge=2)
    bb_std: float = Field(2.0, gt=0)
    ema_fast: int = Field(9, ge=1)
    ema_mid: int = Field(21, ge=1)
    ema_slow: int = Field(50, ge=1)
    stoch_rsi_period: int = Field(14, ge=2)
    stoch_period: int = Field(14, ge=1)
    stoch_k: int = Field(3, ge=1)
    stoch_d: int = Field(3, ge=1)
    stoch_low: float = Field(20.0, ge=0, le=100)
    stoch_high: float = Field(80.0, ge=0, le=100)
    atr_period: int = Field(14, ge=1)
    adx_period: int = Field(14, ge=2)
    volume_ma_period: int = Field(20, ge=1)


@register
class CScore(Strategy):
    name = "c_score"
    plot_columns = (("bb_upper", "price"), ("bb_lower", "price"), ("ema_slow", "price"), ("rsi", "rsi"))
    description = "Indicator score (RSI, MACD cross, Bollinger, EMA stack, StochRSI) with ADX gate and volume rule; ATR brackets"
    Params = CScoreParams
    level_mode = LevelMode.DIST
    params: CScoreParams

    @property
    def warmup_bars(self) -> int:
        p = self.params
        return max(
            warmup("rsi", period=p.rsi_period),
            warmup("macd", fast=p.macd_fast, slow=p.macd_slow, signal=p.macd_signal) + 1,
            warmup("bollinger", period=p.bb_period),
            warmup("ema", period=max(p.ema_fast, p.ema_mid, p.ema_slow)),
            warmup("stoch_rsi_d", rsi_period=p.stoch_rsi_period, stoch_period=p.stoch_period,
                   k_smooth=p.stoch_k, d_smooth=p.stoch_d),
            warmup("atr", period=p.atr_period),
            warmup("adx", period=p.adx_period),
            warmup("sma", period=p.volume_ma_period),
        )

    def prepare(self, data: MarketData) -> pd.DataFrame:
        p = self.params
        c = data.candles
        high, low, close, volume = (c[k].to_numpy(dtype=np.float64) for k in ("high", "low", "close", "volume"))
        rsi_v = rsi(close, p.rsi_period)
        m = macd(close, p.macd_fast, p.macd_slow, p.macd_signal)
        macd_up, macd_down = crosses(m.macd, m.signal)
        bb = bollinger(close, p.bb_period, p.bb_std)
        e_fast, e_mid, e_slow = ema(close, p.ema_fast), ema(close, p.ema_mid), ema(close, p.ema_slow)
        st = stoch_rsi(close, p.stoch_rsi_period, p.stoch_period, p.stoch_k, p.stoch_d)
        atr_v = atr(high, low, close, p.atr_period)
        adx_v = adx(high, low, close, p.adx_period)
        vol_ma = sma(volume, p.volume_ma_period)

        with np.errstate(invalid="ignore"):
            long_hits = {
                "rsi": rsi_v < p.rsi_oversold,
                "macd": macd_up,
                "bb": lt(close, bb.lower),
                "ema": gt(e_fast, e_mid) & gt(e_mid, e_slow),
                "stoch": (st.k < p.stoch_low) & gt(st.k, st.d),
            }
            short_hits = {
                "rsi": rsi_v > p.rsi_overbought,
                "macd": macd_down,
                "bb": gt(close, bb.upper),
                "ema": lt(e_fast, e_mid) & lt(e_mid, e_slow),
                "stoch": (st.k > p.stoch_high) & lt(st.k, st.d),
            }
        long_score, long_bits = _score(long_hits)
        short_score, short_bits = _score(short_hits)
        sig = signal_arrays(p, volume, vol_ma, adx_v, atr_v, long_score, short_score)
        surge, adx_blocked = sig.surge, sig.adx_blocked

        out = empty_signals(len(close))
        out["signal"][:] = sig.direction
        out["stop"], out["target"], out["score"] = sig.stop, sig.target, sig.score
        return pd.DataFrame(
            {
                "rsi": rsi_v, "macd": m.macd, "macd_signal": m.signal, "macd_hist": m.hist,
                "bb_upper": bb.upper, "bb_lower": bb.lower,
                "ema_fast": e_fast, "ema_mid": e_mid, "ema_slow": e_slow,
                "stoch_k": st.k, "stoch_d": st.d, "atr": atr_v, "adx": adx_v, "vol_ma": vol_ma,
                "vol_ratio": safe_div(volume, vol_ma),
                "long_score": long_score, "short_score": short_score,
                "long_rules": long_bits, "short_rules": short_bits,
                "surge": surge, "adx_blocked": adx_blocked,
                **out,
            }
        )

    def reason(self, prepared: pd.DataFrame, t: int) -> str:
        p = self.params
        row = RowView(prepared, t)
        sig = int(row["signal"])
        adx_text = f"ADX {row['adx']:.1f}"
        vol_text = f"volume {row['vol_ratio']:.2f}x MA{p.volume_ma_period}" + (" (surge)" if row["surge"] else "")
        if sig == 0:
            why = f"ADX {row['adx']:.1f} < {p.adx_threshold:g}" if row["adx_blocked"] else "scores below threshold"
            return (f"HOLD: {why}; long {int(row['long_score'])} short {int(row['short_score'])}, "
                    f"{vol_text}")
        side, bits, score = (("LONG", row["long_rules"], row["long_score"]) if sig > 0
                             else ("SHORT", row["short_rules"], row["short_score"]))
        fired = ", ".join(f"{label} +{w}" for i, (_, label, w) in enumerate(RULES) if int(bits) >> i & 1)
        return (f"{side} score {int(score)}/{p.signal_threshold} ({fired}); long {int(row['long_score'])} "
                f"short {int(row['short_score'])}, {adx_text}, {vol_text}")


class SignalArrays(NamedTuple):
    direction: np.ndarray  # +1 / -1 / 0 (int8)
    stop: np.ndarray  # ATR distance where direction != 0, else NaN
    target: np.ndarray
    score: np.ndarray  # the chosen side's score, else 0
    surge: np.ndarray
    adx_blocked: np.ndarray


def signal_arrays(
    p: CScoreParams, volume: np.ndarray, vol_ma: np.ndarray, adx_v: np.ndarray, atr_v: np.ndarray,
    long_score: np.ndarray, short_score: np.ndarray,
) -> SignalArrays:
    """The signal columns from the indicators and scores: the part of `prepare` that the C48
    sweep's parameters (threshold, ADX gate, volume multiple, ATR multiples) change. The fast
    path's sweeps re-derive signals with this very function (`rederive_signals`), so a sweep
    and a backtest of the same parameters cannot disagree."""
    with np.errstate(invalid="ignore"):
        surge = volume >= vol_ma * p.volume_multiplier
        adx_blocked = (p.adx_threshold > 0) & (adx_v < p.adx_threshold)
        atr_ok = atr_v > 0
    direction = choose_direction(long_score, short_score, surge, ~adx_blocked & atr_ok, p.signal_threshold)
    n = direction.shape[0]
    stop, target, score = np.full(n, np.nan), np.full(n, np.nan), np.zeros(n)
    go_long, go_short = direction > 0, direction < 0
    hit = go_long | go_short
    stop[hit] = atr_v[hit] * p.atr_sl_mult
    target[hit] = atr_v[hit] * p.atr_tp_mult
    score[go_long] = long_score[go_long]
    score[go_short] = short_score[go_short]
    return SignalArrays(direction, stop, target, score, surge, adx_blocked)


#: the parameters `signal_arrays` reads; the others change the indicators themselves
REDERIVABLE_PARAMS = frozenset({"signal_threshold", "adx_threshold", "volume_multiplier", "atr_sl_mult", "atr_tp_mult"})


def rederive_signals(prepared: pd.DataFrame, candles: pd.DataFrame, p: CScoreParams) -> SignalArrays:
    """Signals for new REDERIVABLE_PARAMS from a frame `prepare` made with other values of
    them (the indicators do not depend on them): a sweep prepares once per indicator set."""
    cols = {k: column(prepared, k) for k in ("vol_ma", "adx", "atr", "long_score", "short_score")}
    return signal_arrays(p, column(candles, "volume"), cols["vol_ma"], cols["adx"], cols["atr"],
                         cols["long_score"], cols["short_score"])


def choose_direction(
    long_score: np.ndarray, short_score: np.ndarray, surge: np.ndarray, allowed: np.ndarray, threshold: int
) -> np.ndarray:
    """+1 / −1 / 0 per bar from the two scores (C10 steps 4–5 and the tie-break).

    A side qualifies with score >= threshold AND (volume surge OR score >= threshold + 1): the
    seed's OR, kept as specified (P103). Both sides qualifying: the higher score wins, equal
    scores give HOLD. `allowed` is False where the ADX gate or a missing ATR blocks the bar.
    """
    long_ok = (long_score >= threshold) & (surge | (long_score >= threshold + 1))
    short_ok = (short_score >= threshold) & (surge | (short_score >= threshold + 1))
    go_long = long_ok & (~short_ok | (long_score > short_score)) & allowed
    go_short = short_ok & (~long_ok | (short_score > long_score)) & allowed
    return go_long.astype(np.int8) - go_short.astype(np.int8)


def _score(hits: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Weighted score and a bit mask of which rules fired (for the reason text)."""
    n = len(next(iter(hits.values())))
    score = np.zeros(n)
    bits = np.zeros(n, dtype=np.int64)
    for i, (key, _label, weight) in enumerate(RULES):
        fired = hits[key]
        score += weight * fired
        bits |= fired.astype(np.int64) << i
    return score, bits
