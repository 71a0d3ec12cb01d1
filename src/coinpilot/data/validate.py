"""Validate a candle series and normalise what can be fixed without inventing data.

Fixed on the way (and reported): unsorted rows are sorted; exact duplicates dropped;
conflicting duplicates keep the last row in file order (SPEC P41: the later write is the newer
data); candles still open at `as_of`, or the last row of a REST snapshot, are dropped (SPEC W02:
a strategy never sees an open candle). Reported and kept: gaps (never filled), flat zero-volume
runs (exchange maintenance). Fatal: prices that are NaN, infinite, <= 0 or above
limits.MAX_PRICE; volume that is NaN, infinite or negative; optional columns that are infinite
or negative; OHLC violations; times off the timeframe grid; bars whose most common spacing is
not the timeframe (a 1h file imported as 5m); a close_time column that contradicts the timeframe.
See data.limits for the bounds and why they are where they are.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from coinpilot.data.gaps import flagged_runs, missing_ranges, ranges_from_ms
from coinpilot.data.limits import MAX_PRICE
from coinpilot.data.report import Kind, SeriesReport, Severity, ms_to_times, utc_series
from coinpilot.domain.candles import OHLCV, OPTIONAL, TIME, SeriesKey
from coinpilot.domain.errors import DataError
from coinpilot.domain.timeframe import Timeframe

PRICES = ("open", "high", "low", "close")
SHOWN = 5


def as_of_ms(as_of: pd.Timestamp | str | None) -> int | None:
    """`as_of` as epoch ms UTC (naive means UTC here: it is a moment the caller chose)."""
    if as_of is None:
        return None
    ts = pd.Timestamp(as_of)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return int(ts.value // 1_000_000)


def time_ms(frame: pd.DataFrame, col: str, source: str) -> np.ndarray:
    """The time column as int64 ms; naive times are refused (P41: never guess a timezone)."""
    if col not in frame.columns:
        raise DataError(f"{source}: missing column {col!r}; found {list(frame.columns)}")
    dtype = frame[col].dtype
    if not isinstance(dtype, pd.DatetimeTZDtype):
        raise DataError(
            f"{source}: column {col!r} must be timezone-aware UTC datetimes, got {dtype}; "
            "localise it explicitly (e.g. .dt.tz_localize('UTC')) before validating"
        )
    return frame[col].dt.tz_convert("UTC").to_numpy(dtype="datetime64[ms]").astype(np.int64)


def first_rows(mask: np.ndarray, t: np.ndarray) -> str:
    """'row (time)' for the first flagged rows, in file order, so a human can find them."""
    idx = np.flatnonzero(mask)[:SHOWN]
    times = ms_to_times(t[idx])
    # isoformat, not strftime: strftime fails on years past 9999, which broken files can hold
    return ", ".join(f"{int(i)} ({ts.isoformat()[:16].replace('T', ' ')})" for i, ts in zip(idx, times, strict=True))


def flag_fatal(report: SeriesReport, code: str, flags: npt.ArrayLike, t: np.ndarray, what: str) -> None:
    """Record rows that make the series unusable, naming the first ones by row and time."""
    mask = np.asarray(flags, dtype=bool)
    if mask.any():
        report.add(
            code,
            Severity.FATAL,
            f"{int(mask.sum())} row(s) with {what}; first rows (0-based): {first_rows(mask, t)}",
            times=ms_to_times(t[mask][:SHOWN]),
            count=int(mask.sum()),
        )


def sort_and_dedupe(
    frame: pd.DataFrame, t: np.ndarray, report: SeriesReport
) -> tuple[pd.DataFrame, np.ndarray]:
    """Stable sort, then keep the last of each duplicated time (file order decides 'last')."""
    backwards = int((np.diff(t) < 0).sum())
    if backwards:
        order = np.argsort(t, kind="stable")
        frame, t = frame.iloc[order].reset_index(drop=True), t[order]
        report.add("unsorted", Severity.FIXED, f"rows were out of time order at {backwards} place(s); sorted")
    repeat = np.flatnonzero(t[1:] == t[:-1]) + 1  # row i repeats row i-1
    if repeat.size:
        values = frame.drop(columns=frame.columns[0]).to_numpy(dtype=np.float64, na_value=np.nan)
        a, b = values[repeat], values[repeat - 1]
        same = ((a == b) | (np.isnan(a) & np.isnan(b))).all(axis=1)
        if same.any():
            report.add(
                "duplicate_identical",
                Severity.FIXED,
                f"{int(same.sum())} exact duplicate row(s) dropped",
                times=np.unique(ms_to_times(t[repeat[same]])),
                count=int(same.sum()),
            )
        if (~same).any():
            clash = np.unique(t[repeat[~same]])
            report.add(
                "duplicate_conflicting",
                Severity.WARNING,
                f"{clash.size} time(s) with conflicting rows; kept the last row in file order",
                times=ms_to_times(clash),
                count=int(clash.size),
            )
        keep = np.append(t[1:] != t[:-1], True)
        frame, t = frame.loc[keep].reset_index(drop=True), t[keep]
    return frame, t


def drop_after(
    frame: pd.DataFrame, t: np.ndarray, limit_ms: int | None, report: SeriesReport, what: str
) -> tuple[pd.DataFrame, np.ndarray]:
    """Drop rows whose end (close time, or event time) is after `limit_ms`: not known yet."""
    if limit_ms is None:
        return frame, t
    late = t > limit_ms
    if late.any():
        report.add("open_candle", Severity.FIXED, f"{int(late.sum())} {what}; dropped", times=ms_to_times(t[late]))
        frame, t = frame.loc[~late].reset_index(drop=True), t[~late]
    return frame, t


def validate_candles(
    frame: pd.DataFrame,
    timeframe: Timeframe | str,
    *,
    source: str,
    kind: Kind = Kind.CANDLES,
    key: SeriesKey | None = None,
    as_of: pd.Timestamp | str | None = None,
    last_row_open: bool = False,
    close_time_ms: np.ndarray | None = None,
) -> tuple[pd.DataFrame, SeriesReport]:
    """Return the clean candle frame and what was found; call `report.raise_if_fatal()` to refuse.

    `last_row_open` marks a REST snapshot whose last row was the candle still open when it was
    taken; `close_time_ms` (when the file has a close_time column) cross-checks the timeframe.
    """
    tf = Timeframe.parse(timeframe)
    report = SeriesReport(source=source, kind=kind, key=key, timeframe=tf.name)
    t = time_ms(frame, TIME, source)
    missing = [c for c in OHLCV if c not in frame.columns]
    if missing:
        raise DataError(f"{source}: missing candle column(s) {missing}; found {list(frame.columns)}")
    cols = [TIME, *OHLCV, *(c for c in OPTIONAL if c in frame.columns)]
    extra = [c for c in frame.columns if c not in cols]
    if extra:
        report.notes.append(f"ignored columns: {extra}")
    data = {c: frame[c].to_numpy(dtype=np.float64, na_value=np.nan) for c in cols[1:]}
    px = np.column_stack([data[c] for c in PRICES]) if len(frame) else np.empty((0, 4))

    flag_fatal(report, "nan_price", np.isnan(px).any(axis=1), t, "NaN open/high/low/close")
    flag_fatal(report, "non_positive_price", (px <= 0).any(axis=1), t, "a price <= 0")
    flag_fatal(report, "infinite_price", np.isposinf(px).any(axis=1), t, "an infinite price")
    too_high = np.isfinite(px) & (px > MAX_PRICE)
    flag_fatal(report, "price_out_of_range", too_high.any(axis=1), t, f"a price above {MAX_PRICE:g} (data.limits.MAX_PRICE)")
    volume = data["volume"]
    flag_fatal(report, "infinite_volume", np.isinf(volume), t, "infinite volume")
    if kind is Kind.CANDLES:
        flag_fatal(report, "nan_volume", np.isnan(volume), t, "NaN volume")
        flag_fatal(report, "negative_volume", volume < 0, t, "negative volume")
    for col in (c for c in OPTIONAL if c in data):
        values = data[col]
        flag_fatal(report, f"bad_{col}", np.isinf(values) | (values < 0), t, f"infinite or negative {col}")
    off_grid = (t - tf.offset_ms) % tf.ms != 0
    flag_fatal(report, "off_grid", off_grid, t, f"an open time off the {tf.name} grid")
    if close_time_ms is not None:
        # the bar's last instant to the file's time unit: open + tf - 1 ms (ms, us), - 1 s (s)
        span = close_time_ms - t
        wrong = (span < tf.ms - 1000) | (span > tf.ms)
        flag_fatal(report, "close_time_mismatch", wrong, t, f"close_time != open_time + {tf.name} - 1ms (wrong timeframe?)")
    o, h, lo, c = px.T if len(px) else (np.empty(0),) * 4
    bad_ohlc = (lo > np.minimum(o, c)) | (h < np.maximum(o, c)) | (lo > h)
    flag_fatal(report, "ohlc_violation", bad_ohlc, t, "low > min(open, close), high < max(open, close) or low > high")

    clean = pd.DataFrame({TIME: utc_series(t), **data})
    clean, t = sort_and_dedupe(clean, t, report)
    if last_row_open and len(clean):
        report.add(
            "open_candle",
            Severity.FIXED,
            "last row of a REST klines snapshot is the candle that was still open when the "
            "snapshot was taken; dropped",
            times=ms_to_times(t[-1:]),
        )
        clean, t = clean.iloc[:-1].reset_index(drop=True), t[:-1]
    limit = as_of_ms(as_of)
    clean, t = drop_after(clean, t, None if limit is None else limit - tf.ms, report, f"candle(s) still open at {as_of}")

    if kind is Kind.CANDLES and len(clean):
        v = clean["volume"].to_numpy()
        p = clean[list(PRICES)].to_numpy()
        zero = v == 0
        flat = zero & (p.max(axis=1) == p.min(axis=1))
        runs = flagged_runs(flat, t, tf.ms)
        if runs:
            report.add(
                "zero_volume_flat",
                Severity.INFO,
                f"{int(flat.sum())} flat zero-volume bar(s) in {len(runs)} run(s): exchange "
                "maintenance or no trading; kept as is",
                ranges=runs,
                count=int(flat.sum()),
            )
        moving = zero & ~flat
        if moving.any():
            report.add("zero_volume_moving", Severity.WARNING, "bars with zero volume but moving prices", times=ms_to_times(t[moving]))
    spaced_right = check_spacing(report, t, tf)
    if spaced_right and not off_grid.any():
        report_gaps(report, t, tf, "bar(s)")
    summarise(report, clean, t)
    return clean, report


def check_spacing(report: SeriesReport, t: np.ndarray, tf: Timeframe) -> bool:
    """Refuse bars whose most common spacing is not the timeframe; True when it is.

    A 1h file imported as 5m sits on the 5m grid, so only the spacing gives it away: its gaps
    would otherwise be reported as eleven missing bars after every bar. Gaps alone never trip
    this (they are rarer than regular steps); it needs two steps (three bars) to judge.
    """
    if len(t) < 3:
        return True
    diffs = np.diff(t)
    if 2 * np.count_nonzero(diffs == tf.ms) > diffs.size:  # the usual case, without a sort
        return True
    steps, counts = np.unique(diffs, return_counts=True)
    modal = int(steps[np.argmax(counts)])
    if modal == tf.ms:
        return True
    seen = int(counts.max())
    report.add(
        "spacing_mismatch",
        Severity.FATAL,
        f"bars are {_span(modal)} apart in {seen} of {len(t) - 1} steps, not {tf.name}: the data "
        f"is not {tf.name} candles; give the timeframe it holds (--timeframe, or the file name)",
        count=seen,
    )
    return False


def _span(ms: int) -> str:
    for unit, size in (("w", 604_800_000), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms} ms"


def report_gaps(report: SeriesReport, t: np.ndarray, tf: Timeframe, what: str) -> None:
    """List missing grid points as ranges; they are reported, never filled."""
    gaps = ranges_from_ms(missing_ranges(t, tf.ms))
    if gaps:
        n = sum(g.bars for g in gaps)
        report.add("gap", Severity.WARNING, f"{n} missing {what} in {len(gaps)} gap(s); not filled", ranges=gaps, count=n)


def summarise(report: SeriesReport, frame: pd.DataFrame, t: np.ndarray) -> None:
    """Fill rows/first/last from the clean series."""
    report.rows = len(frame)
    if len(t):
        first, last = ms_to_times(t[[0, -1]])
        report.first, report.last = first, last
