"""Look-ahead check: built-ins pass on real data; deliberately leaky strategies are caught."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from strategy_test_helpers import BUILTIN_PARAMS, SAMPLE_SYMBOLS

from coinpilot.data.mtf import align_to
from coinpilot.domain.candles import close_ms
from coinpilot.domain.errors import LookAheadError
from coinpilot.domain.intent import Intent
from coinpilot.domain.timeframe import Timeframe
from coinpilot.strategies import BUILTIN_STRATEGIES, create, lookahead
from coinpilot.strategies.base import MarketData, Strategy, empty_signals
from coinpilot.strategies.lookahead import check_lookahead, choose_cuts, truncate

Build = Callable[[Strategy, str], MarketData]


@pytest.mark.parametrize("name", BUILTIN_STRATEGIES)
@pytest.mark.parametrize("symbol", SAMPLE_SYMBOLS)
def test_every_builtin_has_no_lookahead_on_the_sample(sample_data: Build, name: str, symbol: str) -> None:
    strategy = create(name, BUILTIN_PARAMS.get(name))
    data = sample_data(strategy, symbol)
    report = check_lookahead(strategy, data, cuts=16, seed=1)
    assert report.ok, report.summary()
    assert len(report.cuts) >= 14
    assert set(report.columns) >= {"signal", "exit", "stop", "target", "score"}
    # the cuts include bars where the strategy acted
    prepared = strategy.prepare(data)
    active = set(np.flatnonzero((prepared["signal"] != 0) | (prepared["exit"] != 0)).tolist())
    assert active & set(report.cuts)


# ------------------------------------------------------------------ leaky strategies


class _Leaky(Strategy):
    name = "test_leaky"

    def _frame(self, data: MarketData, score: np.ndarray, long: np.ndarray) -> pd.DataFrame:
        out = empty_signals(len(data.candles))
        out["signal"][long] = 1
        out["score"] = np.nan_to_num(score)
        return pd.DataFrame(out)


class NextClose(_Leaky):
    """Reads tomorrow's close: close.shift(-1)."""

    def prepare(self, data: MarketData) -> pd.DataFrame:
        close = data.candles["close"]
        nxt = close.shift(-1).to_numpy()
        with np.errstate(invalid="ignore"):
            return self._frame(data, nxt, nxt > close.to_numpy())


class CenteredMean(_Leaky):
    """A centered rolling window: row t averages t−2 … t+2."""

    def prepare(self, data: MarketData) -> pd.DataFrame:
        close = data.candles["close"]
        mid = close.rolling(5, center=True).mean().to_numpy()
        with np.errstate(invalid="ignore"):
            return self._frame(data, mid, close.to_numpy() > mid)


class OpenHourPeek(_Leaky):
    """Joins 1h candles on *open* time: a 5m bar sees the hour that is still forming."""

    informative_timeframes = ("1h",)

    def prepare(self, data: MarketData) -> pd.DataFrame:
        hour = data.informative["1h"][["open_time", "close"]].rename(columns={"close": "h_close"})
        joined = pd.merge_asof(data.candles[["open_time", "close"]], hour, on="open_time")
        h = joined["h_close"].to_numpy()
        with np.errstate(invalid="ignore"):
            return self._frame(data, h, data.candles["close"].to_numpy() > h)


class ClosedHour(_Leaky):
    """The same idea aligned correctly (last 1h candle closed by the bar's close): no leak."""

    informative_timeframes = ("1h",)

    def prepare(self, data: MarketData) -> pd.DataFrame:
        h = align_to(data.candles, data.timeframe, data.informative["1h"], "1h")["close"].to_numpy()
        with np.errstate(invalid="ignore"):
            return self._frame(data, h, data.candles["close"].to_numpy() > h)


class PeekingDecide(ClosedHour):
    """prepare is clean but decide prices the intent with the last close of whatever it is given."""

    def decide(self, prepared: pd.DataFrame, t: int, data: MarketData) -> Intent | None:
        intent = super().decide(prepared, t, data)
        if intent is None:
            return None
        return dataclasses.replace(intent, price=float(data.candles["close"].to_numpy()[-1]))


class NeedsLongHistory(ClosedHour):
    """Crashes when given fewer than 1000 candles."""

    def prepare(self, data: MarketData) -> pd.DataFrame:
        if len(data.candles) < 1000:
            raise ValueError("need 1000 candles")
        return super().prepare(data)


@pytest.fixture
def btc(sample_data: Build) -> MarketData:
    return sample_data(ClosedHour(), "BTCUSDT")


