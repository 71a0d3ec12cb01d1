"""Cross-timeframe consistency: do stored higher-timeframe bars equal the resampled lower ones?

Binance builds every interval from the same trades, so a 1h bar must equal its twelve 5m bars
aggregated. A difference means one of the two files is wrong (shared/data/SOURCES.md documents
such bars in marketlab 1h) and a strategy mixing both timeframes would see two different
markets. Bars whose lower-timeframe bucket is incomplete (a gap) cannot be compared and are
listed separately, never silently skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from coinpilot.data.gaps import flagged_runs
from coinpilot.data.report import TimeRange, ms_to_times
from coinpilot.data.resample import aggregate
from coinpilot.domain.candles import OPTIONAL, open_ms
from coinpilot.domain.timeframe import Timeframe

PRICE_FIELDS = ("open", "high", "low", "close")
RTOL = 1e-9  # sums of decimal volumes differ from the exchange's total in the last float bits


@dataclass(frozen=True, slots=True)
class FieldDiff:
    """One field of one bar: the stored value and the one rebuilt from the lower timeframe."""
    field: str
    stored: float
    resampled: float

    @property
    def rel(self) -> float:
        """Relative size of the difference, to tell rounding from a different market."""
        scale = max(abs(self.stored), abs(self.resampled))
        return abs(self.stored - self.resampled) / scale if scale else 0.0


@dataclass(frozen=True, slots=True)
class BarMismatch:
    """A higher-timeframe bar and the fields in which it disagrees."""
    open_time: pd.Timestamp
    diffs: tuple[FieldDiff, ...]


@dataclass
class TimeframeComparison:
    """Result of comparing `higher` with `lower` resampled, over the span both cover."""

    lower_label: str
    higher_label: str
    lower_tf: str
    higher_tf: str
    fields: tuple[str, ...]
    compared: int = 0
    mismatches: list[BarMismatch] = field(default_factory=list)
    uncomparable: list[TimeRange] = field(default_factory=list)

    @property
    def agrees(self) -> bool:
        """True when every compared bar matched."""
        return not self.mismatches


def compare_timeframes(
    lower: pd.DataFrame,
    lower_tf: Timeframe | str,
    higher: pd.DataFrame,
    higher_tf: Timeframe | str,
    *,
    fields: tuple[str, ...] | None = None,
    rtol: float = RTOL,
    lower_label: str = "lower",
    higher_label: str = "higher",
) -> TimeframeComparison:
    """Compare clean candle frames; fields default to OHLC, volume and shared optional columns."""
    lo_tf, hi_tf = Timeframe.parse(lower_tf), Timeframe.parse(higher_tf)
    if fields is None:
        extra = [c for c in ("volume", *OPTIONAL) if c in lower.columns and c in higher.columns]
        fields = (*PRICE_FIELDS, *extra)
    result = TimeframeComparison(lower_label, higher_label, lo_tf.name, hi_tf.name, fields)
    built, counts = aggregate(lower, lo_tf, hi_tf)
    if not len(built) or not len(higher):
        return result
    need = hi_tf.ms // lo_tf.ms
    b_t, h_t = open_ms(built), open_ms(higher)
    complete = counts == need
    if not complete.any():
        return result
    # the span the lower series fully covers; partial buckets at its two ends are not gaps
    lo_edge, hi_edge = b_t[complete][0], b_t[complete][-1]
    inside = (h_t >= lo_edge) & (h_t <= hi_edge)
    pos = np.searchsorted(b_t, h_t)
    pos_c = np.minimum(pos, len(b_t) - 1)
    present = (b_t[pos_c] == h_t) & inside
    usable = present & complete[pos_c]
    result.uncomparable = flagged_runs(inside & ~usable, h_t, hi_tf.ms)
    hi_rows, b_rows = np.flatnonzero(usable), pos_c[usable]
    result.compared = int(hi_rows.size)
    if not hi_rows.size:
        return result
    bad_any = np.zeros(hi_rows.size, dtype=bool)
    per_field: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for name in fields:
        stored = higher[name].to_numpy(np.float64, na_value=np.nan)[hi_rows]
        built_v = built[name].to_numpy(np.float64, na_value=np.nan)[b_rows]
        same = np.isclose(stored, built_v, rtol=rtol, atol=0.0, equal_nan=True)
        bad_any |= ~same
        per_field[name] = (~same, stored, built_v)
    times = ms_to_times(h_t[hi_rows[bad_any]])
    for k, j in enumerate(np.flatnonzero(bad_any)):
        diffs = tuple(
            FieldDiff(name, float(stored[j]), float(built_v[j]))
            for name, (bad, stored, built_v) in per_field.items()
            if bad[j]
        )
        result.mismatches.append(BarMismatch(times[k], diffs))
    return result
