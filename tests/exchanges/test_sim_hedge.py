"""Position modes in SimExchange: one-way (positionSide BOTH, reduceOnly exits) and hedge
mode (a LONG and a SHORT leg per symbol, positionSide required, reduceOnly refused), with the
codes Binance answers when an order does not fit the account's mode."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from tests.exchanges.simkit import make_sim

from coinpilot.domain.enums import OrderSide, Side
from coinpilot.domain.orders import OrderRequest, OrderStatus, OrderType, PositionSide
from coinpilot.exchanges.sim.config import SimConfig

D = Decimal
FLAT = [(100.0, 101.0, 99.0, 100.0)] * 4
HEDGE = SimConfig(initial_balance=D(100_000), default_leverage=10, hedge_mode=True)
LONG, SHORT, BOTH = PositionSide.LONG, PositionSide.SHORT, PositionSide.BOTH


def market(cid: str, side: OrderSide, leg: PositionSide, qty: str = "1", **kw: object) -> OrderRequest:
    return OrderRequest(cid, "BTCUSDT", side, OrderType.MARKET, D(qty), position_side=leg, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("hedge", "leg", "reduce_only", "code"),
    [
        (False, LONG, False, -4061),  # one-way account: LONG/SHORT do not match its setting
        (True, BOTH, False, -4061),  # hedge account: positionSide must be sent
        (True, LONG, True, -1106),  # hedge account: reduceOnly cannot be sent
    ],
)
def test_orders_that_do_not_fit_the_position_mode_are_refused(
    hedge: bool, leg: PositionSide, reduce_only: bool, code: int
) -> None:
    sim, _ = make_sim(FLAT, config=HEDGE if hedge else None)

    async def go() -> None:
        await sim.process_bar("BTCUSDT", 0)
        order = await sim.submit(market("x", OrderSide.BUY, leg, reduce_only=reduce_only))
        assert order.status is OrderStatus.REJECTED
        assert order.reject_code == code

    asyncio.run(go())


def test_hedge_legs_are_held_side_by_side_and_closed_one_by_one() -> None:
    sim, _ = make_sim(FLAT, config=HEDGE)

    async def go() -> None:
        await sim.process_bar("BTCUSDT", 0)
        await sim.submit(market("long", OrderSide.BUY, LONG, "2"))
        await sim.submit(market("short", OrderSide.SELL, SHORT, "1"))
        await sim.process_bar("BTCUSDT", 1)
        legs = {p.position_side: (p.side, p.qty) for p in await sim.positions()}
        assert legs == {LONG: (Side.LONG, D(2)), SHORT: (Side.SHORT, D(1))}
        # a sell on the LONG leg only reduces it: 5 asked, the 2 held are sold
        close = await sim.submit(market("close-long", OrderSide.SELL, LONG, "5"))
        assert close.status is OrderStatus.NEW
        await sim.process_bar("BTCUSDT", 2)
        legs = {p.position_side: (p.side, p.qty) for p in await sim.positions()}
        assert legs == {SHORT: (Side.SHORT, D(1))}
        assert sim.orders["close-long"].filled_qty == D(2)
        # nothing left on the LONG leg to sell: refused like a reduce-only order
        again = await sim.submit(market("again", OrderSide.SELL, LONG, "1"))
        assert again.status is OrderStatus.REJECTED
        assert again.reject_code == -2022

    asyncio.run(go())