@pytest.mark.parametrize("leaky", [NextClose, CenteredMean, OpenHourPeek])
def test_leaky_strategies_are_caught(btc: MarketData, leaky: type[Strategy]) -> None:
    report = check_lookahead(leaky(), btc)
    assert not report.ok
    first = report.first
    assert first is not None
    assert first.column in {"signal", "score"}
    assert first.bar <= first.cut
    assert "LOOK-AHEAD" in report.summary()
    with pytest.raises(LookAheadError, match="first: cut at bar"):
        report.raise_if_failed()


def test_open_hour_peek_is_caught_inside_the_hour_and_the_correct_join_passes(btc: MarketData) -> None:
    leaky = check_lookahead(OpenHourPeek(), btc)
    closes = close_ms(btc.candles, btc.timeframe)
    # every failing cut is a bar that does not close an hour: that is where the hour is still open
    assert all(closes[i.cut] % 3_600_000 != 0 for i in leaky.issues)
    assert check_lookahead(ClosedHour(), btc).ok


def test_decide_reading_beyond_t_is_caught(btc: MarketData) -> None:
    report = check_lookahead(PeekingDecide(), btc)
    assert not report.ok
    assert all(i.column == "<decide>.price" for i in report.issues)


def test_prepare_failing_on_its_own_past_is_reported(btc: MarketData) -> None:
    report = check_lookahead(NeedsLongHistory(), btc, cuts=[100, 5000])
    assert [i.cut for i in report.issues] == [100]
    assert report.issues[0].column == "<prepare>"
    assert "need 1000 candles" in str(report.issues[0].truncated)


def test_harness_flags_a_marketdata_that_accepts_open_candles(btc: MarketData, monkeypatch: pytest.MonkeyPatch) -> None:
    @dataclasses.dataclass(frozen=True)
    class Permissive(MarketData):
        def __post_init__(self) -> None:
            return None

    monkeypatch.setattr(lookahead, "MarketData", Permissive)
    report = check_lookahead(ClosedHour(), btc, cuts=[500])
    assert [i.column for i in report.issues] == ["<MarketData>"]


# ------------------------------------------------------------------ truncation and cut choice


def test_truncate_keeps_only_what_had_closed(btc: MarketData) -> None:
    t = 1000  # 5m bar 1000 = 2025-01-04 11:20 → closes 11:25
    part = truncate(btc, t)
    assert part.as_of == btc.candles["open_time"].iat[t] + pd.Timedelta(minutes=5)
    assert len(part.candles) == t + 1
    hour = part.informative["1h"]
    assert hour["open_time"].iat[-1] == pd.Timestamp("2025-01-04 10:00", tz="UTC")
    assert len(btc.informative["1h"]) > len(hour)
    on_the_hour = truncate(btc, 1007)  # 11:55 bar closes at 12:00: the 11:00 hour has closed
    assert on_the_hour.informative["1h"]["open_time"].iat[-1] == pd.Timestamp("2025-01-04 11:00", tz="UTC")
    assert (on_the_hour.funding is not None)
    assert (on_the_hour.funding["funding_time"] <= on_the_hour.as_of).all()


def test_truncate_cuts_context_frames_too(sample_data: Build) -> None:
    s = create("u_dual_momentum", {"context_symbols": ["BTCUSDT"]})
    data = sample_data(s, "ETHUSDT")
    part = truncate(data, 300)
    assert len(part.context["BTCUSDT"]) == 301


def test_cut_choice_is_seeded_and_covers_signals_boundaries_and_warmup(btc: MarketData) -> None:
    s = ClosedHour()
    prepared = s.prepare(btc)
    a = choose_cuts(s, btc, prepared, 30, seed=3)
    assert a == choose_cuts(s, btc, prepared, 30, seed=3)
    assert a != choose_cuts(s, btc, prepared, 30, seed=4)
    assert len(a) == 30
    assert max(a) <= len(btc.candles) - 2
    closes = close_ms(btc.candles, btc.timeframe)
    assert any(closes[t] % 3_600_000 == 0 for t in a)
    assert any(closes[t + 1] % 3_600_000 == 0 for t in a)
    assert any(prepared["signal"].iat[t] != 0 for t in a)


def test_explicit_cuts_must_be_inside_the_data(btc: MarketData) -> None:
    with pytest.raises(ValueError, match="outside the data"):
        check_lookahead(ClosedHour(), btc, cuts=[len(btc.candles)])
    report = check_lookahead(ClosedHour(), btc, cuts=(10, 20))
    assert report.cuts == (10, 20)
    assert report.ok


def test_market_data_rejects_a_candle_open_at_as_of(btc: MarketData) -> None:
    part = truncate(btc, 50)
    with pytest.raises(LookAheadError, match="still open"):
        MarketData(btc.symbol, Timeframe.parse("5m"), btc.candles.iloc[:52], as_of=part.as_of)
