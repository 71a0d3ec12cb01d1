"""cointrader strategies (c_score, c_mtf_pullback): each rule checked on hand-built candles or
against an independent row-by-row restatement of the SPEC rule over real sample data."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from strategy_test_helpers import CONFIGS, candles

from coinpilot.data.resample import resample
from coinpilot.domain.enums import LevelMode, Side
from coinpilot.domain.errors import StrategyError
from coinpilot.domain.timeframe import Timeframe
from coinpilot.strategies import create, get
from coinpilot.strategies.base import MarketData, Strategy
from coinpilot.strategies.c_score import choose_direction
from coinpilot.strategies.loader import create_for_symbol, load_symbol_configs

Build = Callable[[Strategy, str], MarketData]
TOL = 1e-9


def _gt(a: float, b: float) -> bool:
    return a - b > TOL * max(1.0, abs(a), abs(b))


# ---------------------------------------------------------------- c_score (C09–C11)


def _c_score_by_rows(p: pd.DataFrame, close: np.ndarray, volume: np.ndarray, thr: int = 3,
                     adx_thr: float = 25, vol_mult: float = 2.5) -> np.ndarray:
    """C10 written out per row, straight from the SPEC text."""
    out = np.zeros(len(p), dtype=int)
    rows = list(p.itertuples(index=False))
    for i in range(1, len(p)):
        r, q = rows[i], rows[i - 1]
        if adx_thr > 0 and not np.isnan(r.adx) and r.adx < adx_thr:
            continue
        if not r.atr > 0:
            continue
        long_s = (r.rsi < 35) + 2 * (not _gt(q.macd, q.macd_signal) and _gt(r.macd, r.macd_signal)) \
            + _gt(r.bb_lower, close[i]) + (_gt(r.ema_fast, r.ema_mid) and _gt(r.ema_mid, r.ema_slow)) \
            + (r.stoch_k < 20 and _gt(r.stoch_k, r.stoch_d))
        short_s = (r.rsi > 65) + 2 * (not _gt(q.macd_signal, q.macd) and _gt(r.macd_signal, r.macd)) \
            + _gt(close[i], r.bb_upper) + (_gt(r.ema_mid, r.ema_fast) and _gt(r.ema_slow, r.ema_mid)) \
            + (r.stoch_k > 80 and _gt(r.stoch_d, r.stoch_k))
        surge = volume[i] >= r.vol_ma * vol_mult
        long_ok = long_s >= thr and (surge or long_s >= thr + 1)
        short_ok = short_s >= thr and (surge or short_s >= thr + 1)
        if long_ok and (not short_ok or long_s > short_s):
            out[i] = 1
        elif short_ok and (not long_ok or short_s > long_s):
            out[i] = -1
    return out


@pytest.mark.parametrize("symbol", ["BTCUSDT", "XRPUSDT"])
def test_c_score_signals_equal_the_spec_rule_row_by_row(sample_data: Build, symbol: str) -> None:
    s = create("c_score")
    data = sample_data(s, symbol)
    p = s.prepare(data)
    want = _c_score_by_rows(p, data.candles["close"].to_numpy(), data.candles["volume"].to_numpy())
    assert (want != 0).sum() > 10
    np.testing.assert_array_equal(p["signal"].to_numpy(), want)


def test_c_score_levels_are_atr_multiples_and_scores_the_signalled_side(sample_data: Build) -> None:
    s = create("c_score")
    p = s.prepare(sample_data(s, "ETHUSDT"))
    hit = p["signal"] != 0
    assert hit.sum() > 0
    np.testing.assert_allclose(p.loc[hit, "stop"], p.loc[hit, "atr"] * 2.0)
    np.testing.assert_allclose(p.loc[hit, "target"], p.loc[hit, "atr"] * 2.0)
    longs = p["signal"] == 1
    np.testing.assert_array_equal(p.loc[longs, "score"], p.loc[longs, "long_score"])
    assert (p.loc[hit, "adx"] >= 25).all()
    assert p.loc[~hit, "stop"].isna().all()


def test_c_score_volume_rule_is_or_p103(sample_data: Build) -> None:
    """Score exactly at the threshold trades with a surge; threshold + 1 trades without one."""
    s = create("c_score")
    frames = [s.prepare(sample_data(s, sym)) for sym in ("BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT")]
    p = pd.concat(frames, ignore_index=True)
    sig = p["signal"] != 0
    at_threshold = sig & (p["score"] == 3)
    assert at_threshold.sum() > 0
    assert p.loc[at_threshold, "surge"].all()
    above_without_surge = sig & (p["score"] >= 4) & ~p["surge"]
    assert above_without_surge.sum() > 0


def test_c_score_tie_break_prefers_the_higher_score_else_hold() -> None:
    long_s = np.array([3, 4, 3, 5, 2, 4])
    short_s = np.array([3, 3, 4, 5, 2, 0])
    surge = np.array([True, True, True, True, True, False])
    allowed = np.array([True, True, True, True, True, True])
    np.testing.assert_array_equal(choose_direction(long_s, short_s, surge, allowed, 3), [0, 1, -1, 0, 0, 1])
    blocked = np.zeros(6, dtype=bool)
    np.testing.assert_array_equal(choose_direction(long_s, short_s, surge, blocked, 3), np.zeros(6))


def test_c_score_adx_gate_off_when_threshold_is_zero(sample_data: Build) -> None:
    gated = create("c_score")
    free = create("c_score", {"adx_threshold": 0})
    data = sample_data(gated, "BTCUSDT")
    n_gated = int((gated.prepare(data)["signal"] != 0).sum())
    p_free = free.prepare(data)
    assert int((p_free["signal"] != 0).sum()) > n_gated
    assert not p_free["adx_blocked"].any()


def test_c_score_xrp_example_config_changes_brackets(sample_data: Build) -> None:
    cfg = load_symbol_configs(CONFIGS, get("c_score"))["XRPUSDT"]
    xrp = create_for_symbol(get("c_score"), cfg)
    data = sample_data(xrp, "XRPUSDT")
    p = xrp.prepare(data)
    t = int(np.flatnonzero(p["signal"].to_numpy() != 0)[0])
    intent = xrp.decide(p, t, data)
    assert intent is not None
    assert intent.stop is not None
    assert intent.target is not None
    assert intent.stop.mode is LevelMode.DIST
    assert intent.stop.value == pytest.approx(1.5 * p["atr"].iat[t])
    assert intent.target.value == pytest.approx(4.0 * p["atr"].iat[t])
    assert intent.reward_risk == pytest.approx(4.0 / 1.5)
    assert "score" in intent.reason
    assert "ADX" in intent.reason


# ---------------------------------------------------------------- c_mtf_pullback (C58)


def _pullback_scenario(direction: int, trigger_volume: float = 400.0) -> pd.DataFrame:
    n = 1200
    rng = np.random.default_rng(1)
    base = 100 + direction * 0.05 * np.arange(n) + rng.normal(0, 0.02, n)
    last = base[-1]
    close = np.r_[base, last - direction * 0.1, last - direction * 0.2, last + direction * 0.3]
    open_ = np.r_[close[0], close[:-1]]
    volume = np.r_[np.full(n, 100.0), 60.0, 60.0, trigger_volume]
    return candles(close, timeframe="15m", open_=open_, high=np.maximum(open_, close) + 0.01,
                   low=np.minimum(open_, close) - 0.01, volume=volume)


@pytest.mark.parametrize("direction", [1, -1])
def test_mtf_pullback_fires_on_a_volume_backed_pullback_with_the_regime(direction: int) -> None:
    s = create("c_mtf_pullback")
    c = _pullback_scenario(direction)
    data = MarketData("X", Timeframe.parse("15m"), c, {"1h": resample(c, "15m", "1h")})
    p = s.prepare(data)
    assert p["signal"].iat[-1] == direction
    assert (p["signal"] != 0).sum() == 1
    assert p["regime"].iat[-1] == direction
    intent = s.decide(p, len(p) - 1, data)
    assert intent is not None
    assert intent.side is Side.from_sign(direction)
    assert intent.stop is not None
    assert intent.stop.value == pytest.approx(1.5 * p["atr"].iat[-1])
    assert "pullback" in intent.reason
    assert "regime" in intent.reason


def test_mtf_pullback_needs_volume_and_the_matching_regime() -> None:
    s = create("c_mtf_pullback")
    weak = _pullback_scenario(1, trigger_volume=120.0)
    p = s.prepare(MarketData("X", Timeframe.parse("15m"), weak, {"1h": resample(weak, "15m", "1h")}))
    assert (p["signal"] == 0).all()
    up = _pullback_scenario(1)
    bear_1h = resample(_pullback_scenario(-1), "15m", "1h")
    p = s.prepare(MarketData("X", Timeframe.parse("15m"), up, {"1h": bear_1h}))
    assert p["signal"].iat[-1] == 0
    assert p["regime"].iat[-1] == -1


def test_mtf_pullback_without_1h_data_is_a_strategy_error() -> None:
    c = _pullback_scenario(1)
    with pytest.raises(StrategyError, match="needs 1h candles"):
        create("c_mtf_pullback").prepare(MarketData("X", Timeframe.parse("15m"), c))


