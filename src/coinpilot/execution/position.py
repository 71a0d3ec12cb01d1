"""The order manager's records: an entry waiting for its fill, and one position's life from
first entry fill to last exit fill."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd

from coinpilot.domain.enums import Side
from coinpilot.domain.intent import Intent
from coinpilot.domain.orders import Fill
from coinpilot.domain.trade import ExitReason, Trade

ZERO = Decimal(0)


class PendingEntry:
    """An approved entry sent but not filled yet (a limit may be repriced until `deadline`)."""

    def __init__(self, intent: Intent, order_id: str, bar: int, qty: Decimal | None,
                 quote_qty: Decimal | None, deadline: int | None, reprices_left: int) -> None:
        self.intent, self.order_id, self.bar = intent, order_id, bar
        self.qty, self.quote_qty = qty, quote_qty
        self.deadline, self.reprices_left = deadline, reprices_left
        self.first_price: Decimal | None = None


@dataclass
class ManagedPosition:
    symbol: str
    side: Side
    intent: Intent
    opened_bar: int
    entry_fills: list[Fill] = field(default_factory=list)
    exit_fills: list[Fill] = field(default_factory=list)
    funding: Decimal = ZERO
    stop_price: Decimal | None = None
    initial_stop: Decimal | None = None
    initial_target: Decimal | None = None
    stop_order: str | None = None
    target_orders: list[str] = field(default_factory=list)
    exit_reasons: dict[str, ExitReason] = field(default_factory=dict)  # client id -> reason
    break_even_level: float | None = None
    break_even_done: bool = False
    deadline_bar: int | None = None
    closing: bool = False
    # running sums over the fill lists (entry qty, entry qty × price, exit qty), extended in
    # fill order so they equal sum(...) over the lists: the order manager reads them at every
    # fill and bar close. `_counted` is how many fills of each list they include; the lists
    # only ever grow (appends), and a shorter list starts the sums over.
    _sums: tuple[Decimal, Decimal, Decimal] = field(default=(ZERO, ZERO, ZERO), init=False, repr=False)
    _counted: tuple[int, int] = field(default=(0, 0), init=False, repr=False)

    def _totals(self) -> tuple[Decimal, Decimal, Decimal]:
        entries, exits = self.entry_fills, self.exit_fills
        counted = self._counted
        if counted[0] == len(entries) and counted[1] == len(exits):
            return self._sums
        qty, cost, out = self._sums
        if counted[0] > len(entries) or counted[1] > len(exits):  # a list was cut: start over
            qty = cost = out = ZERO
            counted = (0, 0)
        for fill in entries[counted[0]:]:
            qty += fill.qty
            cost += fill.price * fill.qty
        for fill in exits[counted[1]:]:
            out += fill.qty
        self._sums, self._counted = (qty, cost, out), (len(entries), len(exits))
        return self._sums

    @property
    def entry_qty(self) -> Decimal:
        return self._totals()[0]

    @property
    def exit_qty(self) -> Decimal:
        return self._totals()[2]

    @property
    def open_qty(self) -> Decimal:
        qty, _, out = self._totals()
        return qty - out

    @property
    def entry_price(self) -> Decimal:
        qty, cost, _ = self._totals()
        return cost / qty if qty else ZERO

    def to_trade(self, run_seq: int, last_reason: ExitReason) -> Trade:
        qty = self.entry_qty
        exit_qty = self.exit_qty
        exit_price = sum((f.price * f.qty for f in self.exit_fills), ZERO) / exit_qty
        entry_price = self.entry_price
        gross = sum((self.side.sign * f.qty * (f.price - entry_price) for f in self.exit_fills), ZERO)
        fees = sum((f.fee for f in self.entry_fills + self.exit_fills), ZERO)
        return Trade(
            symbol=self.symbol, side=self.side, strategy=self.intent.strategy,
            entry_time=self.entry_fills[0].time, entry_price=entry_price,
            exit_time=self.exit_fills[-1].time, exit_price=exit_price, qty=qty,
            gross_pnl=gross, fees=fees, funding=self.funding, net_pnl=gross - fees + self.funding,
            exit_reason=last_reason, entry_reason=self.intent.reason, trade_id=f"{self.symbol}-{run_seq}",
            meta={
                "stop": float(self.stop_price) if self.stop_price is not None else None,
                "initial_stop": float(self.initial_stop) if self.initial_stop is not None else None,
                "initial_target": float(self.initial_target) if self.initial_target is not None else None,
                "score": self.intent.score, "probability": self.intent.probability,
            },
        )


def entry_time(p: ManagedPosition) -> pd.Timestamp:
    return p.entry_fills[0].time
