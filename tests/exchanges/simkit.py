"""Helpers to build small synthetic markets for simulator and order-manager tests."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from coinpilot.domain.timeframe import Timeframe
from coinpilot.exchanges.base import ExchangeEvent
from coinpilot.exchanges.sim.config import SimConfig
from coinpilot.exchanges.sim.exchange import SimExchange
from coinpilot.exchanges.sim.market import SimMarket
from coinpilot.exchanges.sim.rules import OrderRules

TF = Timeframe.parse("5m")
START = pd.Timestamp("2025-01-01", tz="UTC")


def candles(rows: list[tuple[float, float, float, float]], volume: float = 1000.0) -> pd.DataFrame:
    """Candles from (open, high, low, close) rows, 5 minutes apart from 2025-01-01 00:00 UTC."""
    times = [START + k * TF.delta for k in range(len(rows))]
    frame = pd.DataFrame(rows, columns=["open", "high", "low", "close"])
    frame.insert(0, "open_time", pd.Series(times).astype("datetime64[ms, UTC]"))
    frame["volume"] = volume
    return frame


def funding(times: list[pd.Timestamp], rates: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"funding_time": pd.Series(times).astype("datetime64[ms, UTC]"), "rate": rates})


def make_sim(
    rows: list[tuple[float, float, float, float]],
    *,
    symbol: str = "BTCUSDT",
    config: SimConfig | None = None,
    rules: OrderRules | None = None,
    funding_frame: pd.DataFrame | None = None,
) -> tuple[SimExchange, list[ExchangeEvent]]:
    sim = SimExchange(config or SimConfig(initial_balance=Decimal(100_000), default_leverage=10), rules)
    sim.add_market(SimMarket.from_frames(symbol, TF, candles(rows), funding_frame))
    events: list[ExchangeEvent] = []

    async def record(event: ExchangeEvent) -> None:
        events.append(event)

    sim.add_listener(record)
    return sim, events
