"""Parquet candle store: one file per (venue, market, symbol, timeframe).

Layout under the store root:
    {venue}/{market}/{SYMBOL}/{timeframe}.parquet   candles (domain.candles contract)
    {venue}/{market}/{SYMBOL}/mark-{timeframe}.parquet   mark-price candles
    {venue}/{market}/{SYMBOL}/funding.parquet   columns funding_time (datetime64[ms, UTC]), rate
    {venue}/{market}/{SYMBOL}/oi-{period}.parquet   columns time (datetime64[ms, UTC]),
        open_interest (base units, NaN when the source lacks it), open_interest_value

Writes go through `upsert`, which validates first: the store only ever holds sorted, unique,
closed candles (an open candle written once would never be corrected, SPEC F01).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from coinpilot.data.merge import MergeStats, merge_series
from coinpilot.data.report import Kind, SeriesReport, TimeRange
from coinpilot.data.validate import validate_candles
from coinpilot.data.validate_aux import validate_funding, validate_open_interest
from coinpilot.domain.candles import SeriesKey
from coinpilot.domain.errors import DataNotFoundError
from coinpilot.domain.timeframe import Timeframe

FUNDING = "funding"


def store_name(kind: Kind, timeframe: Timeframe | None) -> str:
    """The `timeframe` part of a SeriesKey: '5m', 'mark-1h', 'funding', 'oi-4h'."""
    if kind is Kind.FUNDING:
        return FUNDING
    if timeframe is None:
        raise ValueError(f"a {kind.value} series needs a timeframe")
    prefix = {Kind.MARK: "mark-", Kind.OPEN_INTEREST: "oi-"}.get(kind, "")
    return f"{prefix}{timeframe.name}"


def parse_store_name(name: str) -> tuple[Kind, Timeframe | None]:
    """Inverse of `store_name`: what a key's `timeframe` part says the series holds."""
    if name == FUNDING:
        return Kind.FUNDING, None
    for prefix, kind in (("mark-", Kind.MARK), ("oi-", Kind.OPEN_INTEREST)):
        if name.startswith(prefix):
            return kind, Timeframe.parse(name.removeprefix(prefix))
    return Kind.CANDLES, Timeframe.parse(name)


def time_column(kind: Kind) -> str:
    """The column that orders a series of this kind."""
    return {Kind.FUNDING: "funding_time", Kind.OPEN_INTEREST: "time"}.get(kind, "open_time")


def validate_for(
    key: SeriesKey, frame: pd.DataFrame, *, source: str, as_of: pd.Timestamp | str | None = None
) -> tuple[pd.DataFrame, SeriesReport]:
    """Validate `frame` with the checks its key's kind calls for."""
    kind, tf = parse_store_name(key.timeframe)
    if kind is Kind.FUNDING:
        return validate_funding(frame, source=source, key=key, as_of=as_of)
    if kind is Kind.OPEN_INTEREST:
        return validate_open_interest(frame, tf, source=source, key=key, as_of=as_of)
    assert tf is not None
    return validate_candles(frame, tf, source=source, kind=kind, key=key, as_of=as_of)


@dataclass
class UpsertResult:
    """What `upsert` did: merge counts, the validation report, and whether it wrote."""
    key: SeriesKey
    path: Path
    stats: MergeStats
    report: SeriesReport
    written: bool


@dataclass
class SeriesSummary:
    """Rows, span and gaps of one stored series, for `coinpilot data info`."""
    key: SeriesKey
    rows: int
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    gaps: list[TimeRange] = field(default_factory=list)


class CandleStore:
    """Reads and writes stored series. The root is usually `Settings.data_dir`."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, key: SeriesKey) -> Path:
        """Where the series lives under the store root (see the layout above)."""
        return self.root / key.venue / key.market / key.symbol.upper() / f"{key.timeframe}.parquet"

    def keys(self) -> list[SeriesKey]:
        """Every stored series, found from the layout (no index file to go stale)."""
        found: list[SeriesKey] = []
        for file in sorted(self.root.glob("*/*/*/*.parquet")):
            venue, market, symbol = file.parts[-4:-1]
            found.append(SeriesKey(venue, market, symbol, file.stem))
        return found

    def load(
        self,
        key: SeriesKey,
        start: pd.Timestamp | str | None = None,
        end: pd.Timestamp | str | None = None,
    ) -> pd.DataFrame:
        """Rows with start <= time < end (open time for candles, funding time for funding)."""
        file = self.path(key)
        if not file.exists():
            raise DataNotFoundError(
                f"no stored data for {key} (looked for {file}); import it with `coinpilot data import`"
            )
        frame = pd.read_parquet(file)
        time_col = time_column(parse_store_name(key.timeframe)[0])
        if start is not None:
            frame = frame.loc[frame[time_col] >= _utc(start)]
        if end is not None:
            frame = frame.loc[frame[time_col] < _utc(end)]
        return frame.reset_index(drop=True)

    def save(self, key: SeriesKey, frame: pd.DataFrame) -> Path:
        """Write a whole series atomically; callers normally use `upsert`, which validates first."""
        file = self.path(key)
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_suffix(".parquet.tmp")
        frame.to_parquet(tmp, index=False, compression="zstd")
        tmp.replace(file)  # atomic: a crash never leaves a half-written series
        return file

    def upsert(
        self, key: SeriesKey, frame: pd.DataFrame, *, as_of: pd.Timestamp | str | None = None
    ) -> UpsertResult:
        """Validate `frame` and merge it into the stored series (see data.merge for the rules).

        Raises DataError on unusable rows. Candles still open at `as_of` (default: now) are
        dropped, never stored. Nothing is written when the merge changes nothing.
        """
        when = pd.Timestamp.now(tz="UTC") if as_of is None else as_of
        clean, report = validate_for(key, frame, source=f"upsert into {key}", as_of=when)
        report.raise_if_fatal()
        file = self.path(key)
        stored = self.load(key) if file.exists() else None
        kind, _ = parse_store_name(key.timeframe)
        merged, stats = merge_series(stored, clean, time_column(kind))
        if stats.changed or stored is None:
            self.save(key, merged)
        return UpsertResult(key, file, stats, report, stats.changed or stored is None)

    def summary(self, key: SeriesKey) -> SeriesSummary:
        """Rows, span and gaps of one stored series (funding: against its usual interval)."""
        frame = self.load(key)
        _, report = validate_for(key, frame, source=str(self.path(key)))
        gap = report.get("gap")
        return SeriesSummary(key, report.rows, report.first, report.last, list(gap.ranges) if gap else [])


def _utc(value: pd.Timestamp | str) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def sample_root() -> Path:
    """The bundled real-data sample (see sample/PROVENANCE.md)."""
    return Path(__file__).resolve().parents[3] / "sample"
