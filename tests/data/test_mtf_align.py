"""MTF alignment joins on close times: a higher-timeframe candle is never seen before it closes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coinpilot.data.mtf import align_to, aligned_index
from coinpilot.domain.errors import DataError
from coinpilot.domain.timeframe import Timeframe


def bars(start: str, n: int, freq: str, first_close: float = 1.0) -> pd.DataFrame:
    t = pd.date_range(start, periods=n, freq=freq, tz="UTC").as_unit("ms")
    close = first_close + np.arange(n, dtype=np.float64)
    return pd.DataFrame({"open_time": t, "open": close, "high": close, "low": close, "close": close, "volume": 1.0})


def test_hour_candle_appears_on_the_5m_bar_that_closes_with_it() -> None:
    five = bars("2025-01-01 00:00", 36, "5min")  # 00:00 .. 02:55
    hour = bars("2025-01-01 00:00", 3, "1h", first_close=100.0)
    got = align_to(five, "5m", hour, "1h", prefix="h1_")
    by_open = dict(zip(five["open_time"].dt.strftime("%H:%M"), got["h1_close"], strict=True))
    assert np.isnan(by_open["00:50"])  # closes 00:55: the 00:00 hour is still open
    assert by_open["00:55"] == 100.0  # closes 01:00 together with the 00:00 hour
    assert by_open["01:50"] == 100.0
    assert by_open["01:55"] == 101.0
    assert got["h1_open_time"].iloc[11] == pd.Timestamp("2025-01-01 00:00", tz="UTC")
    assert got["h1_open_time"].iloc[:11].isna().all()
    assert got.index.equals(five.index)


def test_without_prefix_columns_keep_their_names_and_dtypes() -> None:
    got = align_to(bars("2025-01-01", 24, "5min"), "5m", bars("2025-01-01", 2, "1h"), Timeframe.parse("1h"))
    assert list(got.columns) == ["open_time", "open", "high", "low", "close", "volume"]
    assert got["open_time"].dtype == "datetime64[ms, UTC]"
    assert got["close"].dtype == np.float64


def test_index_of_primary_is_kept_for_joining() -> None:
    five = bars("2025-01-01", 24, "5min")
    five.index = pd.RangeIndex(100, 124)
    joined = five.join(align_to(five, "5m", bars("2025-01-01", 2, "1h"), "1h", prefix="h_"))
    assert joined["h_close"].iloc[-1] == 2.0


def test_an_unclosed_other_candle_is_never_used() -> None:
    # the 4h candle opening at 04:00 is already in `other` but only closes at 08:00: the 1h bars
    # closing 05:00..07:00 must not see it, the one closing 08:00 must
    primary = bars("2025-01-01 04:00", 4, "1h")
    other = bars("2025-01-01 00:00", 2, "4h", first_close=10.0)
    assert align_to(primary, "1h", other, "4h")["close"].tolist() == [10.0, 10.0, 10.0, 11.0]


def test_empty_other_gives_all_nan() -> None:
    got = align_to(bars("2025-01-01", 5, "5min"), "5m", bars("2025-01-01", 0, "1h"), "1h")
    assert len(got) == 5
    assert got["close"].isna().all()


def test_unsorted_input_is_refused() -> None:
    with pytest.raises(DataError, match="sorted"):
        align_to(bars("2025-01-01", 5, "5min"), "5m", bars("2025-01-01", 3, "1h").iloc[::-1], "1h")


TFS = ["1m", "5m", "15m", "1h", "4h", "1d"]


@settings(max_examples=150, deadline=None)
@given(
    primary_tf=st.sampled_from(TFS),
    other_tf=st.sampled_from(TFS),
    n_primary=st.integers(0, 120),
    n_other=st.integers(0, 40),
    start_primary=st.integers(0, 500),
    start_other=st.integers(0, 500),
    drop=st.sets(st.integers(0, 39), max_size=10),
)
def test_no_aligned_row_uses_a_candle_closing_after_the_primary_close(
    primary_tf: str, other_tf: str, n_primary: int, n_other: int,
    start_primary: int, start_other: int, drop: set[int],
) -> None:
    ptf, otf = Timeframe.parse(primary_tf), Timeframe.parse(other_tf)
    base = pd.Timestamp("2025-01-01", tz="UTC")
    primary = bars(str(base + start_primary * ptf.delta), n_primary, ptf.delta)
    other = bars(str(base + start_other * otf.delta), n_other, otf.delta)
    other = other.drop(index=[i for i in drop if i < n_other]).reset_index(drop=True)  # gaps too
    got = align_to(primary, ptf, other, otf)
    p_close = ms(primary["open_time"]) + ptf.ms
    used = got["open_time"].notna().to_numpy()
    o_close = ms(got["open_time"].where(got["open_time"].notna(), primary["open_time"])) + otf.ms
    assert (o_close[used] <= p_close[used]).all()
    # ... and it is the LAST such candle: the next one (if any) closes after the primary close
    nxt = aligned_index(primary, ptf, other, otf) + 1
    has_next = nxt < len(other)
    if has_next.any():
        next_close = ms(other["open_time"])[nxt[has_next]] + otf.ms
        assert (next_close > p_close[has_next]).all()
    # rows without a candle are exactly those before the first close
    if len(other):
        first_close = ms(other["open_time"])[0] + otf.ms
        assert (~used == (p_close < first_close)).all()


def ms(times: pd.Series) -> np.ndarray:
    return times.to_numpy(dtype="datetime64[ms]").astype(np.int64)
