"""Parquet candle store: one file per (venue, market, symbol, timeframe).

Layout under the store root:
    {venue}/{market}/{SYMBOL}/{timeframe}.parquet   candles (domain.candles contract)
    {venue}/{market}/{SYMBOL}/mark-{timeframe}.parquet   mark-price candles
    {venue}/{market}/{SYMBOL}/funding.parquet   columns funding_time (datetime64[ms, UTC]), rate
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from coinpilot.domain.candles import SeriesKey
from coinpilot.domain.errors import DataNotFoundError

FUNDING = "funding"


class CandleStore:
    """Reads and writes stored series. The root is usually `Settings.data_dir`."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, key: SeriesKey) -> Path:
        return self.root / key.venue / key.market / key.symbol.upper() / f"{key.timeframe}.parquet"

    def keys(self) -> list[SeriesKey]:
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
        time_col = "funding_time" if key.timeframe == FUNDING else "open_time"
        if start is not None:
            frame = frame.loc[frame[time_col] >= pd.Timestamp(start, tz="UTC") if pd.Timestamp(start).tzinfo is None else frame[time_col] >= pd.Timestamp(start)]
        if end is not None:
            frame = frame.loc[frame[time_col] < pd.Timestamp(end, tz="UTC") if pd.Timestamp(end).tzinfo is None else frame[time_col] < pd.Timestamp(end)]
        return frame.reset_index(drop=True)

    def save(self, key: SeriesKey, frame: pd.DataFrame) -> Path:
        file = self.path(key)
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_suffix(".parquet.tmp")
        frame.to_parquet(tmp, index=False, compression="zstd")
        tmp.replace(file)  # atomic: a crash never leaves a half-written series
        return file


def sample_root() -> Path:
    """The bundled real-data sample (see sample/PROVENANCE.md)."""
    return Path(__file__).resolve().parents[3] / "sample"
