"""`coinpilot data check`: validate every data file under some paths and cross-check timeframes.

Each file is read with `strict=False`, so one bad file is reported without hiding the others.
Series of the same source (same folder, or sibling timeframe folders such as `1h/` and `4h/`),
symbol, market and kind are compared across timeframes: each higher timeframe against the
nearest lower one that divides it and overlaps it, so a defect shows up once, where it starts.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from coinpilot.data.consistency import PRICE_FIELDS, TimeframeComparison, compare_timeframes
from coinpilot.data.importers import ImportedSeries, iter_data_files, load_file
from coinpilot.data.report import Kind, SeriesReport
from coinpilot.domain.errors import DataError
from coinpilot.domain.timeframe import Timeframe


@dataclass
class FileCheck:
    """One file: the series read from it, or why it could not be read."""
    path: Path
    series: list[ImportedSeries] = field(default_factory=list)
    error: str | None = None


@dataclass
class CheckResult:
    """Everything `check_paths` found; the CLI renders it, tests assert on it."""
    files: list[FileCheck] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    comparisons: list[TimeframeComparison] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def reports(self) -> list[SeriesReport]:
        """Every series report, in file order."""
        return [s.report for f in self.files for s in f.series]

    @property
    def fatal(self) -> bool:
        """True when any file could not be read or holds unusable rows (exit code 1)."""
        return any(f.error for f in self.files) or any(not r.ok for r in self.reports)


def _source_dir(path: Path) -> Path:
    parent = path.parent
    try:
        Timeframe.parse(parent.name.removeprefix("oi_"))
    except ValueError:
        return parent
    return parent.parent  # e.g. gravestone/1h/BTCUSDT.csv.gz and gravestone/4h/BTCUSDT.csv.gz


def _overlaps(low: ImportedSeries, high: ImportedSeries) -> bool:
    a, b = low.report, high.report
    if a.first is None or b.first is None or a.last is None or b.last is None:
        return False
    assert high.timeframe is not None
    return bool(a.first < b.last + high.timeframe.delta and a.last >= b.first)


def compare_within_sources(
    series: Iterable[ImportedSeries], *, cross_source: bool = False
) -> list[TimeframeComparison]:
    """Cross-timeframe comparisons for candle and mark series (see module docstring)."""
    groups: dict[tuple[object, ...], list[ImportedSeries]] = defaultdict(list)
    for item in series:
        if item.kind not in (Kind.CANDLES, Kind.MARK) or item.timeframe is None or not item.report.ok:
            continue
        where = "" if cross_source else str(_source_dir(item.info.path))
        k = item.key
        groups[(where, k.venue, k.market, k.symbol, item.kind)].append(item)
    out: list[TimeframeComparison] = []
    for members in groups.values():
        members.sort(key=lambda s: s.timeframe.ms if s.timeframe else 0)
        for high in members:
            assert high.timeframe is not None
            lower = [
                s for s in members
                if s.timeframe is not None and s.timeframe < high.timeframe
                and s.timeframe.divides(high.timeframe) and _overlaps(s, high)
            ]
            if not lower:
                continue
            nearest = max(s.timeframe.ms for s in lower if s.timeframe)
            for low in (s for s in lower if s.timeframe and s.timeframe.ms == nearest):
                fields = PRICE_FIELDS if high.kind is Kind.MARK else None  # mark has no volume
                comparison = compare_timeframes(
                    low.frame, _tf(low), high.frame, _tf(high),
                    fields=fields, lower_label=str(low.info.path), higher_label=str(high.info.path),
                )
                if comparison.compared or comparison.uncomparable:
                    out.append(comparison)
    return out


def _tf(item: ImportedSeries) -> Timeframe:
    assert item.timeframe is not None
    return item.timeframe


def check_paths(
    paths: Iterable[str | Path],
    *,
    as_of: pd.Timestamp | str | None = None,
    cross_source: bool = False,
) -> CheckResult:
    """Validate every data file under `paths` (recursively) and compare timeframes."""
    started = time.perf_counter()
    files, skipped = iter_data_files(paths)
    result = CheckResult(skipped=skipped)
    for path in files:
        entry = FileCheck(path)
        try:
            entry.series = load_file(path, as_of=as_of, strict=False)
        except DataError as exc:
            entry.error = str(exc)
        result.files.append(entry)
    everything = [s for f in result.files for s in f.series]
    result.comparisons = compare_within_sources(everything, cross_source=cross_source)
    result.seconds = time.perf_counter() - started
    return result
