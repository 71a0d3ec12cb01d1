"""Simulated account: wallet, positions folded from fills, margin, realised PnL, funding ledger.

Positions are derived from fills only (STYLE: positions folded from fills), in one-way mode
(one signed position per symbol) or hedge mode (a LONG and a SHORT leg per symbol).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

import pandas as pd

from coinpilot.domain.enums import OrderSide, Side
from coinpilot.domain.orders import PositionSide

ZERO = Decimal(0)


def dec(x: float) -> Decimal:
    """float → Decimal via the shortest repr, so 92759.3 stays 92759.3 (and round-trips);
    unchecked (the simulator's prices are finite): the checked version is domain.money.to_decimal."""
    return Decimal(repr(float(x)))


@dataclass
class SimPosition:
    symbol: str
    position_side: PositionSide
    qty: Decimal = ZERO  # signed in one-way mode (+ long, − short); >= 0 per hedge leg
    entry_price: Decimal = ZERO
    leverage: int = 1
    margin: Decimal = ZERO  # initial margin held (isolated) or allotted (cross)
    opened_at: pd.Timestamp | None = None

    @property
    def side(self) -> Side | None:
        qty = self.qty
        if not qty:  # Decimal zero, either sign
            return None
        position_side = self.position_side
        if position_side is PositionSide.BOTH:
            return Side.LONG if qty > 0 else Side.SHORT
        return Side.SHORT if position_side is PositionSide.SHORT else Side.LONG

    @property
    def size(self) -> Decimal:
        return abs(self.qty)

    def unrealized(self, price: Decimal) -> Decimal:
        side = self.side
        if side is None:
            return ZERO
        return (1 if side is Side.LONG else -1) * abs(self.qty) * (price - self.entry_price)


class FillEffect(NamedTuple):
    """What one fill did to a position: quantity closed/opened and realised PnL.

    A NamedTuple (immutable too) rather than a frozen dataclass: one is built per fill and
    only the simulator reads it."""

    closed_qty: Decimal
    opened_qty: Decimal
    realized_pnl: Decimal
    closed_side: Side | None
    entry_price_of_closed: Decimal


@dataclass
class SimAccount:
    asset: str
    wallet: Decimal
    hedge_mode: bool = False
    positions: dict[tuple[str, PositionSide], SimPosition] = field(default_factory=dict)
    funding_paid: Decimal = ZERO
    fees_paid: Decimal = ZERO

    def position(self, symbol: str, position_side: PositionSide = PositionSide.BOTH) -> SimPosition:
        key = (symbol, position_side)
        if key not in self.positions:
            self.positions[key] = SimPosition(symbol, position_side)
        return self.positions[key]

    def open_positions(self) -> list[SimPosition]:
        return [p for p in self.positions.values() if p.qty != 0]

    def used_margin(self) -> Decimal:
        return sum((p.margin for p in self.positions.values() if p.qty != 0), ZERO)

    def apply_fill(
        self, symbol: str, side: OrderSide, qty: Decimal, price: Decimal, fee: Decimal,
        position_side: PositionSide, leverage: int, when: pd.Timestamp,
    ) -> FillEffect:
        """Fold a fill into the position; book fee and realised PnL into the wallet."""
        pos = self.position(symbol, position_side)
        signed = qty if side is OrderSide.BUY else -qty
        if position_side is PositionSide.SHORT:
            signed = -signed  # a hedge SHORT leg grows with sells
        closed = opened = realized = ZERO
        closed_side = pos.side
        closed_entry = pos.entry_price
        if pos.qty != 0 and (pos.qty > 0) != (signed > 0):
            closed = min(abs(signed), abs(pos.qty))
            assert closed_side is not None
            realized = closed_side.sign * closed * (price - pos.entry_price)
            if position_side is PositionSide.SHORT:
                realized = closed * (pos.entry_price - price)
            release = pos.margin * closed / abs(pos.qty)
            pos.margin -= release
            pos.qty += closed if pos.qty < 0 else -closed
            signed += closed if signed < 0 else -closed
            if pos.qty == 0:
                pos.entry_price, pos.margin, pos.opened_at = ZERO, ZERO, None
        if signed != 0:
            opened = abs(signed)
            total = abs(pos.qty) + opened
            pos.entry_price = (pos.entry_price * abs(pos.qty) + price * opened) / total
            if pos.qty == 0:
                pos.opened_at = when
            pos.qty += signed
            pos.leverage = leverage
            pos.margin += opened * price / leverage
        self.wallet += realized - fee
        self.fees_paid += fee
        return FillEffect(closed, opened, realized, closed_side if closed else None, closed_entry)

    def book_funding(self, amount: Decimal) -> None:
        self.wallet += amount
        self.funding_paid -= amount
