"""TA-Lib wrappers: the documented semantics strategies rely on, checked against hand formulas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from talib import abstract

from coinpilot import indicators as ind
from coinpilot.indicators.warmup import WARMUP


@pytest.fixture
def walk() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    close = 100 + np.cumsum(rng.normal(0, 1, 400))
    spread = rng.uniform(0.1, 1.5, 400)
    high = close + spread
    low = close - spread[::-1]
    volume = rng.uniform(10, 100, 400)
    return {"close": close, "high": high, "low": low, "volume": volume}


def _ema_by_hand(x: np.ndarray, n: int, seed_at: int) -> np.ndarray:
    out = np.full(len(x), np.nan)
    out[seed_at] = x[seed_at - n + 1 : seed_at + 1].mean()
    k = 2 / (n + 1)
    for i in range(seed_at + 1, len(x)):
        out[i] = (x[i] - out[i - 1]) * k + out[i - 1]
    return out


def test_ema_is_sma_seeded_at_period_minus_one_then_recursive(walk: dict[str, np.ndarray]) -> None:
    close = walk["close"]
    got = ind.ema(close, 9)
    assert np.isnan(got[:8]).all()
    assert got[8] == pytest.approx(close[:9].mean(), rel=1e-12)
    np.testing.assert_allclose(got, _ema_by_hand(close, 9, 8), rtol=1e-12)


def test_ema_accepts_series_and_lists_and_returns_float64() -> None:
    values = [1, 2, 3, 4, 5]
    from_list = ind.ema(values, 3)
    from_series = ind.ema(pd.Series(values), 3)
    assert from_list.dtype == np.float64
    np.testing.assert_array_equal(from_list, from_series)
    np.testing.assert_allclose(from_list[2:], [2.0, 3.0, 4.0])


def test_two_dimensional_input_is_rejected() -> None:
    with pytest.raises(ValueError, match="one-dimensional"):
        ind.sma(np.ones((3, 3)), 2)


def test_sma_matches_rolling_mean(walk: dict[str, np.ndarray]) -> None:
    want = pd.Series(walk["close"]).rolling(20).mean().to_numpy()
    np.testing.assert_allclose(ind.sma(walk["close"], 20), want, rtol=1e-12, equal_nan=True)


def test_rsi_is_wilder_smoothed_with_simple_average_seed(walk: dict[str, np.ndarray]) -> None:
    close, n = walk["close"], 14
    diff = np.diff(close)
    gain, loss = np.clip(diff, 0, None), np.clip(-diff, 0, None)
    want = np.full(len(close), np.nan)
    avg_g, avg_l = gain[:n].mean(), loss[:n].mean()
    want[n] = 100 * avg_g / (avg_g + avg_l)
    for i in range(n + 1, len(close)):
        avg_g = (avg_g * (n - 1) + gain[i - 1]) / n
        avg_l = (avg_l * (n - 1) + loss[i - 1]) / n
        want[i] = 100 * avg_g / (avg_g + avg_l)
    np.testing.assert_allclose(ind.rsi(close, n), want, rtol=1e-10, equal_nan=True)


def test_macd_seeds_both_emas_at_the_slow_start(walk: dict[str, np.ndarray]) -> None:
    """TA-Lib's fast line is not EMA12 of the whole series: it is seeded at row slow−1."""
    close = walk["close"]
    m = ind.macd(close, 12, 26, 9)
    fast = _ema_by_hand(close, 12, 25)
    slow = _ema_by_hand(close, 26, 25)
    line = fast - slow
    np.testing.assert_allclose(m.macd[33:], line[33:], rtol=1e-10)
    signal = _ema_by_hand(np.where(np.isnan(line), 0, line), 9, 33)
    np.testing.assert_allclose(m.signal[33:], signal[33:], rtol=1e-10)
    np.testing.assert_allclose(m.hist, m.macd - m.signal, rtol=1e-12, equal_nan=True)
    assert np.isnan(m.macd[:33]).all()
    # and it differs from a plain EMA12 − EMA26 near the start
    plain = ind.ema(close, 12) - ind.ema(close, 26)
    assert abs(plain[33] - m.macd[33]) > 1e-6


