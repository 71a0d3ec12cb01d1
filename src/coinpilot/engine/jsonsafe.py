"""JSON that every reader accepts, from values numpy, pandas and the engine produce.

`json.dumps` rejects numpy.bool_ (P70) and writes inf as the bare token `Infinity`, which
strict parsers (browsers, jq) refuse. Here inf becomes the *string* "Infinity" (C46's
spelling), NaN becomes null, numpy scalars become Python ones, Decimals exact strings.
`from_jsonable` turns those strings back into floats when reading metrics.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coinpilot.domain.timeframe import Timeframe

_SPECIAL = {"Infinity": math.inf, "-Infinity": -math.inf, "NaN": math.nan}


def _float(value: float) -> float | str | None:
    if math.isnan(value):
        return None
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def iso_utc(times: pd.DatetimeIndex | pd.Series | Any) -> np.ndarray:
    """UTC instants as ISO 8601 strings, exactly what Timestamp.isoformat() writes for each
    ('2025-01-01T00:05:00+00:00', fractions only when present), built in one numpy pass:
    mapping isoformat over a 123k-bar equity curve took ~0.45 s of a 4 s backtest command."""
    index = pd.DatetimeIndex(times)
    if index.tz is None:
        raise ValueError("iso_utc needs timezone-aware times")
    naive = index.tz_convert("UTC").tz_localize(None)
    ns = naive.as_unit("ns").asi8
    if ns.size and (ns % 1_000_000_000).any():  # fractional seconds: isoformat's own layout
        return np.array([t.isoformat() for t in index.tz_convert("UTC")], dtype=object)
    text = np.datetime_as_string(naive.to_numpy(dtype="datetime64[s]"), unit="s")
    return np.char.add(text.astype(str), "+00:00").astype(object)


def to_jsonable(value: Any) -> Any:
    """A structure `json.dumps(..., allow_nan=False)` accepts; raises TypeError on the unknown."""
    if value is None or (isinstance(value, str | bool | int) and not isinstance(value, Enum)):
        return value
    if isinstance(value, Enum):
        return to_jsonable(value.value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return _float(float(value))
    if isinstance(value, Decimal):
        return str(value) if value.is_finite() else _float(float(value))
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, pd.Timedelta | dt.timedelta):
        return str(pd.Timedelta(value))
    if isinstance(value, Timeframe):
        return value.name
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset | np.ndarray):
        return [to_jsonable(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_jsonable(dataclasses.asdict(value))
    if hasattr(value, "model_dump"):  # pydantic models (run configs)
        return to_jsonable(value.model_dump(mode="json"))
    raise TypeError(f"cannot write {type(value).__name__} value {value!r} to JSON")


def from_jsonable(value: Any) -> Any:
    """Inverse of the float encoding: "Infinity"/"-Infinity"/"NaN" strings become floats."""
    if isinstance(value, str):
        return _SPECIAL.get(value, value)
    if isinstance(value, dict):
        return {k: from_jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_jsonable(v) for v in value]
    return value
