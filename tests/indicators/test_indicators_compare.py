"""Tie-tolerant comparisons (C10 implementation note)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coinpilot import indicators as ind


def test_values_within_tolerance_are_ties() -> None:
    a = np.array([20.000000000001, 20.1, 19.9, np.nan])
    b = np.array([20.0, 20.0, 20.0, 20.0])
    np.testing.assert_array_equal(ind.gt(a, b), [False, True, False, False])
    np.testing.assert_array_equal(ind.lt(a, b), [False, False, True, False])
    np.testing.assert_array_equal(ind.ge(a, b), [True, True, False, False])
    np.testing.assert_array_equal(ind.le(a, b), [True, False, True, False])


def test_tolerance_is_relative_for_large_values() -> None:
    # BTC-sized EMAs one ulp-ish apart are a tie; 1e-3 apart at 1e5 is not (tolerance 1e-4)
    assert not ind.gt([100000.00000001], [100000.0])[0]
    assert ind.gt([100000.001], [100000.0])[0]


def test_zero_tolerance_is_exact() -> None:
    assert ind.gt([1.0 + 1e-15], [1.0], tol=0.0)[0]
    assert ind.le([1.0], [1.0], tol=0.0)[0]


def test_crosses_need_the_previous_bar_on_the_other_side() -> None:
    a = np.array([1.0, 2.0, 3.0, 2.0, 1.0, 2.0])
    b = np.full(6, 2.0)
    np.testing.assert_array_equal(ind.crosses_above(a, b), [False, False, True, False, False, False])
    np.testing.assert_array_equal(ind.crosses_below(a, b), [False, False, False, False, True, False])


def test_shift_only_looks_back() -> None:
    np.testing.assert_array_equal(ind.shift([1.0, 2.0, 3.0], 1)[1:], [1.0, 2.0])
    assert np.isnan(ind.shift([1.0, 2.0], 1)[0])
    assert np.isnan(ind.shift([1.0], 3)).all()
    with pytest.raises(ValueError, match="future"):
        ind.shift([1.0, 2.0], -1)


def _crosses_by_definition(a: np.ndarray, b: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray]:
    """The crosses written out from gt/lt/le/ge and shift, as their docstrings state them."""
    from coinpilot.indicators.compare import ge, gt, le, lt, shift

    return gt(a, b, tol) & le(shift(a), shift(b), tol), lt(a, b, tol) & ge(shift(a), shift(b), tol)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.floats(-1e6, 1e6), st.just(float("nan"))),
                          st.one_of(st.floats(-1e6, 1e6), st.just(float("nan")))), min_size=0, max_size=40),
       st.sampled_from([0.0, 1e-9, 1e-3]))
def test_one_pass_crosses_equal_the_definition(pairs: list[tuple[float, float]], tol: float) -> None:
    from coinpilot.indicators.compare import crosses

    a = np.array([p[0] for p in pairs], dtype=np.float64)
    b = np.array([p[1] for p in pairs], dtype=np.float64)
    b[::3] = a[::3]  # exact ties
    b[1::5] = a[1::5] * (1 + 1e-12)  # ties within the tolerance
    up, down = crosses(a, b, tol)
    want_up, want_down = _crosses_by_definition(a, b, tol)
    assert np.array_equal(up, want_up)
    assert np.array_equal(down, want_down)
