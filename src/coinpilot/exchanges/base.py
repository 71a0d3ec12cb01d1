"""The exchange port: the one narrow interface SimExchange and the live exchanges implement.

Commands go in (submit, cancel), events come out (order updates with fills, funding,
liquidations) through listeners. It is async so the live implementation can await network
I/O; the simulator's coroutines never suspend, which keeps backtests fast. Nothing above this
layer knows which implementation it talks to (docs/architecture.md, principle 1).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Protocol

import pandas as pd

from coinpilot.domain.enums import Side
from coinpilot.domain.orders import Fill, Order, OrderRequest, PositionSide
from coinpilot.domain.records import record


@record
class PositionSnapshot:
    symbol: str
    side: Side
    qty: Decimal  # always > 0
    entry_price: Decimal
    leverage: int
    isolated_margin: Decimal  # 0 in cross mode
    liquidation_price: Decimal | None
    unrealized_pnl: Decimal
    position_side: PositionSide = PositionSide.BOTH
    opened_at: pd.Timestamp | None = None


@record
class AccountSnapshot:
    asset: str  # quote/margin asset: USDT or KRW
    wallet_balance: Decimal  # cash incl. realised PnL, fees and funding
    unrealized_pnl: Decimal
    available_balance: Decimal  # what new positions can use as margin

    @property
    def equity(self) -> Decimal:
        return self.wallet_balance + self.unrealized_pnl


@record
class OrderEvent:
    """An order changed state; `fill` is set when the change came with an execution."""

    order: Order
    fill: Fill | None
    time: pd.Timestamp


@record
class FundingEvent:
    symbol: str
    time: pd.Timestamp
    rate: Decimal
    mark_price: Decimal
    amount: Decimal  # signed: received > 0, paid < 0


@record
class LiquidationEvent:
    symbol: str
    side: Side
    qty: Decimal
    price: Decimal
    time: pd.Timestamp
    loss: Decimal


ExchangeEvent = OrderEvent | FundingEvent | LiquidationEvent
Listener = Callable[[ExchangeEvent], Awaitable[None]]


class Exchange(Protocol):
    """What the engine, order manager and reconciliation may call. Nothing else."""

    venue: str
    market: str

    async def submit(self, request: OrderRequest) -> Order:
        """Send an order. Rejections come back as a REJECTED order (with code), not raised."""

    async def cancel(self, symbol: str, client_order_id: str) -> Order: ...

    async def cancel_all(self, symbol: str) -> list[Order]: ...

    async def open_orders(self, symbol: str | None = None) -> list[Order]: ...

    async def positions(self) -> list[PositionSnapshot]: ...

    async def account(self) -> AccountSnapshot: ...

    async def set_leverage(self, symbol: str, leverage: int) -> None: ...

    def add_listener(self, listener: Listener) -> None: ...
