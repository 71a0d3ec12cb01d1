"""Funding and open-interest validation: jitter normalised, gaps reported, bad values refused."""

from __future__ import annotations

import numpy as np
import pandas as pd

from coinpilot.data.report import Severity
from coinpilot.data.validate_aux import validate_funding, validate_open_interest


def times(*texts: str) -> pd.Series:
    return pd.Series(pd.to_datetime(list(texts), utc=True, format="ISO8601")).astype("datetime64[ms, UTC]")


def funding(*texts: str, rates: list[float] | None = None) -> pd.DataFrame:
    return pd.DataFrame({"funding_time": times(*texts), "rate": rates or [0.0001] * len(texts)})


def test_millisecond_jitter_is_normalised_to_the_hour() -> None:
    frame = funding("2025-01-01 00:00:00.015", "2025-01-01 08:00:00", "2025-01-01 15:59:59.990")
    clean, report = validate_funding(frame, source="f.csv")
    assert clean["funding_time"].tolist() == list(times("2025-01-01 00:00", "2025-01-01 08:00", "2025-01-01 16:00"))
    issue = report.get("funding_time_jitter")
    assert issue is not None
    assert issue.severity is Severity.FIXED
    assert issue.count == 2
    assert "15 ms" in issue.message


def test_times_far_from_the_hour_are_kept_and_reported() -> None:
    frame = funding("2025-01-01 00:00", "2025-01-01 08:30")
    clean, report = validate_funding(frame, source="f.csv")
    assert clean["funding_time"].iloc[1] == pd.Timestamp("2025-01-01 08:30", tz="UTC")
    issue = report.get("funding_off_hour")
    assert issue is not None
    assert issue.severity is Severity.WARNING


def test_jitter_duplicates_collapse_after_rounding_keeping_last() -> None:
    frame = funding("2025-01-01 00:00:00.003", "2025-01-01 00:00:00", rates=[0.0001, 0.0002])
    clean, report = validate_funding(frame, source="f.csv")
    assert clean["rate"].tolist() == [0.0002]
    assert report.get("duplicate_conflicting") is not None


def test_nan_rate_is_fatal() -> None:
    frame = funding("2025-01-01 00:00", "2025-01-01 08:00", rates=[0.0001, np.nan])
    _, report = validate_funding(frame, source="f.csv")
    issue = report.get("nan_rate")
    assert issue is not None
    assert not report.ok
    assert "1 (2025-01-01 08:00)" in issue.message


def test_missing_funding_events_are_gaps_at_the_usual_interval() -> None:
    frame = funding(*(f"2025-01-0{d} {h:02d}:00" for d in (1, 2, 3) for h in (0, 8, 16) if (d, h) != (2, 8)))
    _, report = validate_funding(frame, source="f.csv")
    issue = report.get("gap")
    assert issue is not None
    assert issue.count == 1
    assert issue.ranges[0].start == pd.Timestamp("2025-01-02 08:00", tz="UTC")
    assert any("08:00:00 x" in note for note in report.notes)


def test_funding_after_as_of_is_dropped() -> None:
    frame = funding("2025-01-01 00:00", "2025-01-01 08:00")
    clean, report = validate_funding(frame, source="f.csv", as_of="2025-01-01 07:00")
    assert len(clean) == 1
    assert report.get("open_candle") is not None


def oi(values: list[float], base: list[float] | None = None, *texts: str) -> pd.DataFrame:
    t = texts or tuple(f"2025-01-01 {4 * i:02d}:00" for i in range(len(values)))
    return pd.DataFrame({"time": times(*t), "open_interest": base or [np.nan] * len(values), "open_interest_value": values})


def test_open_interest_gaps_and_bad_values() -> None:
    frame = oi([1.0, 2.0, 3.0], None, "2025-01-01 00:00", "2025-01-01 04:00", "2025-01-01 12:00")
    clean, report = validate_open_interest(frame, "4h", source="oi.csv")
    assert len(clean) == 3
    assert report.ok
    gap = report.get("gap")
    assert gap is not None
    assert gap.ranges[0].start == pd.Timestamp("2025-01-01 08:00", tz="UTC")
    _, bad = validate_open_interest(oi([1.0, -2.0]), "4h", source="oi.csv")
    assert bad.get("negative_open_interest") is not None
    assert not bad.ok
    _, empty = validate_open_interest(oi([1.0, np.nan]), "4h", source="oi.csv")
    assert empty.get("nan_open_interest") is not None
