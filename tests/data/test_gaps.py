"""Gap detection (F03): missing grid times as (start, end) ranges, with an optional window."""

from __future__ import annotations

import numpy as np
import pandas as pd

from coinpilot.data.gaps import find_gaps, flagged_runs


def frame(*texts: str) -> pd.DataFrame:
    t = pd.Series(pd.to_datetime(list(texts), utc=True)).astype("datetime64[ms, UTC]")
    return pd.DataFrame({"open_time": t, "open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0, "volume": 1.0})


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def test_no_gaps_in_a_full_series() -> None:
    assert find_gaps(frame("2025-01-01 00:00", "2025-01-01 01:00", "2025-01-01 02:00"), "1h") == []


def test_inner_gaps_are_merged_into_ranges() -> None:
    got = find_gaps(frame("2025-01-01 00:00", "2025-01-01 03:00", "2025-01-01 05:00"), "1h")
    assert [(g.start, g.end, g.bars) for g in got] == [
        (ts("2025-01-01 01:00"), ts("2025-01-01 02:00"), 2),
        (ts("2025-01-01 04:00"), ts("2025-01-01 04:00"), 1),
    ]


def test_window_adds_leading_and_trailing_gaps_end_exclusive() -> None:
    got = find_gaps(frame("2025-01-01 02:00", "2025-01-01 03:00"), "1h", start="2025-01-01 00:30", end="2025-01-01 06:00")
    assert [(g.start, g.end, g.bars) for g in got] == [
        (ts("2025-01-01 01:00"), ts("2025-01-01 01:00"), 1),  # 00:30 is off grid: first slot 01:00
        (ts("2025-01-01 04:00"), ts("2025-01-01 05:00"), 2),
    ]


def test_empty_series_over_a_window_is_one_gap() -> None:
    got = find_gaps(frame().iloc[0:0], "1h", start="2025-01-01", end="2025-01-02")
    assert [(g.start, g.end, g.bars) for g in got] == [(ts("2025-01-01 00:00"), ts("2025-01-01 23:00"), 24)]


def test_flagged_runs_group_consecutive_bars_only() -> None:
    t = np.arange(10, dtype=np.int64) * 60_000
    mask = np.array([0, 1, 1, 0, 1, 0, 0, 1, 1, 1], dtype=bool)
    runs = flagged_runs(mask, t, 60_000)
    assert [r.bars for r in runs] == [2, 1, 3]
    assert str(runs[0]) == "1970-01-01 00:01 → 1970-01-01 00:02 (2 bars)"
