"""Cross-timeframe consistency: disagreeing bars are listed with fields and sizes, gaps separately."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from coinpilot.data.check import check_paths
from coinpilot.data.consistency import compare_timeframes
from coinpilot.data.resample import resample
from coinpilot.data.store import sample_root

Make = Callable[..., pd.DataFrame]
DOCUMENTED = [pd.Timestamp(t, tz="UTC") for t in ("2025-01-14 13:00", "2025-01-14 15:00", "2025-01-29 01:00", "2025-01-29 02:00")]


def test_identical_data_agrees(make_candles: Make) -> None:
    five = make_candles(288, extra=True)
    result = compare_timeframes(five, "5m", resample(five, "5m", "1h"), "1h")
    assert result.agrees
    assert result.compared == 24
    assert result.uncomparable == []
    assert "quote_volume" in result.fields
    assert "trades" in result.fields


def test_disagreeing_fields_are_named_with_both_values(make_candles: Make) -> None:
    five = make_candles(288)
    hour = resample(five, "5m", "1h")
    hour.loc[3, "volume"] += 1.0
    hour.loc[5, "high"] *= 1.01
    result = compare_timeframes(five, "5m", hour, "1h")
    assert [m.open_time.hour for m in result.mismatches] == [3, 5]
    (diff,) = result.mismatches[0].diffs
    assert diff.field == "volume"
    assert diff.stored - diff.resampled == 1.0
    assert result.mismatches[1].diffs[0].field == "high"
    assert result.mismatches[1].diffs[0].rel > 0.009


def test_float_summation_noise_is_not_a_disagreement(make_candles: Make) -> None:
    five = make_candles(24)
    hour = resample(five, "5m", "1h")
    hour["volume"] = hour["volume"] * (1 + 1e-13)
    assert compare_timeframes(five, "5m", hour, "1h").agrees


def test_bars_over_a_lower_gap_cannot_be_compared_and_are_listed(make_candles: Make) -> None:
    five = make_candles(288)
    hour = resample(five, "5m", "1h")
    gappy = five.drop(index=[30, 31]).reset_index(drop=True)  # inside the 02:00 bucket
    result = compare_timeframes(gappy, "5m", hour, "1h")
    assert result.compared == 23
    assert result.agrees
    assert [(r.start.hour, r.bars) for r in result.uncomparable] == [(2, 1)]


def test_partial_buckets_at_the_ends_are_outside_the_overlap(make_candles: Make) -> None:
    five = make_candles(288)
    hour = resample(five, "5m", "1h")
    result = compare_timeframes(five.iloc[3:-4].reset_index(drop=True), "5m", hour, "1h")
    assert result.compared == 22
    assert result.uncomparable == []


def test_check_finds_the_documented_quirks_in_the_bundled_sample() -> None:
    result = check_paths([sample_root()])
    assert not result.fatal
    hour_vs_five = [c for c in result.comparisons if c.higher_tf == "1h" and c.lower_tf == "5m"]
    assert len(hour_vs_five) == 6
    for c in hour_vs_five:
        assert [m.open_time for m in c.mismatches] == DOCUMENTED, c.higher_label
        assert c.uncomparable == []
        assert c.compared == 2160
    assert all(c.mismatches for c in result.comparisons)  # no other pair in the sample


def test_comparisons_stay_within_one_source_unless_asked(tmp_path: Path, make_candles: Make) -> None:
    five = make_candles(288)
    hour = resample(five, "5m", "1h")
    hour.loc[0, "close"] += 1
    for folder, frame, tf in (("a", five, "5m"), ("b", hour, "1h")):
        (tmp_path / folder / "binance" / "futures" / "BTCUSDT").mkdir(parents=True)
        frame.to_parquet(tmp_path / folder / "binance" / "futures" / "BTCUSDT" / f"{tf}.parquet")
    assert check_paths([tmp_path]).comparisons == []
    (crossed,) = check_paths([tmp_path], cross_source=True).comparisons
    assert [m.open_time.hour for m in crossed.mismatches] == [0]
