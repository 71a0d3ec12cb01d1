"""Absurd values and mis-labelled timeframes are refused, with the documented bounds (data.limits)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.data.conftest import CandleFactory

from coinpilot.data.limits import MAX_ABS_FUNDING_RATE, MAX_PRICE
from coinpilot.data.report import Kind, Severity
from coinpilot.data.validate import validate_candles
from coinpilot.data.validate_aux import validate_funding, validate_open_interest


def fatal_codes(report: object) -> set[str]:
    return {i.code for i in report.fatal}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("column", "value", "code"),
    [
        ("high", np.inf, "infinite_price"),
        ("open", 1e300, "price_out_of_range"),
        ("close", np.nan, "nan_price"),
        ("low", -np.inf, "non_positive_price"),
        ("volume", np.inf, "infinite_volume"),
        ("volume", np.nan, "nan_volume"),
    ],
)
def test_non_finite_or_absurd_candle_values_are_fatal(
    column: str, value: float, code: str, make_candles: CandleFactory
) -> None:
    frame = make_candles(12, freq="1h")
    frame.loc[4, column] = value
    if column in ("open", "close") and np.isfinite(value):
        frame.loc[4, "high"] = value  # keep OHLC consistent: only the bound may trip
    _, report = validate_candles(frame, "1h", source="t")
    assert code in fatal_codes(report)
    assert "first rows (0-based): 4 (2025-01-01 04:00)" in report.get(code).message  # type: ignore[union-attr]


def test_prices_at_the_bound_pass_and_tiny_prices_pass(make_candles: CandleFactory) -> None:
    frame = make_candles(6, freq="1h")
    scale = MAX_PRICE / frame["high"].max()
    for col in ("open", "high", "low", "close"):
        frame[col] = frame[col] * scale
    frame["high"] = frame["high"].clip(upper=MAX_PRICE)  # float rounding must not push it over
    _, report = validate_candles(frame, "1h", source="t")
    assert report.ok, report.fatal
    frame = make_candles(6, freq="1h")
    for col in ("open", "high", "low", "close"):
        frame[col] = frame[col] * 1e-10  # meme-coin prices
    assert validate_candles(frame, "1h", source="t")[1].ok


def test_infinite_optional_column_is_fatal(make_candles: CandleFactory) -> None:
    frame = make_candles(6, freq="1h", extra=True)
    frame.loc[2, "quote_volume"] = np.inf
    _, report = validate_candles(frame, "1h", source="t")
    assert "bad_quote_volume" in fatal_codes(report)


def test_mark_candles_may_lack_volume_but_not_have_an_infinite_one(make_candles: CandleFactory) -> None:
    frame = make_candles(6, freq="1h")
    frame["volume"] = np.nan
    assert validate_candles(frame, "1h", source="t", kind=Kind.MARK)[1].ok
    frame.loc[1, "volume"] = np.inf
    assert "infinite_volume" in fatal_codes(validate_candles(frame, "1h", source="t", kind=Kind.MARK)[1])


def funding(rates: list[float]) -> pd.DataFrame:
    times = pd.date_range("2025-01-01", periods=len(rates), freq="8h", tz="UTC").as_unit("ms")
    return pd.DataFrame({"funding_time": times, "rate": rates})


@pytest.mark.parametrize("rate", [5.0, -0.5, np.inf, -np.inf, MAX_ABS_FUNDING_RATE * 1.01])
def test_absurd_funding_rates_are_fatal(rate: float) -> None:
    _, report = validate_funding(funding([0.0001, rate, 0.0001]), source="f")
    assert "funding_rate_out_of_range" in fatal_codes(report)


def test_real_funding_rates_up_to_the_bound_pass() -> None:
    _, report = validate_funding(funding([0.0001, -0.04, 0.03, MAX_ABS_FUNDING_RATE]), source="f")
    assert report.ok


def test_infinite_open_interest_is_fatal() -> None:
    times = pd.date_range("2025-01-01", periods=3, freq="4h", tz="UTC").as_unit("ms")
    frame = pd.DataFrame({"time": times, "open_interest": [1.0, np.inf, 2.0], "open_interest_value": [1.0, 2.0, 3.0]})
    _, report = validate_open_interest(frame, "4h", source="oi")
    assert "infinite_open_interest" in fatal_codes(report)


def test_hourly_bars_validated_as_5m_are_refused_by_their_spacing(make_candles: CandleFactory) -> None:
    hourly = make_candles(48, freq="1h")
    _, report = validate_candles(hourly, "5m", source="BTCUSDT-5m.csv")
    issue = report.get("spacing_mismatch")
    assert issue is not None
    assert issue.severity is Severity.FATAL
    assert "1h apart in 47 of 47 steps, not 5m" in issue.message
    assert report.get("gap") is None  # not 47 bogus gaps of 11 bars


def test_gaps_do_not_trip_the_spacing_check(make_candles: CandleFactory) -> None:
    bars = make_candles(60, freq="5min")
    holey = bars.drop(index=[*range(10, 20), *range(30, 33)]).reset_index(drop=True)
    _, report = validate_candles(holey, "5m", source="t")
    assert report.ok
    gap = report.get("gap")
    assert gap is not None
    assert gap.count == 13
