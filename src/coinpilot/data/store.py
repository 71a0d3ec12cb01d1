"""Parquet candle store: one file per (venue, market, symbol, timeframe).

Layout under the store root:
    {venue}/{market}/{SYMBOL}/{timeframe}.parquet   candles (domain.candles contract)
    {venue}/{market}/{SYMBOL}/mark-{timeframe}.parquet   mark-price candles
    {venue}/{market}/{SYMBOL}/funding.parquet   columns funding_time (datetime64[ms, UTC]), rate
    {venue}/{market}/{SYMBOL}/oi-{period}.parquet   columns time (datetime64[ms, UTC]),
        open_interest (base units, NaN when the source lacks it), open_interest_value

Writes go through `upsert`, which validates first: the store only ever holds sorted, unique,
closed candles (an open candle written once would never be corrected, SPEC F01).

Names are checked before any path is built (data.limits): an unknown venue or market, or a
symbol such as `../../x`, is a DataError, so no caller can write outside the store root.

Safe under concurrency and crashes: each series has a lock file (`.{name}.lock`, fcntl) held
around read-merge-write, so two imports of one series end with the union of both; data goes
to a uniquely named temp file in the same folder (`.{name}.<random>.tmp`), is fsynced and then
atomically renamed over the series, so a killed writer leaves the old file intact. A temp file
left by a dead writer is removed by the next write of that series or by `sweep_temp_files`
(run by `coinpilot data check`). A stored file that cannot be read raises
UnreadableSeriesError naming it; an upsert over it moves it aside and writes the new rows.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa

from coinpilot.data.limits import check_symbol, check_venue_market
from coinpilot.data.merge import MergeStats, merge_series
from coinpilot.data.report import Kind, SeriesReport, TimeRange
from coinpilot.data.validate import validate_candles
from coinpilot.data.validate_aux import validate_funding, validate_open_interest
from coinpilot.domain.candles import SeriesKey
from coinpilot.domain.errors import DataError, DataNotFoundError
from coinpilot.domain.timeframe import Timeframe

if TYPE_CHECKING:
    from coinpilot.config import Settings

FUNDING = "funding"
LOCK_TIMEOUT_S = 120.0  # a write takes well under a second; waiting longer means a stuck writer


class UnreadableSeriesError(DataError):
    """A stored series file exists but cannot be read (corrupt, truncated, wrong columns).

    The message names the file: re-import the series (the import replaces the file) or delete it.
    """


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
    unreadable: tuple[Path, str] | None = None  # stored file moved aside (where, why), if any


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
        """Where the series lives under the store root (see the layout above).

        Raises DataError for names that are not a known venue/market, a plain symbol and a
        series name (5m, mark-1h, funding, oi-4h): every read and write comes through here.
        """
        check_venue_market(key.venue, key.market)
        symbol = check_symbol(key.symbol)
        try:
            parse_store_name(key.timeframe)
        except ValueError as exc:
            raise DataError(f"invalid series name {key.timeframe!r} in {key}: {exc}") from None
        return self.root / key.venue / key.market / symbol / f"{key.timeframe}.parquet"

    def keys(self) -> list[SeriesKey]:
        """Every stored series, found from the layout (no index file to go stale)."""
        found: list[SeriesKey] = []
        for file in sorted(self.root.glob("*/*/*/*.parquet")):
            if file.name.startswith("."):
                continue
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
        time_col = time_column(parse_store_name(key.timeframe)[0])
        frame = _read_series(file, time_col)
        if start is not None:
            frame = frame.loc[frame[time_col] >= _utc(start)]
        if end is not None:
            frame = frame.loc[frame[time_col] < _utc(end)]
        return frame.reset_index(drop=True)

    def save(self, key: SeriesKey, frame: pd.DataFrame) -> Path:
        """Write a whole series atomically; callers normally use `upsert`, which validates first."""
        file = self.path(key)
        with self._locked(file):
            _write_atomic(file, frame)
        return file

    def upsert(
        self, key: SeriesKey, frame: pd.DataFrame, *, as_of: pd.Timestamp | str | None = None
    ) -> UpsertResult:
        """Validate `frame` and merge it into the stored series (see data.merge for the rules).

        Raises DataError on unusable rows. Candles still open at `as_of` (default: now) are
        dropped, never stored. Nothing is written when the merge changes nothing. The read,
        merge and write happen under the series lock, so concurrent upserts all land. A
        stored file that cannot be read is moved aside (`result.unreadable` says where) and
        replaced by the incoming rows, so a re-import repairs it.
        """
        file = self.path(key)  # first: refuses bad names before anything else
        when = pd.Timestamp.now(tz="UTC") if as_of is None else as_of
        clean, report = validate_for(key, frame, source=f"upsert into {key}", as_of=when)
        report.raise_if_fatal()
        kind, _ = parse_store_name(key.timeframe)
        moved: tuple[Path, str] | None = None
        with self._locked(file):
            _remove_temp_files(file)  # we hold the lock: any temp file is a dead writer's
            stored = None
            if file.exists():
                try:
                    stored = _read_series(file, time_column(kind))
                except UnreadableSeriesError as exc:
                    aside = file.with_name(f".{file.name}.unreadable")
                    os.replace(file, aside)
                    moved = (aside, str(exc))
            merged, stats = merge_series(stored, clean, time_column(kind))
            written = stats.changed or stored is None
            if written:
                _write_atomic(file, merged)
        return UpsertResult(key, file, stats, report, written, moved)

    def sweep_temp_files(self) -> list[Path]:
        """Remove temp files left by writers that died; returns what was removed.

        A temp file whose series lock is free belongs to no live writer (writers hold the lock
        for as long as their temp file exists); one whose lock is held is left alone.
        """
        removed: list[Path] = []
        for series in sorted({_series_of(tmp) for tmp in self._temp_files()}):
            with contextlib.suppress(BlockingIOError), self._locked(series, wait=False):
                removed += _remove_temp_files(series)
        return removed

    def _temp_files(self) -> list[Path]:
        pattern = ("*/*/*/.*.tmp", "*/*/*/*.parquet.tmp")  # the second: older versions' name
        return sorted({p for glob in pattern for p in self.root.glob(glob)})

    @contextlib.contextmanager
    def _locked(self, file: Path, *, wait: bool = True) -> Iterator[None]:
        """Hold the series' lock file; BlockingIOError when `wait` is False and it is taken."""
        file.parent.mkdir(parents=True, exist_ok=True)
        lock = file.with_name(f".{file.name}.lock")
        with open(lock, "a+b") as handle:
            deadline = time.monotonic() + LOCK_TIMEOUT_S
            while True:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if not wait:
                        raise
                    if time.monotonic() > deadline:
                        raise DataError(
                            f"{file}: another process has held its lock {lock} for over "
                            f"{LOCK_TIMEOUT_S:.0f} s; wait for it to finish or stop it, then retry"
                        ) from None
                    time.sleep(0.01)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def summary(self, key: SeriesKey) -> SeriesSummary:
        """Rows, span and gaps of one stored series (funding: against its usual interval)."""
        frame = self.load(key)
        _, report = validate_for(key, frame, source=str(self.path(key)))
        gap = report.get("gap")
        return SeriesSummary(key, report.rows, report.first, report.last, list(gap.ranges) if gap else [])


