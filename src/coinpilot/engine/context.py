"""Builds the risk manager's AccountView from the exchange port (same code for sim and live)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal

import pandas as pd

from coinpilot.domain.filters import SymbolFilters
from coinpilot.domain.leverage import LeverageTiers
from coinpilot.domain.orders import PositionSide
from coinpilot.exchanges.base import Exchange, PositionSnapshot
from coinpilot.execution.order_manager import OrderManager
from coinpilot.risk.types import AccountView, MarketView, PositionView

PriceFn = Callable[[str], Decimal]
FundingFn = Callable[[str, pd.Timestamp], pd.Timestamp | None]


class _Markets(Mapping[str, MarketView]):
    """Lazy: a MarketView is built only for the symbols a rule actually asks about."""

    def __init__(self, viewer: AccountViewer, now: pd.Timestamp) -> None:
        self._viewer, self._now = viewer, now

    def __getitem__(self, symbol: str) -> MarketView:
        v = self._viewer
        if symbol not in v.symbols:
            raise KeyError(symbol)
        price = v.price(symbol)
        next_funding = v.next_funding(symbol, self._now) if v.next_funding else None
        # every entry asks for its symbol's view; while the price and the next funding time
        # are the very same objects as last time (identity: Decimal('1.0') == Decimal('1.00')
        # yet they print apart), the view built then is still exact, and views are frozen
        filters, tiers = v.filters.get(symbol), v.tiers.get(symbol)
        known = v._markets.get(symbol)
        if (known is not None and known.last_price is price and known.next_funding_time is next_funding
                and known.filters is filters and known.leverage_tiers is tiers
                and known.has_funding is v.has_funding):
            return known
        view = v._markets[symbol] = MarketView(
            symbol=symbol, last_price=price, filters=filters,
            leverage_tiers=tiers, spread_bps=None,
            next_funding_time=next_funding, has_funding=v.has_funding,
        )
        return view

    def get(self, symbol: str, default: MarketView | None = None) -> MarketView | None:  # type: ignore[override]
        # direct: Mapping.get goes through __getitem__ and a try/except per call
        if symbol not in self._viewer.symbols:
            return default
        return self[symbol]

    def __contains__(self, symbol: object) -> bool:
        return symbol in self._viewer.symbols

    def __iter__(self) -> Iterator[str]:
        return iter(self._viewer.symbols)

    def __len__(self) -> int:
        return len(self._viewer.symbols)


class AccountViewer:
    def __init__(
        self,
        exchange: Exchange,
        om: OrderManager,
        symbols: list[str],
        price: PriceFn,
        base_balance: Decimal,
        leverage: int,
        filters: Mapping[str, SymbolFilters] | None = None,
        tiers: Mapping[str, LeverageTiers] | None = None,
        next_funding: FundingFn | None = None,
        has_funding: bool = True,
    ) -> None:
        self.exchange, self.om, self.symbols, self.price = exchange, om, symbols, price
        self.base_balance, self.leverage = base_balance, leverage
        self.filters = dict(filters or {})
        self.tiers = dict(tiers or {})
        self.next_funding = next_funding
        self.has_funding = has_funding
        self._views: dict[tuple[str, PositionSide], tuple[PositionSnapshot, str, PositionView]] = {}
        self._markets: dict[str, MarketView] = {}  # the last view built per symbol (_Markets)

    async def view(self, now: pd.Timestamp) -> AccountView:
        acct = await self.exchange.account()
        positions = []
        managed_positions, views = self.om.positions, self._views
        for p in await self.exchange.positions():
            managed = managed_positions.get(p.symbol)
            strategy = managed.intent.strategy if managed else ""
            key = (p.symbol, p.position_side)
            known = views.get(key)
            # an exchange that hands out the same snapshot while a position is unchanged (the
            # simulator) gets the same view back; one without an open time depends on `now`
            if known is not None and known[0] is p and known[1] == strategy and p.opened_at is not None:
                positions.append(known[2])
                continue
            view = PositionView(  # symbol, side, qty, entry_price, notional, strategy, opened_at
                p.symbol, p.side, p.qty, p.entry_price, p.qty * p.entry_price,
                strategy, p.opened_at if p.opened_at is not None else now,
            )
            views[key] = (p, strategy, view)
            positions.append(view)
        return AccountView(
            time=now, equity=acct.equity, wallet_balance=acct.wallet_balance,
            available_balance=acct.available_balance, base_balance=self.base_balance,
            positions=tuple(positions), n_symbols=len(self.symbols), leverage=self.leverage,
            markets=_Markets(self, now),
        )
