"""Every built-in strategy produces signals on real data (P55: no vacuous fixtures).

Asserts are unconditional: a strategy that silently stops signalling fails here before any test
that iterates over its signals could pass vacuously.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from strategy_test_helpers import BUILTIN_PARAMS, SAMPLE_SYMBOLS

from coinpilot.data.resample import resample
from coinpilot.domain.timeframe import Timeframe
from coinpilot.strategies import BUILTIN_STRATEGIES, create, validate_prepared
from coinpilot.strategies.base import MarketData, Strategy

Build = Callable[[Strategy, str], MarketData]


@pytest.mark.parametrize("name", BUILTIN_STRATEGIES)
def test_every_builtin_signals_on_every_sample_symbol(sample_data: Build, name: str) -> None:
    strategy = create(name, BUILTIN_PARAMS.get(name))
    for symbol in SAMPLE_SYMBOLS:
        data = sample_data(strategy, symbol)
        prepared = validate_prepared(strategy, data, strategy.prepare(data))
        signals = np.flatnonzero(prepared["signal"].to_numpy() != 0)
        assert len(signals) > 0, f"{name} gave no signal on {symbol}"
        # nothing before the declared warm-up: warmup_bars is honest
        assert signals[0] >= strategy.warmup_bars, f"{name} on {symbol}: signal at bar {signals[0]}"
        t = int(signals[0])
        intent = strategy.decide(prepared, t, data)
        assert intent is not None
        assert intent.reason
        assert intent.reason != strategy.name


def _marketlab(root: Path, pair: str, kind: str) -> pd.DataFrame:
    raw = pd.read_feather(root / "binance_um_futures" / "marketlab" / f"{pair}_USDT_USDT-{kind}-futures.feather")
    frame = raw.rename(columns={"date": "open_time"})
    frame["open_time"] = frame["open_time"].astype("datetime64[ms, UTC]")
    return frame[["open_time", "open", "high", "low", "close", "volume"]].reset_index(drop=True)


@pytest.mark.shared_data
def test_every_builtin_signals_on_the_full_marketlab_set(shared_data: Path) -> None:
    pairs = ("BTC", "ETH", "SOL", "XRP", "BNB", "DOGE")
    five = {p: _marketlab(shared_data, p, "5m") for p in pairs}
    hour = {p: _marketlab(shared_data, p, "1h") for p in pairs}
    started = time.perf_counter()
    for name in BUILTIN_STRATEGIES:
        strategy = create(name, BUILTIN_PARAMS.get(name))
        for pair in pairs:
            tf = strategy.timeframe
            candles = resample(five[pair], "5m", tf)
            informative = {k: resample(hour[pair], "1h", k) for k in strategy.informative_timeframes}
            context = {f"{p}USDT": resample(five[p], "5m", tf) for p in pairs if f"{p}USDT" in strategy.context_symbols}
            data = MarketData(f"{pair}USDT", Timeframe.parse(tf.name), candles, informative, context)
            prepared = validate_prepared(strategy, data, strategy.prepare(data))
            count = int((prepared["signal"] != 0).sum())
            assert count > 0, f"{name} gave no signal on {pair}"
    assert time.perf_counter() - started < 60
