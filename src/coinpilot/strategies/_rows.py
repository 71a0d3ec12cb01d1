"""Fast scalar access to one row of a prepared frame, for `reason` and `decide`.

`prepared.iloc[t]` builds a whole Series (~50 µs); state-like strategies give a reason on a
large share of bars, so rows are read through base.column's cached numpy arrays instead.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from coinpilot.strategies.base import _arrays_of, _column_in, column


class RowView:
    """Read-only view of row position t: row['adx'] is column 'adx' at t."""

    __slots__ = ("arrays", "frame", "t")

    def __init__(self, frame: pd.DataFrame, t: int) -> None:
        self.frame = frame
        self.t = t
        self.arrays = _arrays_of(frame)  # the frame's column cache, looked up once per row

    def __getitem__(self, name: str) -> Any:
        return _column_in(self.arrays, self.frame, name)[self.t]


def num(frame: pd.DataFrame, name: str, t: int) -> float:
    """frame[name] at row position t as a float."""
    return float(column(frame, name)[t])


def sign(frame: pd.DataFrame, name: str, t: int) -> int:
    """frame[name] at row position t as an int (signal / exit / flag columns)."""
    return int(column(frame, name)[t])