def test_bollinger_uses_population_std(walk: dict[str, np.ndarray]) -> None:
    close = walk["close"]
    bb = ind.bollinger(close, 20, 2.0)
    roll = pd.Series(close).rolling(20)
    mid, std = roll.mean().to_numpy(), roll.std(ddof=0).to_numpy()
    np.testing.assert_allclose(bb.middle, mid, rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(bb.upper, mid + 2 * std, rtol=1e-9, equal_nan=True)
    np.testing.assert_allclose(bb.lower, mid - 2 * std, rtol=1e-9, equal_nan=True)


def test_atr_is_wilder_average_of_true_range(walk: dict[str, np.ndarray]) -> None:
    h, lo, c, n = walk["high"], walk["low"], walk["close"], 14
    prev = np.r_[np.nan, c[:-1]]
    tr = np.nanmax(np.c_[h - lo, np.abs(h - prev), np.abs(lo - prev)], axis=1)
    want = np.full(len(c), np.nan)
    want[n] = tr[1 : n + 1].mean()
    for i in range(n + 1, len(c)):
        want[i] = (want[i - 1] * (n - 1) + tr[i]) / n
    np.testing.assert_allclose(ind.atr(h, lo, c, n), want, rtol=1e-10, equal_nan=True)


def test_stoch_rsi_k_and_d_follow_the_c10_mapping(walk: dict[str, np.ndarray]) -> None:
    """RSI(14) → 14-bar stochastic → SMA3 = K → SMA3 of K = D."""
    close = walk["close"]
    r = pd.Series(ind.rsi(close, 14))
    lo, hi = r.rolling(14).min(), r.rolling(14).max()
    raw = 100 * (r - lo) / (hi - lo)
    k = raw.rolling(3).mean().to_numpy()
    d = pd.Series(k).rolling(3).mean().to_numpy()
    got = ind.stoch_rsi(close, 14, 14, 3, 3)
    np.testing.assert_allclose(got.k, k, atol=1e-9, equal_nan=True)
    np.testing.assert_allclose(got.d, d, atol=1e-9, equal_nan=True)
    assert np.isnan(got.k[:29]).all()
    assert not np.isnan(got.k[29])
    assert np.isnan(got.d[:31]).all()
    assert not np.isnan(got.d[31])


def test_stoch_rsi_raw_is_zero_when_rsi_is_flat_and_k_d_tie_up_to_float_noise() -> None:
    rng = np.random.default_rng(0)
    close = np.r_[100 + np.cumsum(rng.normal(0, 1, 100)), np.full(40, 100.0)]
    got = ind.stoch_rsi(close)
    flat = slice(125, 140)
    assert np.all(np.abs(got.k[flat]) < 1e-9)
    assert np.all(np.abs(got.k[flat] - got.d[flat]) < 1e-9)
    # the reason for compare.gt: no K > D "signal" out of rounding noise
    assert not ind.gt(got.k[flat], got.d[flat]).any()


def test_obv_adds_and_subtracts_volume_by_close_direction() -> None:
    close = np.array([10.0, 11.0, 10.5, 10.5, 12.0])
    volume = np.array([5.0, 3.0, 2.0, 7.0, 1.0])
    np.testing.assert_array_equal(ind.obv(close, volume), [5.0, 8.0, 6.0, 6.0, 7.0])


def test_adx_is_bounded_and_warms_up_for_two_periods_minus_one(walk: dict[str, np.ndarray]) -> None:
    got = ind.adx(walk["high"], walk["low"], walk["close"], 14)
    assert np.isnan(got[:27]).all()
    assert np.all((got[27:] >= 0) & (got[27:] <= 100))


def test_rolling_extremes_and_roc_ratio() -> None:
    x = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0])
    np.testing.assert_array_equal(ind.rolling_max(x, 3)[2:], [4.0, 4.0, 5.0, 9.0])
    np.testing.assert_array_equal(ind.rolling_min(x, 3)[2:], [1.0, 1.0, 1.0, 1.0])
    np.testing.assert_allclose(ind.roc_ratio(x, 2)[2:], [4 / 3 - 1, 0.0, 5 / 4 - 1, 9 / 1 - 1])


