"""Engine behaviours across Bot, RiskManager, OrderManager and SimExchange together."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coinpilot.data.store import CandleStore
from coinpilot.domain.candles import SeriesKey
from coinpilot.domain.enums import Side
from coinpilot.domain.trade import ExitReason
from coinpilot.engine.backtest import Backtest
from coinpilot.engine.presets import preset
from coinpilot.execution.config import ExecutionConfig
from coinpilot.strategies import registry
from coinpilot.strategies.base import MarketData, Strategy, StrategyParams, empty_signals


class _Flip(Strategy):
    """Long at bar 5, short at bar 10, nothing else: exercises C13's close-and-reverse."""

    name = "test_flip"
    Params = StrategyParams

    def prepare(self, data: MarketData) -> pd.DataFrame:
        out = empty_signals(len(data.candles))
        out["signal"][5] = 1
        out["signal"][10] = -1
        return pd.DataFrame(out)


@pytest.fixture
def flip_store(tmp_path: Path) -> Iterator[CandleStore]:
    registry.register(_Flip)
    n = 30
    times = pd.date_range("2025-01-01", periods=n, freq="5min", tz="UTC").astype("datetime64[ms, UTC]")
    price = 100.0 + np.arange(n) * 0.1
    frame = pd.DataFrame({"open_time": times, "open": price, "high": price + 0.05, "low": price - 0.05,
                          "close": price + 0.02, "volume": 1000.0})
    store = CandleStore(tmp_path)
    store.save(SeriesKey("binance", "futures", "BTCUSDT", "5m"), frame)
    yield store
    registry.unregister("test_flip")


def _run(store: CandleStore, on_opposite: str) -> list:  # type: ignore[type-arg]
    cfg = preset("reference", "test_flip", ["BTCUSDT"])
    cfg = cfg.model_copy(update={"execution": ExecutionConfig(on_opposite_signal=on_opposite)})  # type: ignore[arg-type]
    return Backtest(cfg, store).run().trades


def test_opposite_signal_closes_and_reenters_at_the_same_open(flip_store: CandleStore) -> None:
    trades = _run(flip_store, "reverse")
    assert [(t.side, t.exit_reason) for t in trades] == [(Side.LONG, ExitReason.REVERSE), (Side.SHORT, ExitReason.END)]
    first, second = trades
    assert first.exit_time == second.entry_time == pd.Timestamp("2025-01-01 00:55", tz="UTC")
    assert first.exit_price == second.entry_price == Decimal("101.1")


def test_opposite_signal_can_only_close_or_be_ignored(flip_store: CandleStore) -> None:
    closed = _run(flip_store, "close")
    assert [(t.side, t.exit_reason) for t in closed] == [(Side.LONG, ExitReason.REVERSE)]
    ignored = _run(flip_store, "ignore")
    assert [(t.side, t.exit_reason) for t in ignored] == [(Side.LONG, ExitReason.END)]
