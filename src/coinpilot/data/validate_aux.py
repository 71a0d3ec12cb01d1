"""Validate the series that are not candles: funding events and open-interest snapshots.

Funding times as recorded by Binance carry a few milliseconds of settlement jitter
(e.g. 16:00:00.011, see shared/data/SOURCES.md). The rate belongs to the funding instant on the
hour, and joins against candle times need that instant, so times within a minute of an hour are
rounded to it (reported as fixed); anything further off is kept and reported.

Refused (FATAL): a funding rate that is NaN, infinite or beyond ±limits.MAX_ABS_FUNDING_RATE;
open interest that is infinite, negative, or missing in both units.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coinpilot.data.gaps import missing_ranges, ranges_from_ms
from coinpilot.data.limits import MAX_ABS_FUNDING_RATE
from coinpilot.data.report import Kind, SeriesReport, Severity, ms_to_times, utc_series
from coinpilot.data.validate import (
    as_of_ms,
    drop_after,
    flag_fatal,
    report_gaps,
    sort_and_dedupe,
    summarise,
    time_ms,
)
from coinpilot.domain.candles import SeriesKey
from coinpilot.domain.timeframe import Timeframe

HOUR_MS = 3_600_000
JITTER_MS = 60_000


def validate_funding(
    frame: pd.DataFrame,
    *,
    source: str,
    key: SeriesKey | None = None,
    as_of: pd.Timestamp | str | None = None,
) -> tuple[pd.DataFrame, SeriesReport]:
    """Clean funding series (funding_time on the hour, rate) and what was found."""
    report = SeriesReport(source=source, kind=Kind.FUNDING, key=key, timeframe="funding")
    t = time_ms(frame, "funding_time", source)
    rate = frame["rate"].to_numpy(dtype=np.float64, na_value=np.nan)
    flag_fatal(report, "nan_rate", np.isnan(rate), t, "NaN funding rate")
    flag_fatal(
        report, "funding_rate_out_of_range", np.isinf(rate) | (np.abs(rate) > MAX_ABS_FUNDING_RATE), t,
        f"a funding rate that is infinite or beyond ±{MAX_ABS_FUNDING_RATE:g} per interval "
        "(data.limits.MAX_ABS_FUNDING_RATE; real caps are a few %)",
    )

    offset = (t + HOUR_MS // 2) % HOUR_MS - HOUR_MS // 2  # signed distance to the nearest hour
    jitter = (offset != 0) & (np.abs(offset) <= JITTER_MS)
    if jitter.any():
        worst = int(np.abs(offset[jitter]).max())
        report.add(
            "funding_time_jitter",
            Severity.FIXED,
            f"{int(jitter.sum())} funding time(s) carried settlement jitter (up to {worst} ms); "
            "normalised to the funding instant on the hour",
            count=int(jitter.sum()),
        )
        t = np.where(jitter, t - offset, t)
    far = np.abs(offset) > JITTER_MS
    if far.any():
        report.add("funding_off_hour", Severity.WARNING, "funding time(s) far from an hour; kept as is", times=ms_to_times(t[far]))

    clean = pd.DataFrame({"funding_time": utc_series(t), "rate": rate})
    clean, t = sort_and_dedupe(clean, t, report)
    clean, t = drop_after(clean, t, as_of_ms(as_of), report, f"funding event(s) after {as_of}")
    if len(t) > 2:
        steps = np.diff(t)
        values, counts = np.unique(steps, return_counts=True)
        modal = int(values[np.argmax(counts)])
        shown = ", ".join(f"{pd.Timedelta(milliseconds=int(v))} x{int(n)}" for v, n in zip(values, counts, strict=True))
        report.notes.append(f"funding intervals: {shown}")
        gaps = ranges_from_ms(missing_ranges(t, modal))
        if gaps:
            n = sum(g.bars for g in gaps)
            report.add("gap", Severity.WARNING, f"{n} missing funding event(s) at the usual {pd.Timedelta(milliseconds=modal)} interval", ranges=gaps, count=n)
    summarise(report, clean, t)
    return clean, report


def validate_open_interest(
    frame: pd.DataFrame,
    period: Timeframe | str | None,
    *,
    source: str,
    key: SeriesKey | None = None,
    as_of: pd.Timestamp | str | None = None,
) -> tuple[pd.DataFrame, SeriesReport]:
    """Clean open-interest snapshots (time, open_interest, open_interest_value)."""
    tf = Timeframe.parse(period) if period is not None else None
    report = SeriesReport(source=source, kind=Kind.OPEN_INTEREST, key=key, timeframe=tf.name if tf else None)
    t = time_ms(frame, "time", source)
    base = frame["open_interest"].to_numpy(dtype=np.float64, na_value=np.nan)
    value = frame["open_interest_value"].to_numpy(dtype=np.float64, na_value=np.nan)
    flag_fatal(report, "nan_open_interest", np.isnan(base) & np.isnan(value), t, "no open-interest value")
    flag_fatal(report, "negative_open_interest", (base < 0) | (value < 0), t, "negative open interest")
    flag_fatal(report, "infinite_open_interest", np.isinf(base) | np.isinf(value), t, "infinite open interest")
    clean = pd.DataFrame({"time": utc_series(t), "open_interest": base, "open_interest_value": value})
    clean, t = sort_and_dedupe(clean, t, report)
    clean, t = drop_after(clean, t, as_of_ms(as_of), report, f"snapshot(s) after {as_of}")
    if tf is not None:
        report_gaps(report, t, tf, "snapshot(s)")
    summarise(report, clean, t)
    return clean, report