TALIB_NAMES = {
    "sma": ("SMA", {"timeperiod": 20}, {"period": 20}),
    "ema": ("EMA", {"timeperiod": 50}, {"period": 50}),
    "rsi": ("RSI", {"timeperiod": 14}, {"period": 14}),
    "macd": ("MACD", {"fastperiod": 12, "slowperiod": 26, "signalperiod": 9}, {"fast": 12, "slow": 26, "signal": 9}),
    "bollinger": ("BBANDS", {"timeperiod": 20}, {"period": 20}),
    "atr": ("ATR", {"timeperiod": 14}, {"period": 14}),
    "adx": ("ADX", {"timeperiod": 14}, {"period": 14}),
    "plus_di": ("PLUS_DI", {"timeperiod": 14}, {"period": 14}),
    "stoch_rsi_k": ("STOCHRSI", {"timeperiod": 14, "fastk_period": 14, "fastd_period": 3},
                    {"rsi_period": 14, "stoch_period": 14, "k_smooth": 3}),
    "obv": ("OBV", {}, {}),
    "roc_ratio": ("ROCP", {"timeperiod": 12}, {"period": 12}),
}


@pytest.mark.parametrize("name", sorted(TALIB_NAMES))
def test_warmup_table_equals_talib_lookback(name: str) -> None:
    func, talib_kw, our_kw = TALIB_NAMES[name]
    assert ind.warmup(name, **our_kw) == abstract.Function(func, **talib_kw).lookback


def test_warmup_table_equals_leading_nan_count_of_every_output(walk: dict[str, np.ndarray]) -> None:
    c, h, lo, v = walk["close"], walk["high"], walk["low"], walk["volume"]
    outputs = {
        ("sma", (("period", 20),)): ind.sma(c, 20),
        ("ema", (("period", 21),)): ind.ema(c, 21),
        ("rsi", (("period", 14),)): ind.rsi(c, 14),
        ("macd", ()): ind.macd(c).signal,
        ("bollinger", (("period", 20),)): ind.bollinger(c, 20).lower,
        ("atr", (("period", 14),)): ind.atr(h, lo, c, 14),
        ("adx", (("period", 14),)): ind.adx(h, lo, c, 14),
        ("minus_di", (("period", 14),)): ind.minus_di(h, lo, c, 14),
        ("stoch_rsi_k", ()): ind.stoch_rsi(c).k,
        ("stoch_rsi_d", ()): ind.stoch_rsi(c).d,
        ("obv", ()): ind.obv(c, v),
        ("rolling_max", (("period", 5),)): ind.rolling_max(c, 5),
        ("roc_ratio", (("period", 12),)): ind.roc_ratio(c, 12),
        ("volume_ratio", (("period", 20),)): ind.volume_ratio(v, 20),
        ("rolling_zscore", (("window", 30),)): ind.rolling_zscore(c, 30),
        ("rolling_zscore", (("window", 30), ("min_periods", 10))): ind.rolling_zscore(c, 30, 10),
        ("volatility_frac", (("window", 20),)): ind.volatility_frac(c, 20),
        ("log_returns", ()): ind.log_returns(c),
    }
    covered = {name for name, _ in outputs}
    assert covered >= set(WARMUP) - {"plus_di", "rolling_min"}
    for (name, kw), values in outputs.items():
        n = ind.warmup(name, **dict(kw))
        assert np.isnan(values[:n]).all(), name
        assert not np.isnan(values[n]), name


def test_unknown_warmup_name_lists_the_known_ones() -> None:
    with pytest.raises(KeyError, match="known: "):
        ind.warmup("supertrend")


def test_in_primary_bars_and_settle_bars() -> None:
    assert ind.in_primary_bars(200, "1h", "15m") == 800
    assert ind.in_primary_bars(5, "4h", "1h") == 20
    assert ind.in_primary_bars(1, "1h", "7m") == 9
    assert ind.settle_bars("ema", period=21) == 100


def test_short_and_empty_inputs_give_all_nan_not_errors() -> None:
    assert np.isnan(ind.ema([1.0, 2.0], 9)).all()
    assert ind.rsi(np.array([]), 14).shape == (0,)
    assert np.isnan(ind.stoch_rsi(np.arange(20.0)).d).all()
