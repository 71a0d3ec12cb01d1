"""What validation found in one series: plain data the CLI renders and tests assert on.

A report is a list of issues, each with a stable `code`, a severity and the affected times.
Severity says what the data layer did about it:

    FATAL    the series is unusable as given; importing raises DataError with the message
    FIXED    normalised on import (sorted, de-duplicated, open candle dropped) and reported
    WARNING  kept as is but worth a look (gaps are reported, never filled)
    INFO     a known, harmless property of the data (e.g. flat zero-volume maintenance bars)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pandas as pd

from coinpilot.domain.candles import SeriesKey
from coinpilot.domain.errors import DataError

MAX_EXAMPLES = 10


class Severity(StrEnum):
    """What the data layer did about an issue (see the module docstring)."""
    FATAL = "fatal"
    FIXED = "fixed"
    WARNING = "warning"
    INFO = "info"


class Kind(StrEnum):
    """What a series holds; decides its columns and which checks apply."""

    CANDLES = "candles"
    MARK = "mark"  # mark-price candles: no traded volume
    FUNDING = "funding"
    OPEN_INTEREST = "open_interest"


@dataclass(frozen=True, slots=True)
class TimeRange:
    """Consecutive grid times from `start` to `end`, both included, `bars` of them."""

    start: pd.Timestamp
    end: pd.Timestamp
    bars: int

    def __str__(self) -> str:
        if self.bars == 1:
            return f"{_fmt(self.start)} (1 bar)"
        return f"{_fmt(self.start)} → {_fmt(self.end)} ({self.bars} bars)"


@dataclass(frozen=True, slots=True)
class Issue:
    """One kind of problem in a series: how many rows, the first few times, or time ranges."""

    code: str
    severity: Severity
    message: str
    count: int = 0
    times: tuple[pd.Timestamp, ...] = ()
    ranges: tuple[TimeRange, ...] = ()


@dataclass
class SeriesReport:
    """Validation result for one series (one file, or one stored key)."""

    source: str
    kind: Kind
    key: SeriesKey | None = None
    timeframe: str | None = None
    rows: int = 0
    first: pd.Timestamp | None = None
    last: pd.Timestamp | None = None
    issues: list[Issue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def fatal(self) -> list[Issue]:
        """Issues that make the series unusable."""
        return [i for i in self.issues if i.severity is Severity.FATAL]

    @property
    def ok(self) -> bool:
        """True when nothing is fatal: the series may be stored and used."""
        return not self.fatal

    def get(self, code: str) -> Issue | None:
        """The issue with that code, or None: tests and the CLI look issues up by code."""
        return next((i for i in self.issues if i.code == code), None)

    def add(
        self,
        code: str,
        severity: Severity,
        message: str,
        *,
        times: Sequence[pd.Timestamp] | pd.DatetimeIndex | np.ndarray = (),
        count: int | None = None,
        ranges: Sequence[TimeRange] = (),
    ) -> None:
        """Record an issue; only the first few times are kept, the count says how many."""
        shown = tuple(pd.Timestamp(t) for t in times[:MAX_EXAMPLES])
        n = count if count is not None else (len(times) if len(times) else len(ranges))
        self.issues.append(Issue(code, severity, message, n, shown, tuple(ranges)))

    def raise_if_fatal(self) -> None:
        """Refuse unusable data with one message naming the source and the first bad rows."""
        if self.fatal:
            lines = "\n".join(f"  - {i.message}" for i in self.fatal)
            raise DataError(f"{self.source}: unusable data:\n{lines}")


def ms_to_times(values: np.ndarray) -> pd.DatetimeIndex:
    """int64 epoch milliseconds to UTC timestamps with millisecond resolution."""
    return pd.DatetimeIndex(np.asarray(values, dtype=np.int64).astype("datetime64[ms]")).tz_localize("UTC")


def utc_series(values: np.ndarray) -> pd.Series:
    """int64 epoch milliseconds as a datetime64[ms, UTC] column (the series time dtype)."""
    return pd.Series(ms_to_times(values))


def _fmt(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%d %H:%M") if ts.second == 0 else str(ts)
