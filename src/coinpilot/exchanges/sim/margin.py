"""Funding payments and liquidations of the simulator: what the venue does to a position
without an order from its owner.

Split from exchange.py (a mixin, like validation.OrderChecks) so the order book and matching
read apart from the margin side. Funding is paid at the stored funding times on the mark
price at that time (the bar's open when no mark series is stored); a position is liquidated
when the price reaches its maintenance-margin level from the symbol's leverage tiers (isolated:
the position's own margin; cross: the whole wallet), at that level or at a worse open (gap).
"""

from __future__ import annotations

from collections.abc import Awaitable

import pandas as pd

from coinpilot.domain.candles import utc_stamp
from coinpilot.domain.enums import Side
from coinpilot.domain.leverage import PositionLeg, isolated_liquidation_price, liquidation_price
from coinpilot.domain.orders import (
    Order,
    OrderRequest,
    OrderStatus,
    OrderType,
    PositionSide,
    exit_side,
)
from coinpilot.exchanges.base import ExchangeEvent, FundingEvent, LiquidationEvent
from coinpilot.exchanges.sim.account import ZERO, SimAccount, dec
from coinpilot.exchanges.sim.config import SimConfig
from coinpilot.exchanges.sim.market import SimMarket
from coinpilot.exchanges.sim.rules import OrderRules


class MarginEvents:
    """Mixin for SimExchange: needs the attributes and the order helpers below."""

    config: SimConfig
    rules: OrderRules
    acct: SimAccount
    orders: dict[str, Order]
    funding_ledger: list[FundingEvent]
    liquidations: list[LiquidationEvent]
    _liq: dict[tuple[str, PositionSide], float]
    _trade_seq: int

    def _emit(self, event: ExchangeEvent) -> Awaitable[None]:
        raise NotImplementedError

    def _execute(self, order: Order, price_f: float, i: int, when: pd.Timestamp, *, maker: bool) -> Awaitable[None]:
        raise NotImplementedError

    def liquidation_price(self, symbol: str, position_side: PositionSide = PositionSide.BOTH) -> float | None:
        return self._liq.get((symbol, position_side))

    def _update_liquidation(self, symbol: str, position_side: PositionSide) -> None:
        key = (symbol, position_side)
        if not self.config.liquidation:
            self._liq.pop(key, None)
            return
        pos = self.acct.position(symbol, position_side)
        tiers = self.rules.tiers.get(symbol) if self.rules.enabled else None
        side = pos.side
        if tiers is None or side is None:
            self._liq.pop(key, None)
            return
        if self.config.margin_mode == "isolated":
            price = isolated_liquidation_price(tiers, side=side, qty=pos.size, entry_price=pos.entry_price, margin=pos.margin)
        else:  # cross: the whole wallet backs the position (other positions' needs not netted)
            price = liquidation_price(tiers, wallet_balance=self.acct.wallet, legs=[PositionLeg(side, pos.size, pos.entry_price)])
        if price is None:
            self._liq.pop(key, None)
        else:
            self._liq[key] = float(price)

    async def _run_liquidation(self, m: SimMarket, i: int) -> None:
        for (sym, ps), level in list(self._liq.items()):
            if sym != m.symbol:
                continue
            pos = self.acct.position(sym, ps)
            side = pos.side
            if side is None:
                continue
            o, h, lo = float(m.open[i]), float(m.high[i]), float(m.low[i])
            if side is Side.LONG and lo <= level:
                price = min(o, level)
            elif side is Side.SHORT and h >= level:
                price = max(o, level)
            else:
                continue
            when = utc_stamp(int(m.times[i]))
            self._trade_seq += 1
            req = OrderRequest(f"liq-{self._trade_seq}", sym, exit_side(side), OrderType.MARKET, pos.size,
                               reduce_only=True, position_side=ps, tag="liquidation")
            order = Order(request=req, created_at=when)
            self.orders[req.client_order_id] = order
            order.apply(OrderStatus.NEW, when)
            qty = pos.size
            await self._execute(order, price, i, when, maker=False)
            loss = -(side.sign * qty * (dec(price) - pos.entry_price)) if pos.qty else ZERO
            self.liquidations.append(LiquidationEvent(sym, side, qty, dec(price), when, loss))

    async def _apply_funding(self, m: SimMarket, after_ms: int, upto_ms: int, i: int) -> None:
        for k in m.funding_between(after_ms, upto_ms):
            t_ms = int(m.funding_times[k])
            for pos in [p for p in self.acct.open_positions() if p.symbol == m.symbol]:
                side = pos.side
                assert side is not None
                mark = dec(m.mark_at(t_ms, float(m.open[i])))
                rate = dec(m.funding_rates[k])
                amount = -side.sign * pos.size * mark * rate
                self.acct.book_funding(amount)
                event = FundingEvent(m.symbol, utc_stamp(t_ms), rate, mark, amount)
                self.funding_ledger.append(event)
                await self._emit(event)
