"""Each built-in strategy's rule, checked on hand-built candles or against an independent
row-by-row restatement of the SPEC rule over real sample data."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from strategy_test_helpers import CONFIGS, candles

from coinpilot.data.resample import resample
from coinpilot.domain.enums import IntentAction, LevelMode, Side
from coinpilot.domain.errors import ConfigError, StrategyError
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


# ---------------------------------------------------------------- U08–U11


def test_volatility_breakout_by_hand() -> None:
    # prev range 10 → target open + 5
    c = candles([100, 104, 106, 100, 100], open_=[100, 100, 100, 100, 100],
                high=[105, 105, 107, 101, 100], low=[95, 100, 99, 99, 100])
    s = create("u_volatility_breakout")
    data = MarketData("X", Timeframe.parse("5m"), c)
    p = s.prepare(data)
    # bar1: target 100 + 5 = 105 > 104 no; bar2: target 100 + 2.5 = 102.5 <= 106 yes;
    # bar3: target 100 + 4 = 104 > 100 no; bar4: previous range 2 → target 101 > 100 no
    np.testing.assert_array_equal(p["signal"], [0, 0, 1, 0, 0])
    assert p["score"].iat[2] == pytest.approx((106 - 102.5) / 5)
    intent = s.decide(p, 2, data)
    assert intent is not None
    assert intent.time_limit_bars == 1
    assert intent.stop is None
    assert "breakout" in intent.reason


def test_dual_momentum_absolute_only_and_against_context() -> None:
    close = np.r_[np.full(13, 100.0), 101, 102, 103, 99, 98]
    btc = np.r_[np.full(13, 50.0), 50.2, 51.5, 51, 50, 50]
    own = candles(close)
    data = MarketData("ETHUSDT", Timeframe.parse("5m"), own, context={"BTCUSDT": candles(btc)})
    alone = create("u_dual_momentum", {"window": 12}).prepare(data)
    np.testing.assert_array_equal(alone["signal"][12:], [0, 1, 1, 1, 0, 0])
    np.testing.assert_array_equal(alone["exit"][12:], [1, 0, 0, 0, 1, 1])
    rel = create("u_dual_momentum", {"window": 12, "context_symbols": ["BTCUSDT"]}).prepare(data)
    # ETH +1 % vs BTC +0.4 %: buy; +2 % vs +3 %: no; +3 % vs +2 %: buy
    np.testing.assert_array_equal(rel["signal"][12:], [0, 1, 0, 1, 0, 0])


def test_dual_momentum_missing_context_is_an_error_and_missing_bars_block() -> None:
    s = create("u_dual_momentum", {"context_symbols": ["BTCUSDT"]})
    own = candles(np.linspace(100, 120, 30))
    with pytest.raises(StrategyError, match="needs BTCUSDT candles"):
        s.prepare(MarketData("ETHUSDT", Timeframe.parse("5m"), own))
    short_btc = candles(np.full(20, 50.0))  # ends 10 bars early
    p = s.prepare(MarketData("ETHUSDT", Timeframe.parse("5m"), own, context={"BTCUSDT": short_btc}))
    assert p["signal"][12:20].all()
    assert not p["signal"][20:].any()
    assert s.context_symbols == ("BTCUSDT",)
    own_btc = create("u_dual_momentum", {"context_symbols": ["BTCUSDT"]})
    p = own_btc.prepare(MarketData("BTCUSDT", Timeframe.parse("5m"), own))  # itself: skipped
    assert p["signal"][12:].all()


def test_u_rsi_signals_are_crosses_back_through_the_levels(sample_data: Build) -> None:
    s = create("u_rsi")
    data = sample_data(s, "SOLUSDT")
    p = s.prepare(data)
    r = p["rsi"].to_numpy()
    prev = np.r_[np.nan, r[:-1]]
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(p["signal"] == 1, (prev < 30) & (r >= 30))
        np.testing.assert_array_equal(p["exit"] == 1, (prev > 70) & (r <= 70))
    assert (p["signal"] == 1).sum() > 0
    assert (p["exit"] == 1).sum() > 0
    assert (p["signal"] >= 0).all()
    t = int(np.flatnonzero(p["exit"].to_numpy())[0])
    intent = s.decide(p, t, data)
    assert intent is not None
    assert intent.action is IntentAction.EXIT
    assert intent.side is Side.LONG
    assert "below 70" in intent.reason


def test_u_combined_vetoes_buys_while_overbought(sample_data: Build) -> None:
    s = create("u_combined")
    data = sample_data(s, "DOGEUSDT")
    p = s.prepare(data)
    main = p["main_signal"] == 1
    hot = ~(p["confirm_rsi"] <= 70)
    assert (main & hot).sum() > 0
    assert (main & ~hot).sum() > 0
    np.testing.assert_array_equal(p["signal"] == 1, main & ~hot)
    t = int(np.flatnonzero((main & hot).to_numpy())[-1])
    assert "vetoed" in s.reason(p, t)
    t = int(np.flatnonzero(p["signal"].to_numpy())[0])
    intent = s.decide(p, t, data)
    assert intent is not None
    assert intent.time_limit_bars == 1  # inherited from the volatility breakout
    off = create("u_combined", {"rsi_filter": False}).prepare(data)
    np.testing.assert_array_equal(off["signal"], p["main_signal"])


def test_u_combined_long_only_drops_shorts_of_the_main_strategy(sample_data: Build) -> None:
    s = create("u_combined", {"main": "ref_ema_cross"})
    p = s.prepare(sample_data(s, "BTCUSDT"))
    assert (p["main_signal"] == -1).sum() > 0
    assert (p["signal"] >= 0).all()
    both = create("u_combined", {"main": "ref_ema_cross", "long_only": False})
    assert (both.prepare(sample_data(both, "BTCUSDT"))["signal"] == -1).sum() > 0


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"main": "c_score"}, "primary timeframe and PCT levels"),
        ({"main": "u_combined"}, "cannot be u_combined itself"),
        ({"main": "nope"}, "no strategy named 'nope'"),
        ({"main_params": {"timeframe": "15m"}}, "main_params.timeframe"),
        ({"main_params": {"k_value": -1}}, "k_value = -1"),
    ],
)
def test_u_combined_rejects_unusable_main_strategies(params: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        create("u_combined", params)


# ---------------------------------------------------------------- w_atr_rule (W09/W12)


def test_w_atr_rule_agreement_gates_and_intent(sample_data: Build) -> None:
    s = create("w_atr_rule")
    data = sample_data(s, "BNBUSDT")
    p = s.prepare(data)
    above = np.ones(len(p), dtype=bool)
    below = np.ones(len(p), dtype=bool)
    for tf in ("5m", "1h", "4h"):
        x, m = p[f"close_{tf}"].to_numpy(), p[f"sma_{tf}"].to_numpy()
        with np.errstate(invalid="ignore"):
            above &= x - m > TOL * np.maximum(1, np.maximum(abs(x), abs(m)))
            below &= m - x > TOL * np.maximum(1, np.maximum(abs(x), abs(m)))
    with np.errstate(invalid="ignore"):
        ok = (p["rsi"] >= 30) & (p["rsi"] <= 70) & (p["vol_frac"] >= 0.0005) & (p["atr"] > 0)
    np.testing.assert_array_equal(p["signal"] == 1, above & ok)
    np.testing.assert_array_equal(p["signal"] == -1, below & ok)
    assert (p["signal"] == 1).sum() > 0
    assert (p["signal"] == -1).sum() > 0
    t = int(np.flatnonzero(p["signal"].to_numpy() == -1)[0])
    intent = s.decide(p, t, data)
    assert intent is not None
    assert intent.probability == 0.60
    assert intent.reward_risk == pytest.approx(2.0)
    assert intent.stop is not None
    assert intent.stop.value == pytest.approx(p["atr"].iat[t])
    for word in ("RULE_BACKUP SHORT", "5m", "1h", "4h", "RSI14"):
        assert word in intent.reason


def test_w_atr_rule_reads_only_closed_higher_candles(sample_data: Build) -> None:
    """The 1h close seen at 5m bar 10:55-11:00 is the 10:00 candle's; at 10:50-10:55 it is 09:00's."""
    s = create("w_atr_rule")
    data = sample_data(s, "BTCUSDT")
    p = s.prepare(data)
    h1 = data.informative["1h"].set_index("open_time")["close"]
    times = data.candles["open_time"]
    i = int(np.flatnonzero(times == pd.Timestamp("2025-02-03 10:55", tz="UTC"))[0])
    assert p["close_1h"].iat[i] == h1[pd.Timestamp("2025-02-03 10:00", tz="UTC")]
    assert p["close_1h"].iat[i - 1] == h1[pd.Timestamp("2025-02-03 09:00", tz="UTC")]
    assert p["close_1h"].iat[i] == data.candles["close"].iat[i]
