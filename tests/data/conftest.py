"""Fixtures for the data-layer tests: synthetic candle builders and cached shared-data loads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coinpilot.data.importers import ImportedSeries, load_file

# Same location as the root `shared_data` fixture, but session-scoped so that big files are read
# once per run; skips with the same visible reason when the data set is absent.
SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"

CandleFactory = Callable[..., pd.DataFrame]


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"needs the shared data set at {SHARED_DATA} (present in CI, absent in a fresh clone)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def load_shared(shared_dir: Path) -> Callable[[str], ImportedSeries]:
    """Load one shared file (path relative to shared/data) through the importer, cached."""
    cache: dict[str, ImportedSeries] = {}

    def load(relative: str) -> ImportedSeries:
        if relative not in cache:
            (cache[relative],) = load_file(shared_dir / relative)
        return cache[relative]

    return load


def build_candles(
    n: int = 24,
    *,
    start: str = "2025-01-01 00:00",
    freq: str = "5min",
    seed: int = 7,
    extra: bool = False,
) -> pd.DataFrame:
    """A valid random-walk candle frame (contract dtypes), optionally with Binance extras."""
    rng = np.random.default_rng(seed)
    close = 100 + np.cumsum(rng.normal(0, 1, n))
    open_ = np.r_[100.0, close[:-1]]
    high = np.maximum(open_, close) + rng.uniform(0, 1, n)
    low = np.minimum(open_, close) - rng.uniform(0, 1, n)
    frame = pd.DataFrame({
        "open_time": pd.date_range(start, periods=n, freq=freq, tz="UTC").as_unit("ms"),
        "open": open_, "high": high, "low": low, "close": close,
        "volume": rng.uniform(1, 10, n).round(3),
    })
    if extra:
        frame["quote_volume"] = (frame["volume"] * frame["close"]).round(5)
        frame["trades"] = rng.integers(1, 500, n).astype(np.float64)
        frame["taker_buy_base"] = (frame["volume"] / 2).round(3)
        frame["taker_buy_quote"] = (frame["quote_volume"] / 2).round(5)
    return frame


@pytest.fixture
def make_candles() -> CandleFactory:
    return build_candles
