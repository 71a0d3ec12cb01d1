"""Array coercion shared by the indicator modules.

TA-Lib only accepts contiguous float64 arrays; research code hands us pandas Series, lists or
int arrays. Converting in one place keeps every indicator's contract the same: float64 numpy in,
float64 numpy out, one output value per input row.
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray: TypeAlias = npt.NDArray[np.float64]
ArrayLike: TypeAlias = FloatArray | pd.Series | npt.ArrayLike


def as_f64(values: ArrayLike) -> FloatArray:
    """A contiguous float64 copy-or-view of `values` (what TA-Lib requires)."""
    if isinstance(values, pd.Series):
        values = values.to_numpy(dtype=np.float64, na_value=np.nan)
    arr = np.ascontiguousarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"indicators take one-dimensional series, got shape {arr.shape}")
    return arr
