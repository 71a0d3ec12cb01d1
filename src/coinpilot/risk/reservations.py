"""Entries approved but not yet visible in the account: they hold their slot and their margin.

Why: between approval and fill the exchange does not show the position (a backtest fills at the
next open; a live order takes a round trip). Without a reservation a second intent in that gap
would see a free slot and the same free balance (P07) and over-commit the account. A
reservation ends when the account shows the position, when the entry fails, or when a trade
on that symbol and side closes (opened and closed between two snapshots).
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from coinpilot.domain.enums import Side
from coinpilot.domain.records import record
from coinpilot.risk.types import PositionView

ZERO = Decimal(0)


@record
class Reservation:
    symbol: str
    side: Side
    strategy: str
    qty: Decimal
    price: Decimal
    notional: Decimal
    margin: Decimal
    time: pd.Timestamp
    prior_qty: Decimal  # what the account held on (symbol, side) at approval

    def as_position(self) -> PositionView:
        return PositionView(
            self.symbol, self.side, self.qty, self.price, self.notional, self.strategy, self.time
        )


def held_qty(positions: tuple[PositionView, ...], symbol: str, side: Side) -> Decimal:
    return sum((p.qty for p in positions if p.symbol == symbol and p.side is side), ZERO)


class PendingEntries:
    def __init__(self) -> None:
        self._items: list[Reservation] = []

    def __len__(self) -> int:
        return len(self._items)

    def add(self, reservation: Reservation) -> None:
        self._items.append(reservation)

    def positions(self) -> list[PositionView]:
        return [r.as_position() for r in self._items]

    def margin(self) -> Decimal:
        return sum((r.margin for r in self._items), ZERO)

    def settle(self, positions: tuple[PositionView, ...]) -> None:
        """Drop reservations whose position the account now shows (its qty grew)."""
        if self._items:
            self._items = [
                r for r in self._items if held_qty(positions, r.symbol, r.side) <= r.prior_qty
            ]

    def release(self, symbol: str) -> bool:
        """Drop the latest reservation on `symbol`; False if there was none."""
        for i in range(len(self._items) - 1, -1, -1):
            if self._items[i].symbol == symbol:
                del self._items[i]
                return True
        return False

    def closed(self, symbol: str, side: Side) -> None:
        self._items = [r for r in self._items if not (r.symbol == symbol and r.side is side)]
