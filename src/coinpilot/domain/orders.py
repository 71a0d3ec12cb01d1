"""Orders, fills and the one order state machine shared by the simulator and live trading.

The transition table is data: an illegal transition raises instead of silently corrupting
state (STYLE: 'orders as explicit state machines'). UNKNOWN exists for live trading, where a
timeout leaves the outcome open: such an order is reconciled, never treated as failed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from functools import lru_cache

import pandas as pd

from coinpilot.domain.enums import OrderSide, Side
from coinpilot.domain.errors import CoinpilotError
from coinpilot.domain.records import record


class OrderType(str, Enum):
    MARKET = "MARKET"
    LIMIT = "LIMIT"
    STOP_MARKET = "STOP_MARKET"
    TAKE_PROFIT_MARKET = "TAKE_PROFIT_MARKET"
    TAKE_PROFIT = "TAKE_PROFIT"  # take-profit limit: triggers, then rests as a limit order
    TRAILING_STOP_MARKET = "TRAILING_STOP_MARKET"

    @property
    def is_trigger(self) -> bool:
        return self in (
            OrderType.STOP_MARKET, OrderType.TAKE_PROFIT_MARKET, OrderType.TAKE_PROFIT,
            OrderType.TRAILING_STOP_MARKET,
        )


class TimeInForce(str, Enum):
    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"
    GTX = "GTX"  # post-only: rejected if it would take liquidity


def entry_side(side: Side) -> OrderSide:
    """The order side that opens (or adds to) a `side` position."""
    return OrderSide.BUY if side is Side.LONG else OrderSide.SELL


def exit_side(side: Side) -> OrderSide:
    """The order side that reduces or closes a `side` position."""
    return OrderSide.SELL if side is Side.LONG else OrderSide.BUY


class PositionSide(str, Enum):
    BOTH = "BOTH"  # one-way mode
    LONG = "LONG"  # hedge mode legs
    SHORT = "SHORT"


class OrderStatus(str, Enum):
    PENDING = "PENDING"  # written to the store, not yet acknowledged
    NEW = "NEW"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"
    UNKNOWN = "UNKNOWN"  # sent, outcome not known (timeout): must be reconciled

    # whether the status can never change again: a plain attribute of each member (set
    # below), not a property, as it is read at every order event
    is_final: bool


_S = OrderStatus
for _status in OrderStatus:
    _status.is_final = _status in (_S.FILLED, _S.CANCELED, _S.REJECTED, _S.EXPIRED)
ORDER_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    _S.PENDING: frozenset({_S.NEW, _S.PARTIALLY_FILLED, _S.FILLED, _S.REJECTED, _S.EXPIRED, _S.CANCELED, _S.UNKNOWN}),
    _S.UNKNOWN: frozenset({_S.NEW, _S.PARTIALLY_FILLED, _S.FILLED, _S.REJECTED, _S.EXPIRED, _S.CANCELED}),
    _S.NEW: frozenset({_S.PARTIALLY_FILLED, _S.FILLED, _S.CANCELED, _S.EXPIRED}),
    _S.PARTIALLY_FILLED: frozenset({_S.PARTIALLY_FILLED, _S.FILLED, _S.CANCELED, _S.EXPIRED}),
    _S.FILLED: frozenset(),
    _S.CANCELED: frozenset(),
    _S.REJECTED: frozenset(),
    _S.EXPIRED: frozenset(),
}


class IllegalTransition(CoinpilotError):
    """An order update contradicts the order's state (e.g. a fill after cancel). Reconcile."""


def check_transition(current: OrderStatus, new: OrderStatus) -> None:
    if new is current and not current.is_final and current is not OrderStatus.PARTIALLY_FILLED:
        return  # idempotent re-delivery of the same state
    if new not in ORDER_TRANSITIONS[current]:
        raise IllegalTransition(f"order cannot go from {current.value} to {new.value}")


@record
class OrderRequest:
    """What is sent to an exchange. Prices/quantities already rounded by the symbol filters."""

    client_order_id: str
    symbol: str
    side: OrderSide
    type: OrderType
    qty: Decimal | None  # None only with close_position
    price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    reduce_only: bool = False
    close_position: bool = False
    position_side: PositionSide = PositionSide.BOTH
    callback_rate: Decimal | None = None  # trailing stop, percent
    quote_qty: Decimal | None = None  # market orders sized in quote currency (qty from the fill price)
    tag: str = ""  # role: entry, sl, tp, exit, ...


@record
class Fill:
    trade_id: str
    client_order_id: str
    symbol: str
    side: OrderSide
    price: Decimal
    qty: Decimal
    fee: Decimal
    fee_asset: str
    is_maker: bool
    time: pd.Timestamp
    realized_pnl: Decimal = Decimal(0)
    position_side: PositionSide = PositionSide.BOTH


@dataclass(slots=True)
class Order:
    """An order's current state; mutate only through `apply`."""

    request: OrderRequest
    status: OrderStatus = OrderStatus.PENDING
    filled_qty: Decimal = Decimal(0)
    avg_price: Decimal = Decimal(0)
    exchange_order_id: str | None = None
    created_at: pd.Timestamp | None = None
    updated_at: pd.Timestamp | None = None
    reject_reason: str = ""
    reject_code: int | None = None
    fills: list[Fill] = field(default_factory=list)

    @property
    def client_order_id(self) -> str:
        return self.request.client_order_id

    @property
    def symbol(self) -> str:
        return self.request.symbol

    def apply(self, status: OrderStatus, when: pd.Timestamp, fill: Fill | None = None) -> None:
        check_transition(self.status, status)
        if fill is not None:
            if self.fills and any(f.trade_id == fill.trade_id for f in self.fills):
                return  # duplicate delivery of the same fill: already counted
            total = self.filled_qty + fill.qty
            self.avg_price = (self.avg_price * self.filled_qty + fill.price * fill.qty) / total
            self.filled_qty = total
            self.fills.append(fill)
        self.status = status
        self.updated_at = when

    def snapshot(self) -> Order:
        """An independent copy for event consumers (built directly: this runs per order event)."""
        return Order(self.request, self.status, self.filled_qty, self.avg_price, self.exchange_order_id,
                     self.created_at, self.updated_at, self.reject_reason, self.reject_code, list(self.fills))


def client_order_id(run_id: str, symbol: str, seq: int, role: str) -> str:
    """Deterministic id, so a retried or replayed submission can never create a second order.

    Binance allows 1-36 chars of [.A-Z:/a-z0-9_-]. The id is 'cp', a 12-hex digest of the run
    and symbol (so long run ids fit, and runs never share ids), up to 4 letters of the role, a
    dash and the sequence number in base 36: 29 characters at most below 36**10 orders per
    symbol, 36 at 36**16. The digest is computed once per (run, symbol), not per order.
    """
    if seq < 0:
        raise ValueError(f"order sequence must be >= 0, got {seq}")
    return f"{_id_prefix(run_id, symbol)}{role[:4]}-{_base36(seq)}"


@lru_cache(maxsize=4096)
def _id_prefix(run_id: str, symbol: str) -> str:
    return "cp" + hashlib.blake2s(f"{run_id}|{symbol}".encode(), digest_size=6).hexdigest()


_DIGITS36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def _base36(n: int) -> str:
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = _DIGITS36[r] + out
        if not n:
            return out
