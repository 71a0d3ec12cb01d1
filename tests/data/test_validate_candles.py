"""Candle validation: each problem is found, fixed or refused exactly as documented."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from coinpilot.data.report import Kind, SeriesReport, Severity
from coinpilot.data.validate import validate_candles
from coinpilot.domain.errors import DataError

Make = Callable[..., pd.DataFrame]


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def run(frame: pd.DataFrame, tf: str = "5m", **kw: Any) -> tuple[pd.DataFrame, SeriesReport]:
    return validate_candles(frame, tf, source="test.csv", **kw)


def test_clean_frame_passes_untouched(make_candles: Make) -> None:
    frame = make_candles(50, extra=True)
    clean, report = run(frame)
    assert report.issues == []
    assert report.ok
    pd.testing.assert_frame_equal(clean, frame)
    assert (report.rows, report.first, report.last) == (50, ts("2025-01-01 00:00"), ts("2025-01-01 04:05"))


def test_unsorted_rows_are_sorted_and_reported(make_candles: Make) -> None:
    frame = make_candles(10)
    shuffled = frame.iloc[[0, 1, 5, 2, 3, 4, 6, 7, 9, 8]].reset_index(drop=True)
    clean, report = run(shuffled)
    pd.testing.assert_frame_equal(clean, frame)
    issue = report.get("unsorted")
    assert issue is not None
    assert issue.severity is Severity.FIXED


def test_identical_duplicates_are_dropped(make_candles: Make) -> None:
    frame = make_candles(6)
    doubled = pd.concat([frame, frame.iloc[[2, 4]]]).reset_index(drop=True)
    clean, report = run(doubled)
    pd.testing.assert_frame_equal(clean, frame)
    issue = report.get("duplicate_identical")
    assert issue is not None
    assert issue.count == 2
    assert report.get("duplicate_conflicting") is None


def test_conflicting_duplicates_keep_the_last_row_in_file_order(make_candles: Make) -> None:
    # P41: the later write is the newer data
    frame = make_candles(6)
    newer = frame.iloc[[3]].copy()
    newer["close"] = newer["high"]
    newer["volume"] = 99.0
    clean, report = run(pd.concat([frame, newer]).reset_index(drop=True))
    assert len(clean) == 6
    assert clean.loc[3, "volume"] == 99.0
    assert clean.loc[3, "close"] == newer["close"].iloc[0]
    issue = report.get("duplicate_conflicting")
    assert issue is not None
    assert issue.times == (ts("2025-01-01 00:15"),)


@pytest.mark.parametrize(
    ("column", "value", "code"),
    [("close", np.nan, "nan_price"), ("low", 0.0, "non_positive_price"), ("open", -1.0, "non_positive_price"),
     ("volume", -5.0, "negative_volume"), ("volume", np.nan, "nan_volume")],
)
def test_unusable_values_are_fatal_and_name_the_first_rows(make_candles: Make, column: str, value: float, code: str) -> None:
    frame = make_candles(8)
    frame.loc[[4, 6], column] = value
    _, report = run(frame)
    issue = report.get(code)
    assert issue is not None
    assert issue.severity is Severity.FATAL
    assert issue.count == 2
    assert "first rows (0-based): 4 (2025-01-01 00:20), 6 (2025-01-01 00:30)" in issue.message
    with pytest.raises(DataError, match=r"test.csv: unusable data"):
        report.raise_if_fatal()


@pytest.mark.parametrize(
    ("high", "low", "why"),
    [(99.0, 98.0, "high below close"), (101.0, 100.6, "low above open"), (100.0, 102.0, "low above high")],
)
def test_ohlc_violations_are_fatal(make_candles: Make, high: float, low: float, why: str) -> None:
    frame = make_candles(5)
    frame.loc[2, ["open", "high", "low", "close"]] = [100.5, high, low, 100.0]
    _, report = run(frame)
    issue = report.get("ohlc_violation")
    assert issue is not None, why
    assert issue.severity is Severity.FATAL
    assert issue.times == (ts("2025-01-01 00:10"),)


def test_off_grid_open_times_are_fatal(make_candles: Make) -> None:
    frame = make_candles(5)
    frame.loc[4, "open_time"] = ts("2025-01-01 00:22")
    _, report = run(frame)
    issue = report.get("off_grid")
    assert issue is not None
    assert issue.severity is Severity.FATAL


def test_naive_times_are_refused(make_candles: Make) -> None:
    frame = make_candles(3)
    frame["open_time"] = frame["open_time"].dt.tz_localize(None)
    with pytest.raises(DataError, match="timezone-aware UTC"):
        run(frame)


def test_gaps_are_reported_as_ranges_and_never_filled(make_candles: Make) -> None:
    frame = make_candles(30).drop(index=[5, 6, 7, 20]).reset_index(drop=True)
    clean, report = run(frame)
    assert len(clean) == 26  # nothing invented
    issue = report.get("gap")
    assert issue is not None
    assert issue.severity is Severity.WARNING
    assert issue.count == 4
    assert [(r.start, r.end, r.bars) for r in issue.ranges] == [
        (ts("2025-01-01 00:25"), ts("2025-01-01 00:35"), 3),
        (ts("2025-01-01 01:40"), ts("2025-01-01 01:40"), 1),
    ]


def test_flat_zero_volume_runs_are_grouped_as_maintenance(make_candles: Make) -> None:
    frame = make_candles(20)
    for i in (3, 4, 5, 12):
        frame.loc[i, ["open", "high", "low", "close", "volume"]] = [50.0, 50.0, 50.0, 50.0, 0.0]
    _, report = run(frame)
    issue = report.get("zero_volume_flat")
    assert issue is not None
    assert issue.severity is Severity.INFO
    assert issue.count == 4
    assert [(r.start, r.bars) for r in issue.ranges] == [(ts("2025-01-01 00:15"), 3), (ts("2025-01-01 01:00"), 1)]
    assert report.ok


def test_zero_volume_with_moving_prices_is_a_warning(make_candles: Make) -> None:
    frame = make_candles(6)
    frame.loc[2, "volume"] = 0.0
    _, report = run(frame)
    assert report.get("zero_volume_flat") is None
    issue = report.get("zero_volume_moving")
    assert issue is not None
    assert issue.times == (ts("2025-01-01 00:10"),)


def test_mark_candles_skip_volume_checks(make_candles: Make) -> None:
    frame = make_candles(6)
    frame["volume"] = np.nan
    frame.loc[:, ["open", "high", "low", "close"]] = 10.0
    _, report = run(frame, kind=Kind.MARK)
    assert report.issues == []


def test_candles_still_open_at_as_of_are_dropped(make_candles: Make) -> None:
    frame = make_candles(12)  # last opens 00:55, closes 01:00
    clean, report = run(frame, as_of="2025-01-01 00:57")
    assert clean["open_time"].iloc[-1] == ts("2025-01-01 00:50")
    issue = report.get("open_candle")
    assert issue is not None
    assert issue.times == (ts("2025-01-01 00:55"),)
    # a candle that closes exactly at as_of is closed
    clean, report = run(frame, as_of="2025-01-01 01:00")
    assert len(clean) == 12
    assert report.get("open_candle") is None


def test_rest_snapshot_last_row_flag_drops_the_last_candle_after_sorting(make_candles: Make) -> None:
    frame = make_candles(5)
    clean, report = run(frame.iloc[[4, 0, 1, 2, 3]].reset_index(drop=True), last_row_open=True)
    assert clean["open_time"].iloc[-1] == ts("2025-01-01 00:15")
    assert report.get("open_candle") is not None


def test_close_time_contradicting_the_timeframe_is_fatal(make_candles: Make) -> None:
    frame = make_candles(4)
    t = frame["open_time"].to_numpy(dtype="datetime64[ms]").astype(np.int64)
    _, good = run(frame, close_time_ms=t + 300_000 - 1)
    assert good.ok
    _, bad = run(frame, close_time_ms=t + 60_000 - 1)
    assert bad.get("close_time_mismatch") is not None
    assert not bad.ok


def test_unknown_columns_are_dropped_with_a_note(make_candles: Make) -> None:
    frame = make_candles(4).assign(signal=1)
    clean, report = run(frame)
    assert "signal" not in clean.columns
    assert any("signal" in n for n in report.notes)


def test_weekly_candles_open_on_monday(make_candles: Make) -> None:
    frame = make_candles(3, start="2025-01-06", freq="7D")  # 2025-01-06 is a Monday
    _, report = run(frame, "1w")
    assert report.ok
    assert report.get("gap") is None
