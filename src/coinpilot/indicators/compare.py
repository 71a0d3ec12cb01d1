"""Tie-tolerant comparisons of indicator series (C10 implementation note).

Two indicators can be mathematically equal (StochRSI K and D with RSI pinned at its window
extreme, two EMAs over a flat stretch) while their float values differ by ~1e-12 depending on
the order of operations; a bare `a > b` then decides a signal by rounding noise. Here a and b
count as equal when |a − b| <= tol · max(1, |a|, |b|): an absolute 1e-9 for values below 1
(oscillators, DOGE-sized prices), relative above (BTC-sized prices). NaN compares False.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from coinpilot.indicators._arrays import ArrayLike, as_f64

TIE_TOL = 1e-9

BoolArray = npt.NDArray[np.bool_]


def _scale(a: np.ndarray, b: np.ndarray, tol: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return tol * np.maximum(1.0, np.maximum(np.abs(a), np.abs(b)))


def gt(a: ArrayLike, b: ArrayLike, tol: float = TIE_TOL) -> BoolArray:
    """a > b beyond the tie tolerance."""
    x, y = np.broadcast_arrays(as_f64(a), as_f64(b))
    with np.errstate(invalid="ignore"):
        return np.asarray((x - y) > _scale(x, y, tol))


def lt(a: ArrayLike, b: ArrayLike, tol: float = TIE_TOL) -> BoolArray:
    """a < b beyond the tie tolerance."""
    return gt(b, a, tol)


def ge(a: ArrayLike, b: ArrayLike, tol: float = TIE_TOL) -> BoolArray:
    """a >= b, where a tie within tolerance counts as equal (NaN gives False)."""
    x, y = np.broadcast_arrays(as_f64(a), as_f64(b))
    with np.errstate(invalid="ignore"):
        return np.asarray((y - x) <= _scale(x, y, tol))


def le(a: ArrayLike, b: ArrayLike, tol: float = TIE_TOL) -> BoolArray:
    """a <= b, where a tie within tolerance counts as equal (NaN gives False)."""
    return ge(b, a, tol)


def shift(values: ArrayLike, n: int = 1) -> np.ndarray:
    """values moved n rows later (row t gets row t−n); the first n rows become NaN."""
    arr = as_f64(values)
    out = np.full(arr.shape, np.nan)
    if n < 0:
        raise ValueError("shift only looks back: n must be >= 0 (a negative shift reads the future)")
    if n == 0:
        return arr.copy()
    if len(arr) > n:
        out[n:] = arr[:-n]
    return out


def crosses(a: ArrayLike, b: ArrayLike, tol: float = TIE_TOL) -> tuple[BoolArray, BoolArray]:
    """(crosses_above(a, b), crosses_below(a, b)) from one scaled difference.

    The four comparisons the two crosses need (a > b and a < b now, a <= b and a >= b one row
    earlier) are the same difference against the same tolerance, so they are computed once
    and shifted, not four times: bit for bit the functions below, in a quarter of the work
    (strategies call this on every prepare, and sweeps prepare often)."""
    x, y = as_f64(a), as_f64(b)
    x, y = np.broadcast_arrays(x, y)
    with np.errstate(invalid="ignore"):
        d = x - y
        s = _scale(x, y, tol)
        above, below = d > s, -d > s  # gt(x, y), lt(x, y)
        not_above, not_below = d <= s, -d <= s  # le(x, y), ge(x, y); NaN gives False
    up = np.zeros(above.shape, dtype=np.bool_)
    down = np.zeros(below.shape, dtype=np.bool_)
    up[1:] = above[1:] & not_above[:-1]
    down[1:] = below[1:] & not_below[:-1]
    return up, down


def crosses_above(a: ArrayLike, b: ArrayLike, tol: float = TIE_TOL) -> BoolArray:
    """Row t where a[t−1] <= b[t−1] and a[t] > b[t] (both with the tie tolerance)."""
    return crosses(a, b, tol)[0]


def crosses_below(a: ArrayLike, b: ArrayLike, tol: float = TIE_TOL) -> BoolArray:
    """Row t where a[t−1] >= b[t−1] and a[t] < b[t] (both with the tie tolerance)."""
    return crosses(a, b, tol)[1]
