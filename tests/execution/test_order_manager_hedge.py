"""The order manager against a hedge-mode account: every order names its leg (LONG/SHORT) and
none is reduce-only (Binance refuses both mistakes), and the trade comes out as in one-way mode."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pandas as pd
import pytest
from tests.exchanges.simkit import make_sim

from coinpilot.domain.enums import EntryType, IntentAction, LevelMode, Side
from coinpilot.domain.intent import ExitLevel, Intent
from coinpilot.domain.orders import OrderStatus, PositionSide
from coinpilot.domain.trade import ExitReason, Trade
from coinpilot.exchanges.base import OrderEvent
from coinpilot.exchanges.sim.config import SimConfig
from coinpilot.execution.config import ExecutionConfig
from coinpilot.execution.order_manager import OrderManager

D = Decimal
FLAT = (100.0, 100.2, 99.8, 100.0)
ROWS = [FLAT, (100.0, 100.3, 99.9, 100.1), (100.1, 100.2, 97.0, 97.5), FLAT]  # the stop is hit in bar 2


def run_one(side: Side, hedge: bool) -> tuple[list[OrderEvent], list[Trade]]:
    sim, events = make_sim(ROWS, config=SimConfig(initial_balance=D(100_000), default_leverage=10, hedge_mode=hedge))
    om = OrderManager(sim, "run-h", ExecutionConfig(break_even_at_r=None), hedge_mode=hedge)
    sim.add_listener(om.on_event)
    trades: list[Trade] = []

    async def on_trade(trade: Trade) -> None:
        trades.append(trade)

    om.on_trade(on_trade)
    intent = Intent(strategy="t", symbol="BTCUSDT", action=IntentAction.ENTER, side=side,
                    time=pd.Timestamp("2025-01-01", tz="UTC"), price=100.0, stop=ExitLevel(LevelMode.DIST, 2.0),
                    target=ExitLevel(LevelMode.DIST, 4.0), entry_type=EntryType.MARKET, reason="test")

    async def go() -> None:
        for i, (_, high, low, close) in enumerate(ROWS):
            om.set_bar("BTCUSDT", i)
            await sim.process_bar("BTCUSDT", i)
            await om.on_bar_close("BTCUSDT", i, high, low, close)
            if i == 0:
                await om.enter(intent, 0, qty=D(1))
        if "BTCUSDT" in om.positions:
            await om.exit("BTCUSDT", ExitReason.END)
            await sim.settle_pending("BTCUSDT", ROWS[-1][3], len(ROWS) - 1)

    asyncio.run(go())
    return [e for e in events if isinstance(e, OrderEvent)], trades


@pytest.mark.parametrize("side", [Side.LONG, Side.SHORT])
def test_hedge_mode_orders_name_their_leg_and_are_never_reduce_only(side: Side) -> None:
    events, trades = run_one(side, hedge=True)
    requests = {e.order.client_order_id: e.order.request for e in events}
    # long: the stop fills in bar 2; short: nothing is hit and the end of data closes it
    roles = {"entry", "sl", "tp"} | ({"end"} if side is Side.SHORT else set())
    assert {r.tag for r in requests.values()} == roles
    leg = PositionSide.LONG if side is Side.LONG else PositionSide.SHORT
    assert {r.position_side for r in requests.values()} == {leg}
    assert not any(r.reduce_only for r in requests.values())
    assert not any(e.order.status is OrderStatus.REJECTED for e in events)
    assert len(trades) == 1


@pytest.mark.parametrize("side", [Side.LONG, Side.SHORT])
def test_a_trade_is_the_same_in_hedge_and_one_way_mode(side: Side) -> None:
    _, hedged = run_one(side, hedge=True)
    _, one_way = run_one(side, hedge=False)
    fields = ("side", "entry_time", "entry_price", "exit_time", "exit_price", "qty", "net_pnl", "exit_reason")
    assert [tuple(getattr(t, f) for f in fields) for t in hedged] == [tuple(getattr(t, f) for f in fields) for t in one_way]
    events, _ = run_one(side, hedge=False)
    assert {e.order.request.position_side for e in events} == {PositionSide.BOTH}
