"""What the simulated account looks like through the exchange port: positions and balances.

Split from exchange.py (a mixin, like validation.OrderChecks): the order book and matching
live there, the read side here. Every entry the engine considers asks for the account and
all open positions, so position snapshots are reused while nothing they show has changed.
"""

from __future__ import annotations

from decimal import Decimal

from coinpilot.domain.orders import PositionSide
from coinpilot.exchanges.base import AccountSnapshot, PositionSnapshot
from coinpilot.exchanges.sim.account import ZERO, SimAccount, SimPosition
from coinpilot.exchanges.sim.config import SimConfig


class AccountViews:
    """Mixin for SimExchange: needs the account, the config and `_last_price`."""

    config: SimConfig
    acct: SimAccount
    # (symbol, position side): (the fields and price it was built from, snapshot)
    _snapshots: dict[tuple[str, PositionSide], tuple[tuple[object, ...], PositionSnapshot]]

    def _last_price(self, symbol: str) -> Decimal:
        raise NotImplementedError

    async def positions(self) -> list[PositionSnapshot]:
        return [self._snapshot(p) for p in self.acct.open_positions()]

    async def account(self) -> AccountSnapshot:
        # one pass for unrealised PnL and margin (the sums run in the same order as
        # SimAccount.used_margin and open_positions, so the Decimals are the same); the
        # snapshot holds the unrealised PnL, and positions() asks for the same snapshots
        upnl = used = ZERO
        for p in self.acct.positions.values():
            if p.qty != 0:
                upnl += self._snapshot(p).unrealized_pnl
                used += p.margin
        wallet = self.acct.wallet
        available = wallet - used + min(upnl, ZERO)
        return AccountSnapshot(self.acct.asset, wallet, upnl, available)

    def _snapshot(self, p: SimPosition) -> PositionSnapshot:
        """The position as the port reports it. Every entry asks for all open positions and
        most of them (other symbols') have not changed since it last asked, so the snapshot
        is reused while the position's fields and its price are the very same objects
        (identity, not equality: Decimal('1.0') == Decimal('1.00'), yet they print apart)."""
        price = self._last_price(p.symbol)
        key = (p.symbol, p.position_side)
        cached = self._snapshots.get(key)
        if cached is not None:
            qty, entry, leverage, margin, opened_at, seen_price = cached[0]
            if (qty is p.qty and entry is p.entry_price and leverage is p.leverage and margin is p.margin
                    and opened_at is p.opened_at and seen_price is price):
                return cached[1]
        side = p.side
        assert side is not None
        snapshot = PositionSnapshot(  # symbol, side, qty, entry_price, leverage, isolated_margin,
            # liquidation_price, unrealized_pnl, position_side, opened_at
            p.symbol, side, abs(p.qty), p.entry_price, p.leverage,
            p.margin if self.config.margin_mode == "isolated" else ZERO,
            None, p.unrealized(price), p.position_side, p.opened_at,
        )
        self._snapshots[key] = ((p.qty, p.entry_price, p.leverage, p.margin, p.opened_at, price), snapshot)
        return snapshot