def _read_series(file: Path, time_col: str) -> pd.DataFrame:
    """Read one stored file; anything unreadable is an UnreadableSeriesError naming it."""
    try:
        frame = pd.read_parquet(file)
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise UnreadableSeriesError(
            f"{file} cannot be read ({type(exc).__name__}: {exc}); re-import the series with "
            "`coinpilot data import` (it replaces the file) or delete the file"
        ) from None
    if time_col not in frame.columns:
        raise UnreadableSeriesError(
            f"{file} has no {time_col!r} column (found {list(frame.columns)}); re-import the "
            "series with `coinpilot data import` (it replaces the file) or delete the file"
        )
    return frame


def _write_atomic(file: Path, frame: pd.DataFrame) -> None:
    """Temp file in the same folder, fsync, rename over `file`, fsync the folder.

    The caller holds the series lock. The temp name is unique, so even a writer that ignores
    the lock cannot interleave bytes with ours; readers see the old file or the new one.
    """
    tmp = file.with_name(f".{file.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "wb") as handle:
            frame.to_parquet(handle, index=False, compression="zstd")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, file)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    folder = os.open(file.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # make the rename itself durable
    finally:
        os.close(folder)


def _series_of(tmp: Path) -> Path:
    """The series file a temp file was written for."""
    if tmp.name.endswith(".parquet.tmp"):
        return tmp.with_name(tmp.name.removesuffix(".tmp"))
    name = tmp.name.removeprefix(".").rsplit(".", 2)[0]  # '.1h.parquet.<hex>.tmp'
    return tmp.with_name(name)


def _remove_temp_files(file: Path) -> list[Path]:
    """Delete the temp files of one series; the caller holds its lock."""
    found = [*file.parent.glob(f".{file.name}.*.tmp"), file.with_name(f"{file.name}.tmp")]
    removed = []
    for tmp in found:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
            removed.append(tmp)
    return removed


def _utc(value: pd.Timestamp | str) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def sample_root() -> Path:
    """The bundled real-data sample (see sample/PROVENANCE.md)."""
    return Path(__file__).resolve().parents[3] / "sample"


def store_in_use(path_option: str | Path | None, settings: Settings | None = None) -> tuple[CandleStore, str]:
    """The store a reading command uses, and a description to print: the one rule for all.

    The given --store; else the config's data_dir when it holds at least one series; else the
    bundled sample, so that a fresh clone can backtest at once. The description names the
    choice (e.g. "bundled sample (…/sample): data_dir data holds no series"), so that no command
    quietly reads other data than the user thinks. `settings` defaults to `load_settings()`.
    """
    if path_option is not None:
        root = Path(path_option)
        if root.exists() and not root.is_dir():
            raise DataError(f"--store {root}: is a file; give the store's root directory")
        if not root.exists():
            return CandleStore(root), f"{root} (--store; does not exist yet)"
        return CandleStore(root), f"{root} (--store)"
    if settings is None:
        from coinpilot.config import load_settings

        settings = load_settings()
    data_dir = settings.data_dir
    if data_dir.is_dir() and CandleStore(data_dir).keys():
        return CandleStore(data_dir), f"{data_dir} (data_dir from the config)"
    why = "does not exist" if not data_dir.exists() else "holds no series"
    sample = sample_root()
    return CandleStore(sample), f"bundled sample ({sample}): data_dir {data_dir} {why}"
