"""Resampled real data equals the exchange's own higher-timeframe candles (shared/data).

Cross-source pairs documented in shared/data/SOURCES.md: 1m files from three repositories
resample to marketlab 5m, data.binance.vision 1m resamples to gravestone 1h including quote
volume and trade count, marketlab 5m resamples to marketlab 1h except the four documented bars,
and to dcatpstrategy 15m.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import pytest

from coinpilot.data.importers import ImportedSeries
from coinpilot.data.resample import resample

pytestmark = pytest.mark.shared_data

Load = Callable[[str], ImportedSeries]
FUTURES = "binance_um_futures"
SIX = ("BTC", "ETH", "SOL", "XRP", "BNB", "DOGE")


def differing_bars(built: pd.DataFrame, stored: pd.DataFrame, fields: Sequence[str]) -> tuple[int, list[pd.Timestamp]]:
    """(bars compared, open times where any field differs); sums compared to 1e-9 relative."""
    both = built.merge(stored, on="open_time", suffixes=("_built", "_stored"))
    bad = np.zeros(len(both), dtype=bool)
    for f in fields:
        bad |= ~np.isclose(both[f"{f}_built"], both[f"{f}_stored"], rtol=1e-9, atol=0.0)
    return len(both), list(both.loc[bad, "open_time"])


@pytest.mark.parametrize(("folder", "symbols", "minimum"), [
    ("market_swarm_agents_1m", SIX, 8_600),
    ("dcatpstrategy_1m", ("BTC", "ETH", "SOL", "BNB"), 8_600),
    ("houssamboudiar_1m", ("BTC",), 3_300),
])
def test_one_minute_sources_resample_to_marketlab_5m(load_shared: Load, folder: str, symbols: tuple[str, ...], minimum: int) -> None:
    for sym in symbols:
        one = load_shared(f"{FUTURES}/{folder}/{sym}_USDT_USDT-1m-futures.feather")
        five = load_shared(f"{FUTURES}/marketlab/{sym}_USDT_USDT-5m-futures.feather")
        n, bad = differing_bars(resample(one.frame, "1m", "5m"), five.frame, ("open", "high", "low", "close", "volume"))
        assert n >= minimum, f"{folder} {sym}: only {n} overlapping bars"
        assert bad == [], f"{folder} {sym}: {bad[:5]}"


@pytest.mark.parametrize("sym", ["LTC", "LINK", "AVAX", "DOT"])
def test_data_vision_1m_resamples_to_gravestone_1h_with_quote_volume_and_trades(load_shared: Load, sym: str) -> None:
    one = load_shared(f"{FUTURES}/data_vision_1m/{sym}USDT-1m-2026-02.csv.gz")
    hour = load_shared(f"{FUTURES}/gravestone/1h/{sym}USDT.csv.gz")
    fields = ("open", "high", "low", "close", "volume", "quote_volume", "trades")
    n, bad = differing_bars(resample(one.frame, "1m", "1h"), hour.frame, fields)
    assert n == 672
    assert bad == []


def test_marketlab_5m_resamples_to_marketlab_1h_except_the_documented_bars(load_shared: Load) -> None:
    documented = [pd.Timestamp(t, tz="UTC") for t in ("2025-01-14 13:00", "2025-01-14 15:00", "2025-01-29 01:00", "2025-01-29 02:00")]
    for sym in SIX:
        five = load_shared(f"{FUTURES}/marketlab/{sym}_USDT_USDT-5m-futures.feather")
        hour = load_shared(f"{FUTURES}/marketlab/{sym}_USDT_USDT-1h-futures.feather")
        n, bad = differing_bars(resample(five.frame, "5m", "1h"), hour.frame, ("open", "high", "low", "close", "volume"))
        assert n >= 9_900
        assert bad == documented, sym


def test_marketlab_5m_resamples_to_dcatpstrategy_15m(load_shared: Load) -> None:
    for sym in ("BTC", "ETH", "SOL", "BNB"):
        five = load_shared(f"{FUTURES}/marketlab/{sym}_USDT_USDT-5m-futures.feather")
        quarter = load_shared(f"{FUTURES}/dcatpstrategy_1m/{sym}_USDT_USDT-15m-futures.feather")
        n, bad = differing_bars(resample(five.frame, "5m", "15m"), quarter.frame, ("open", "high", "low", "close", "volume"))
        assert n >= 3_000, sym
        assert bad == [], sym
