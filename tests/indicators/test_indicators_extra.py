"""Own indicators (what TA-Lib lacks), each against a hand-computed reference."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from coinpilot import indicators as ind


def test_safe_div_gives_zero_for_zero_denominator_and_keeps_nan() -> None:
    got = ind.safe_div([1.0, 2.0, 3.0, np.nan, 4.0], [2.0, 0.0, -3.0, 1.0, np.nan])
    np.testing.assert_array_equal(got[:3], [0.5, 0.0, -1.0])
    assert np.isnan(got[3])
    assert np.isnan(got[4])


def test_safe_div_never_inflates_a_flat_denominator_p44() -> None:
    """P44: r1 / (btc_r1 + 1e-8) gave 1e6-sized ratios when BTC was flat; ours gives 0."""
    r1 = np.array([0.002, -0.001, 0.003])
    btc_r1 = np.array([0.0, 0.0, 0.001])
    got = ind.safe_div(r1, btc_r1)
    np.testing.assert_allclose(got, [0.0, 0.0, 3.0])
    assert np.abs(got).max() < 10


def test_volume_ratio_is_volume_over_its_sma() -> None:
    vol = np.array([1.0, 2.0, 3.0, 4.0, 0.0, 0.0, 0.0, 5.0])
    got = ind.volume_ratio(vol, 3)
    assert np.isnan(got[:2]).all()
    np.testing.assert_allclose(got[2:4], [3 / 2, 4 / 3])
    assert got[4] == pytest.approx(0 / (7 / 3))
    assert got[6] == 0.0  # MA of (0, 0, 0) is 0: safe division, not inf/nan
    assert got[7] == pytest.approx(5 / (5 / 3))


def test_bb_width_and_percent_b_by_hand() -> None:
    upper, middle, lower = np.array([12.0, 10.0]), np.array([10.0, 10.0]), np.array([8.0, 10.0])
    np.testing.assert_allclose(ind.bb_width(upper, middle, lower), [0.4, 0.0])
    np.testing.assert_allclose(ind.percent_b([11.0, 10.0], upper, lower), [0.75, 0.0])
    assert ind.percent_b([8.0], [12.0], [8.0])[0] == 0.0
    assert ind.percent_b([14.0], [12.0], [8.0])[0] == pytest.approx(1.5)


def _zscore_by_hand(x: np.ndarray, window: int, min_periods: int) -> np.ndarray:
    out = np.full(len(x), np.nan)
    for i in range(len(x)):
        w = x[max(0, i - window + 1) : i + 1]
        w = w[~np.isnan(w)]
        if len(w) < min_periods:
            continue
        std = w.std(ddof=1) if len(w) > 1 else float("nan")
        if std == 0:
            out[i] = 0.0
        elif not np.isnan(std):
            out[i] = (x[i] - w.mean()) / std
    return out


def test_rolling_zscore_matches_hand_computation_with_min_periods() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(5, 2, 60)
    np.testing.assert_allclose(ind.rolling_zscore(x, 20, 5), _zscore_by_hand(x, 20, 5), rtol=1e-9, equal_nan=True)
    full = ind.rolling_zscore(x, 20)
    assert np.isnan(full[:19]).all()
    assert not np.isnan(full[19])
    np.testing.assert_allclose(full[19:], _zscore_by_hand(x, 20, 20)[19:], rtol=1e-9)


def test_rolling_zscore_is_zero_where_the_window_is_constant() -> None:
    x = np.r_[np.arange(10.0), np.full(12, 7.5), [9.0]]
    got = ind.rolling_zscore(x, 5)
    np.testing.assert_array_equal(got[14:22], np.zeros(8))
    assert np.isfinite(got).sum() == len(x) - 4
    assert got[-1] > 0


def test_log_returns_and_volatility_fraction_by_hand() -> None:
    close = np.array([100.0, 101.0, 99.0, 102.0, 102.0, 103.5])
    rets = ind.log_returns(close)
    assert np.isnan(rets[0])
    np.testing.assert_allclose(rets[1:], [math.log(101 / 100), math.log(99 / 101), math.log(102 / 99), 0.0,
                                          math.log(103.5 / 102)])
    vol = ind.volatility_frac(close, 3)
    assert np.isnan(vol[:3]).all()
    for i in range(3, len(close)):
        assert vol[i] == pytest.approx(np.std(rets[i - 2 : i + 1], ddof=1), rel=1e-12)


def test_volatility_fraction_is_scale_free() -> None:
    rng = np.random.default_rng(5)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.001, 200)))
    np.testing.assert_allclose(ind.volatility_frac(close), ind.volatility_frac(close * 1000), rtol=1e-9, equal_nan=True)


def test_true_range_fraction() -> None:
    np.testing.assert_allclose(ind.true_range_frac([2.0, 1.0], [100.0, 0.0]), [0.02, 0.0])


def test_rolling_zscore_value_at_t_ignores_later_rows() -> None:
    x = pd.Series(np.random.default_rng(9).normal(size=100)).to_numpy()
    full = ind.rolling_zscore(x, 30, 10)
    part = ind.rolling_zscore(x[:50], 30, 10)
    np.testing.assert_array_equal(full[:50], part)
