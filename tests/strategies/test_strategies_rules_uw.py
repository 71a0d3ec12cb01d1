"""Upbit (U08–U11) and Gemini-bot (W09) strategies: each rule checked on hand-built candles or
against an independent restatement over real sample data."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from strategy_test_helpers import candles

from coinpilot.domain.enums import IntentAction, Side
from coinpilot.domain.errors import ConfigError, StrategyError
from coinpilot.domain.timeframe import Timeframe
from coinpilot.strategies import create
from coinpilot.strategies.base import MarketData, Strategy

Build = Callable[[Strategy, str], MarketData]
TOL = 1e-9


# ---------------------------------------------------------------- U08–U11


def test_volatility_breakout_by_hand() -> None:
    # prev range 10 → target open + 5
    c = candles([100, 104, 106, 100, 100], open_=[100, 100, 100, 100, 100],
                high=[105, 105, 107, 101, 100], low=[95, 100, 99, 99, 100])
    s = create("u_volatility_breakout")
    data = MarketData("X", Timeframe.parse("5m"), c)
    p = s.prepare(data)
    # bar1: target 100 + 5 = 105 > 104 no; bar2: target 100 + 2.5 = 102.5 <= 106 yes;
    # bar3: target 100 + 4 = 104 > 100 no; bar4: previous range 2 → target 101 > 100 no
    np.testing.assert_array_equal(p["signal"], [0, 0, 1, 0, 0])
    assert p["score"].iat[2] == pytest.approx((106 - 102.5) / 5)
    intent = s.decide(p, 2, data)
    assert intent is not None
    assert intent.time_limit_bars == 1
    assert intent.stop is None
    assert "breakout" in intent.reason


def test_dual_momentum_absolute_only_and_against_context() -> None:
    close = np.r_[np.full(13, 100.0), 101, 102, 103, 99, 98]
    btc = np.r_[np.full(13, 50.0), 50.2, 51.5, 51, 50, 50]
    own = candles(close)
    data = MarketData("ETHUSDT", Timeframe.parse("5m"), own, context={"BTCUSDT": candles(btc)})
    alone = create("u_dual_momentum", {"window": 12}).prepare(data)
    np.testing.assert_array_equal(alone["signal"][12:], [0, 1, 1, 1, 0, 0])
    np.testing.assert_array_equal(alone["exit"][12:], [1, 0, 0, 0, 1, 1])
    rel = create("u_dual_momentum", {"window": 12, "context_symbols": ["BTCUSDT"]}).prepare(data)
    # ETH +1 % vs BTC +0.4 %: buy; +2 % vs +3 %: no; +3 % vs +2 %: buy
    np.testing.assert_array_equal(rel["signal"][12:], [0, 1, 0, 1, 0, 0])


def test_dual_momentum_missing_context_is_an_error_and_missing_bars_block() -> None:
    s = create("u_dual_momentum", {"context_symbols": ["BTCUSDT"]})
    own = candles(np.linspace(100, 120, 30))
    with pytest.raises(StrategyError, match="needs BTCUSDT candles"):
        s.prepare(MarketData("ETHUSDT", Timeframe.parse("5m"), own))
    short_btc = candles(np.full(20, 50.0))  # ends 10 bars early
    p = s.prepare(MarketData("ETHUSDT", Timeframe.parse("5m"), own, context={"BTCUSDT": short_btc}))
    assert p["signal"][12:20].all()
    assert not p["signal"][20:].any()
    assert s.context_symbols == ("BTCUSDT",)
    own_btc = create("u_dual_momentum", {"context_symbols": ["BTCUSDT"]})
    p = own_btc.prepare(MarketData("BTCUSDT", Timeframe.parse("5m"), own))  # itself: skipped
    assert p["signal"][12:].all()


def test_u_rsi_signals_are_crosses_back_through_the_levels(sample_data: Build) -> None:
    s = create("u_rsi")
    data = sample_data(s, "SOLUSDT")
    p = s.prepare(data)
    r = p["rsi"].to_numpy()
    prev = np.r_[np.nan, r[:-1]]
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(p["signal"] == 1, (prev < 30) & (r >= 30))
        np.testing.assert_array_equal(p["exit"] == 1, (prev > 70) & (r <= 70))
    assert (p["signal"] == 1).sum() > 0
    assert (p["exit"] == 1).sum() > 0
    assert (p["signal"] >= 0).all()
    t = int(np.flatnonzero(p["exit"].to_numpy())[0])
    intent = s.decide(p, t, data)
    assert intent is not None
    assert intent.action is IntentAction.EXIT
    assert intent.side is Side.LONG
    assert "below 70" in intent.reason


def test_u_combined_vetoes_buys_while_overbought(sample_data: Build) -> None:
    s = create("u_combined")
    data = sample_data(s, "DOGEUSDT")
    p = s.prepare(data)
    main = p["main_signal"] == 1
    hot = ~(p["confirm_rsi"] <= 70)
    assert (main & hot).sum() > 0
    assert (main & ~hot).sum() > 0
    np.testing.assert_array_equal(p["signal"] == 1, main & ~hot)
    t = int(np.flatnonzero((main & hot).to_numpy())[-1])
    assert "vetoed" in s.reason(p, t)
    t = int(np.flatnonzero(p["signal"].to_numpy())[0])
    intent = s.decide(p, t, data)
    assert intent is not None
    assert intent.time_limit_bars == 1  # inherited from the volatility breakout
    off = create("u_combined", {"rsi_filter": False}).prepare(data)
    np.testing.assert_array_equal(off["signal"], p["main_signal"])


def test_u_combined_long_only_drops_shorts_of_the_main_strategy(sample_data: Build) -> None:
    s = create("u_combined", {"main": "ref_ema_cross"})
    p = s.prepare(sample_data(s, "BTCUSDT"))
    assert (p["main_signal"] == -1).sum() > 0
    assert (p["signal"] >= 0).all()
    both = create("u_combined", {"main": "ref_ema_cross", "long_only": False})
    assert (both.prepare(sample_data(both, "BTCUSDT"))["signal"] == -1).sum() > 0


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"main": "c_score"}, "primary timeframe and PCT levels"),
        ({"main": "u_combined"}, "cannot be u_combined itself"),
        ({"main": "nope"}, "no strategy named 'nope'"),
        ({"main_params": {"timeframe": "15m"}}, "main_params.timeframe"),
        ({"main_params": {"k_value": -1}}, "k_value = -1"),
    ],
)
def test_u_combined_rejects_unusable_main_strategies(params: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        create("u_combined", params)


# ---------------------------------------------------------------- w_atr_rule (W09/W12)


def test_w_atr_rule_agreement_gates_and_intent(sample_data: Build) -> None:
    s = create("w_atr_rule")
    data = sample_data(s, "BNBUSDT")
    p = s.prepare(data)
    above = np.ones(len(p), dtype=bool)
    below = np.ones(len(p), dtype=bool)
    for tf in ("5m", "1h", "4h"):
        x, m = p[f"close_{tf}"].to_numpy(), p[f"sma_{tf}"].to_numpy()
        with np.errstate(invalid="ignore"):
            above &= x - m > TOL * np.maximum(1, np.maximum(abs(x), abs(m)))
            below &= m - x > TOL * np.maximum(1, np.maximum(abs(x), abs(m)))
    with np.errstate(invalid="ignore"):
        ok = (p["rsi"] >= 30) & (p["rsi"] <= 70) & (p["vol_frac"] >= 0.0005) & (p["atr"] > 0)
    np.testing.assert_array_equal(p["signal"] == 1, above & ok)
    np.testing.assert_array_equal(p["signal"] == -1, below & ok)
    assert (p["signal"] == 1).sum() > 0
    assert (p["signal"] == -1).sum() > 0
    t = int(np.flatnonzero(p["signal"].to_numpy() == -1)[0])
    intent = s.decide(p, t, data)
    assert intent is not None
    assert intent.probability == 0.60
    assert intent.reward_risk == pytest.approx(2.0)
    assert intent.stop is not None
    assert intent.stop.value == pytest.approx(p["atr"].iat[t])
    for word in ("RULE_BACKUP SHORT", "5m", "1h", "4h", "RSI14"):
        assert word in intent.reason


def test_w_atr_rule_reads_only_closed_higher_candles(sample_data: Build) -> None:
    """The 1h close seen at 5m bar 10:55-11:00 is the 10:00 candle's; at 10:50-10:55 it is 09:00's."""
    s = create("w_atr_rule")
    data = sample_data(s, "BTCUSDT")
    p = s.prepare(data)
    h1 = data.informative["1h"].set_index("open_time")["close"]
    times = data.candles["open_time"]
    i = int(np.flatnonzero(times == pd.Timestamp("2025-02-03 10:55", tz="UTC"))[0])
    assert p["close_1h"].iat[i] == h1[pd.Timestamp("2025-02-03 10:00", tz="UTC")]
    assert p["close_1h"].iat[i - 1] == h1[pd.Timestamp("2025-02-03 09:00", tz="UTC")]
    assert p["close_1h"].iat[i] == data.candles["close"].iat[i]
