"""Resampling follows Binance's aggregation rules and never builds a bucket with a missing bar."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from coinpilot.data.resample import resample
from coinpilot.domain.errors import DataError

Make = Callable[..., pd.DataFrame]


def reference(frame: pd.DataFrame, rule: str, need: int) -> pd.DataFrame:
    """Slow, obvious pandas version of the same rules, to check the vectorised one against."""
    g = frame.groupby(frame["open_time"].dt.floor(rule))
    out = pd.DataFrame({
        "open": g["open"].first(), "high": g["high"].max(), "low": g["low"].min(),
        "close": g["close"].last(), "volume": g["volume"].sum(),
        "quote_volume": g["quote_volume"].sum(), "trades": g["trades"].sum(),
        "taker_buy_base": g["taker_buy_base"].sum(), "taker_buy_quote": g["taker_buy_quote"].sum(),
        "n": g.size(),
    })
    out = out[out["n"] == need].drop(columns="n")
    out.index.name = "open_time"
    return out.reset_index()


def test_binance_rules_on_one_bucket(make_candles: Make) -> None:
    one_min = make_candles(5, freq="1min", extra=True)
    (bar,) = resample(one_min, "1m", "5m").to_dict("records")
    assert bar["open_time"] == pd.Timestamp("2025-01-01", tz="UTC")
    assert bar["open"] == one_min["open"].iloc[0]
    assert bar["high"] == one_min["high"].max()
    assert bar["low"] == one_min["low"].min()
    assert bar["close"] == one_min["close"].iloc[-1]
    for col in ("volume", "quote_volume", "trades", "taker_buy_base", "taker_buy_quote"):
        assert bar[col] == pytest.approx(one_min[col].sum(), rel=1e-12)


@pytest.mark.parametrize(("src", "dst", "freq", "rule", "need"), [
    ("1m", "5m", "1min", "5min", 5), ("5m", "15m", "5min", "15min", 3), ("15m", "1h", "15min", "1h", 4),
    ("1h", "4h", "1h", "4h", 4), ("4h", "1d", "4h", "1D", 6),
])
def test_matches_a_plain_groupby_including_dropped_incomplete_buckets(
    make_candles: Make, src: str, dst: str, freq: str, rule: str, need: int
) -> None:
    frame = make_candles(600, start="2025-01-01 00:00", freq=freq, extra=True)
    frame = frame.drop(index=[0, 17, 18, 301]).reset_index(drop=True)  # partial head + inner gaps
    got = resample(frame, src, dst)
    pd.testing.assert_frame_equal(got, reference(frame, rule, need), check_exact=False, rtol=1e-12)


def test_incomplete_bucket_is_dropped_by_default_and_flagged_on_request(make_candles: Make) -> None:
    frame = make_candles(15, freq="1min").drop(index=[7]).reset_index(drop=True)
    assert resample(frame, "1m", "5m")["open_time"].dt.minute.tolist() == [0, 10]
    kept = resample(frame, "1m", "5m", keep_incomplete=True)
    assert kept["complete"].tolist() == [True, False, True]


def test_chained_resampling_equals_direct(make_candles: Make) -> None:
    frame = make_candles(3 * 1440, freq="1min", extra=True)
    chained = frame
    for src, dst in (("1m", "5m"), ("5m", "15m"), ("15m", "1h"), ("1h", "4h"), ("4h", "1d")):
        chained = resample(chained, src, dst)
    pd.testing.assert_frame_equal(chained, resample(frame, "1m", "1d"), check_exact=False, rtol=1e-12)
    assert len(chained) == 3


def test_nan_in_an_optional_column_propagates_instead_of_summing_to_a_wrong_total(make_candles: Make) -> None:
    frame = make_candles(10, freq="1min", extra=True)
    frame.loc[2, "trades"] = np.nan
    got = resample(frame, "1m", "5m")
    assert np.isnan(got["trades"].iloc[0])
    assert not np.isnan(got["trades"].iloc[1])


def test_refuses_non_divisor_and_unsorted_input(make_candles: Make) -> None:
    frame = make_candles(30, freq="5min")
    with pytest.raises(DataError, match="not a whole multiple"):
        resample(frame, "5m", "7m")
    with pytest.raises(DataError, match="sorted, unique"):
        resample(frame.iloc[::-1].reset_index(drop=True), "5m", "1h")


def test_empty_frame_resamples_to_empty(make_candles: Make) -> None:
    got = resample(make_candles(5).iloc[0:0], "5m", "1h")
    assert len(got) == 0
    assert got["open_time"].dtype == "datetime64[ms, UTC]"
