"""Store upsert (C06/F02/P40/P41): idempotent, newer rows win, missing values never erase data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coinpilot.data.merge import merge_series
from coinpilot.data.store import CandleStore, parse_store_name, sample_root, store_name
from coinpilot.domain.candles import SeriesKey
from coinpilot.domain.errors import DataError, DataNotFoundError

Make = Callable[..., pd.DataFrame]
KEY = SeriesKey("binance", "futures", "BTCUSDT", "5m")
PAST = "2030-01-01"  # every synthetic candle is closed by then


def test_first_upsert_writes_sorted_clean_rows(tmp_path: Path, make_candles: Make) -> None:
    store = CandleStore(tmp_path)
    frame = make_candles(10)
    done = store.upsert(KEY, frame.iloc[::-1], as_of=PAST)
    assert done.written
    assert done.stats.appended == 10
    pd.testing.assert_frame_equal(store.load(KEY), frame)
    assert store.keys() == [KEY]
    assert not list(tmp_path.rglob("*.tmp"))  # atomic write leaves no temp file


def test_same_rows_twice_change_nothing_and_do_not_rewrite(tmp_path: Path, make_candles: Make) -> None:
    store = CandleStore(tmp_path)
    frame = make_candles(10)
    store.upsert(KEY, frame, as_of=PAST)
    before = store.path(KEY).stat().st_mtime_ns
    again = store.upsert(KEY, frame, as_of=PAST)
    assert not again.written
    assert again.stats.unchanged == 10
    assert again.stats.appended == 0
    assert store.path(KEY).stat().st_mtime_ns == before


def test_new_rows_are_appended_and_overlaps_replaced_by_newer_data(tmp_path: Path, make_candles: Make) -> None:
    store = CandleStore(tmp_path)
    frame = make_candles(20)
    store.upsert(KEY, frame.iloc[:12], as_of=PAST)
    newer = frame.iloc[10:].copy()
    newer.loc[11, "volume"] = 123.0  # a corrected bar
    done = store.upsert(KEY, newer, as_of=PAST)
    assert done.stats.appended == 8
    assert done.stats.unchanged == 1
    assert done.stats.replaced == [pd.Timestamp("2025-01-01 00:55", tz="UTC")]
    stored = store.load(KEY)
    assert len(stored) == 20
    assert stored["open_time"].is_monotonic_increasing
    assert stored.loc[11, "volume"] == 123.0


def test_missing_values_never_erase_stored_ones(make_candles: Make) -> None:
    base = make_candles(8, extra=True)
    rich = base.iloc[:6]
    poor = base[["open_time", "open", "high", "low", "close", "volume"]].copy()  # no extras (P40)
    poor.loc[2, "volume"] = np.nan
    merged, stats = merge_series(rich, poor, "open_time")
    assert merged.loc[:5, "quote_volume"].tolist() == rich["quote_volume"].tolist()
    assert merged.loc[2, "volume"] == rich.loc[2, "volume"]
    assert merged.loc[6:, "quote_volume"].isna().all()  # unknown for the new rows, not 0
    assert stats.appended == 2
    assert stats.replaced == []


def test_new_optional_columns_enrich_stored_rows(make_candles: Make) -> None:
    rich = make_candles(6, extra=True)
    poor = rich[["open_time", "open", "high", "low", "close", "volume"]]
    merged, stats = merge_series(poor, rich, "open_time")
    assert len(stats.replaced) == 6
    assert list(merged.columns) == list(rich.columns)
    pd.testing.assert_frame_equal(merged, rich)


def test_open_candle_is_never_stored(tmp_path: Path, make_candles: Make) -> None:
    store = CandleStore(tmp_path)
    done = store.upsert(KEY, make_candles(12), as_of="2025-01-01 00:58")
    assert store.load(KEY)["open_time"].iloc[-1] == pd.Timestamp("2025-01-01 00:50", tz="UTC")
    assert done.report.get("open_candle") is not None


def test_unusable_rows_are_refused_and_nothing_is_written(tmp_path: Path, make_candles: Make) -> None:
    store = CandleStore(tmp_path)
    frame = make_candles(5)
    frame.loc[1, "low"] = -1.0
    with pytest.raises(DataError, match=r"price <= 0"):
        store.upsert(KEY, frame, as_of=PAST)
    assert not store.path(KEY).exists()


def test_funding_and_open_interest_upserts(tmp_path: Path) -> None:
    store = CandleStore(tmp_path)
    t = pd.Series(pd.date_range("2025-01-01", periods=3, freq="8h", tz="UTC").as_unit("ms"))
    fkey = SeriesKey("binance", "futures", "BTCUSDT", "funding")
    store.upsert(fkey, pd.DataFrame({"funding_time": t, "rate": [1e-4, 2e-4, 3e-4]}), as_of=PAST)
    assert store.load(fkey, start="2025-01-01 08:00")["rate"].tolist() == [2e-4, 3e-4]
    okey = SeriesKey("binance", "futures", "BTCUSDT", "oi-4h")
    oi = pd.DataFrame({"time": t.iloc[:1], "open_interest": [5.0], "open_interest_value": [7.0]})
    store.upsert(okey, oi, as_of=PAST)
    assert store.load(okey)["open_interest"].tolist() == [5.0]
    stored_keys = store.keys()
    assert {k.timeframe for k in stored_keys} == {"funding", "oi-4h"}


def test_load_window_and_missing_series(tmp_path: Path, make_candles: Make) -> None:
    store = CandleStore(tmp_path)
    store.upsert(KEY, make_candles(12), as_of=PAST)
    part = store.load(KEY, start="2025-01-01 00:10", end=pd.Timestamp("2025-01-01 00:20", tz="UTC"))
    assert part["open_time"].dt.minute.tolist() == [10, 15]
    with pytest.raises(DataNotFoundError, match="coinpilot data import"):
        store.load(SeriesKey("binance", "futures", "ETHUSDT", "5m"))


def test_summary_reports_gaps(tmp_path: Path, make_candles: Make) -> None:
    store = CandleStore(tmp_path)
    store.upsert(KEY, make_candles(12).drop(index=[4, 5]), as_of=PAST)
    s = store.summary(KEY)
    assert s.rows == 10
    assert [(g.start.minute, g.bars) for g in s.gaps] == [(20, 2)]


def test_store_names_round_trip() -> None:
    for name in ("5m", "1h", "mark-1h", "funding", "oi-4h", "1d"):
        kind, tf = parse_store_name(name)
        assert store_name(kind, tf) == name


def test_bundled_sample_is_a_store() -> None:
    store = CandleStore(sample_root())
    assert len(store.keys()) == 24
    frame = store.load(SeriesKey("binance", "futures", "ETHUSDT", "5m"))
    assert len(frame) == 25_920
    assert frame["open_time"].dtype == "datetime64[ms, UTC]"


def test_summary_reports_missing_funding_events(tmp_path: Path) -> None:
    store = CandleStore(tmp_path)
    t = pd.Series(pd.date_range("2025-01-01", periods=6, freq="8h", tz="UTC").as_unit("ms")).drop(index=[3])
    key = SeriesKey("binance", "futures", "BTCUSDT", "funding")
    store.upsert(key, pd.DataFrame({"funding_time": t, "rate": 1e-4}), as_of=PAST)
    (gap,) = store.summary(key).gaps
    assert gap.start == pd.Timestamp("2025-01-02 00:00", tz="UTC")
