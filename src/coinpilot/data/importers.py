"""Turn any supported market-data file into clean, validated series ready for the store.

`load_file` = detect the format (formats.py) + read it (readers.py) + validate and normalise
(validate.py). With `strict=True` (import) unusable data raises DataError; with `strict=False`
(check) the problems stay in the report so that every file can be looked at in one run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from coinpilot.data.formats import FileInfo, Format, detect, is_data_file
from coinpilot.data.readers import read_candles, read_funding, read_open_interest
from coinpilot.data.report import Kind, SeriesReport
from coinpilot.data.store import store_name
from coinpilot.data.validate import validate_candles
from coinpilot.data.validate_aux import validate_funding, validate_open_interest
from coinpilot.domain.candles import SeriesKey
from coinpilot.domain.errors import DataError
from coinpilot.domain.timeframe import Timeframe

UNKNOWN = "?"


@dataclass
class ImportedSeries:
    """One clean series read from a file, with the key it is stored under and its report."""

    key: SeriesKey
    kind: Kind
    timeframe: Timeframe | None  # candle / open-interest period; None for funding
    frame: pd.DataFrame
    report: SeriesReport
    info: FileInfo


def timeframe_from_data(times: pd.Series) -> Timeframe | None:
    """The most common step between candles, for files whose name does not say it."""
    t = np.unique(times.to_numpy(dtype="datetime64[ms]").astype(np.int64))
    if t.size < 2:
        return None
    values, counts = np.unique(np.diff(t), return_counts=True)
    step = int(values[np.argmax(counts)])
    for unit, ms in (("w", 604_800_000), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000)):
        if step % ms == 0:
            return Timeframe.parse(f"{step // ms}{unit}")
    return None


def _key(info: FileInfo, symbol: str | None, name: str, strict: bool) -> SeriesKey:
    missing = [n for n, v in (("symbol", symbol), ("market", info.market), ("venue", info.venue)) if not v]
    if missing and strict:
        flags = " ".join(f"--{m} ..." for m in missing)
        raise DataError(f"{info.path}: cannot infer {', '.join(missing)} from the path; pass {flags}")
    return SeriesKey(info.venue or UNKNOWN, info.market or UNKNOWN, (symbol or UNKNOWN).upper(), name)


def load_file(
    path: str | Path,
    *,
    symbol: str | None = None,
    timeframe: str | None = None,
    venue: str | None = None,
    market: str | None = None,
    as_of: pd.Timestamp | str | None = None,
    strict: bool = True,
) -> list[ImportedSeries]:
    """Read, validate and normalise every series in one file (most files hold one).

    Overrides beat what the path says. `as_of` drops candles still open at that moment; REST
    snapshot files (timestamp..close_time CSV) also lose their last row, which was open when
    the snapshot was taken.

    Every failure is a DataError naming the file, even one raised inside pandas or pyarrow by
    a file we did not foresee: a directory import reports the file and goes on to the next.
    """
    try:
        return _load_file(
            path, symbol=symbol, timeframe=timeframe, venue=venue, market=market, as_of=as_of, strict=strict
        )
    except DataError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, OSError, pa.ArrowException) as exc:
        raise DataError(f"{path}: cannot read ({type(exc).__name__}: {exc})") from exc


def _load_file(
    path: str | Path,
    *,
    symbol: str | None,
    timeframe: str | None,
    venue: str | None,
    market: str | None,
    as_of: pd.Timestamp | str | None,
    strict: bool,
) -> list[ImportedSeries]:
    info = detect(path)
    info = replace(
        info,
        symbol=symbol.upper() if symbol else info.symbol,
        timeframe=timeframe or info.timeframe,
        venue=venue or info.venue,
        market=market or info.market,
    )
    source = str(info.path)
    out: list[ImportedSeries] = []
    try:
        given_tf = Timeframe.parse(info.timeframe) if info.timeframe else None
    except ValueError as exc:
        raise DataError(f"{source}: {exc}") from None
    if info.kind in (Kind.CANDLES, Kind.MARK):
        raw, close_time = read_candles(info)
        tf = given_tf or timeframe_from_data(raw["open_time"])
        if tf is None:
            raise DataError(f"{source}: cannot tell the timeframe; pass --timeframe")
        key = _key(info, info.symbol, store_name(info.kind, tf), strict)
        frame, report = validate_candles(
            raw,
            tf,
            source=source,
            kind=info.kind,
            key=key,
            as_of=as_of,
            last_row_open=info.format is Format.REST_KLINES_SNAPSHOT,
            close_time_ms=close_time,
        )
        if not info.timeframe:
            report.notes.append(f"timeframe {tf.name} inferred from the data")
        out.append(ImportedSeries(key, info.kind, tf, frame, report, info))
    elif info.kind is Kind.FUNDING:
        key = _key(info, info.symbol, "funding", strict)
        frame, report = validate_funding(read_funding(info), source=source, key=key, as_of=as_of)
        out.append(ImportedSeries(key, Kind.FUNDING, None, frame, report, info))
    else:
        for sym, raw in read_open_interest(info).items():
            tf = given_tf or timeframe_from_data(raw["time"])
            if tf is None:
                raise DataError(f"{source}: cannot tell the open-interest period; pass --timeframe")
            key = _key(info, symbol or sym, store_name(Kind.OPEN_INTEREST, tf), strict)
            label = source if sym == info.symbol else f"{source} [{sym}]"
            frame, report = validate_open_interest(raw, tf, source=label, key=key, as_of=as_of)
            out.append(ImportedSeries(key, Kind.OPEN_INTEREST, tf, frame, report, info))
    if strict:
        for item in out:
            item.report.raise_if_fatal()
    return out


def iter_data_files(paths: Iterable[str | Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Data files under the given files/directories (recursive), and what was skipped and why."""
    files: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    for given in paths:
        root = Path(given)
        if not root.exists():
            raise DataError(f"no such file or directory: {root}")
        candidates = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for p in candidates:
            if any(part.startswith(".") for part in p.relative_to(root).parts):
                continue
            if is_data_file(p):
                files.append(p)
            else:
                skipped.append((p, f"not a data file ({p.suffix or 'no extension'})"))
    return files, skipped
