"""Pre-trade checks of the simulator: what the venue refuses before an order rests or fills.

Split from exchange.py so the order book and matching read apart from the refusals. Every
check raises OrderRejected with the venue's code; the exchange turns it into a REJECTED order.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from coinpilot.domain.enums import OrderSide
from coinpilot.domain.errors import OrderRejected
from coinpilot.domain.orders import Order, OrderRequest, OrderType, PositionSide, exit_side
from coinpilot.exchanges.sim.account import ZERO, SimAccount, SimPosition
from coinpilot.exchanges.sim.config import SimConfig
from coinpilot.exchanges.sim.market import SimMarket
from coinpilot.exchanges.sim.rules import OrderRules


class OrderChecks:
    """Mixin for SimExchange: needs the attributes and the price/position helpers below."""

    config: SimConfig
    rules: OrderRules
    market: str
    markets: dict[str, SimMarket]
    acct: SimAccount

    def leverage(self, symbol: str) -> int:
        raise NotImplementedError

    def _last_price(self, symbol: str) -> Decimal:
        raise NotImplementedError

    def _position_for(self, req: OrderRequest) -> SimPosition:
        raise NotImplementedError

    def _validate(self, order: Order) -> None:
        req = order.request
        symbol = req.symbol
        if symbol not in self.markets:
            raise OrderRejected(f"Invalid symbol {symbol}.", code=-1121)
        hedge = self.acct.hedge_mode
        if hedge == (req.position_side is PositionSide.BOTH):  # LONG/SHORT in hedge mode, BOTH else
            mode = "hedge" if hedge else "one-way"
            raise OrderRejected(
                f"Order's position side does not match user's setting ({req.position_side.value} in {mode} mode).",
                code=-4061)
        if hedge and req.reduce_only:  # Binance: reduceOnly cannot be sent in hedge mode
            raise OrderRejected("Parameter 'reduceOnly' sent when not required (hedge mode).", code=-1106)
        if hedge and req.close_position and not reduces(req):
            raise OrderRejected(
                f"closePosition cannot be used with {req.side.value} orders in {req.position_side.value} position side.",
                code=-1106)
        position = self._position_for(req)
        if self._reduce_blocked(req, position):
            raise OrderRejected("ReduceOnly Order is rejected.", code=-2022)
        ref = self._last_price(symbol)
        if req.type in (OrderType.STOP_MARKET, OrderType.TAKE_PROFIT_MARKET, OrderType.TAKE_PROFIT):
            assert req.stop_price is not None
            falling = fires_when_falling(req)
            if (falling and req.stop_price >= ref) or (not falling and req.stop_price <= ref):
                raise OrderRejected("Order would immediately trigger.", code=-2021)
        if req.qty is None and req.quote_qty is None and not req.close_position:
            raise OrderRejected("Quantity less than or equal to zero.", code=-4003)
        if req.quote_qty is not None and req.type is not OrderType.MARKET:
            raise OrderRejected("quote_qty is only for market orders", code=-1106)
        qty = req.qty
        if req.quote_qty is not None:
            est = req.quote_qty / ref
            flt = self.rules.filters.get(symbol) if self.rules.enabled else None
            qty = flt.floor_qty_to_step(est, market=True) if flt else est
        if qty is None:
            return
        rules = self.rules
        if rules.enabled:
            rules.validate(symbol, req if qty is req.qty else replace(req, qty=qty), ref)
        opening = not reduces(req)
        # the size and margin checks only when something enforces them: the reference
        # profile runs without tiers or margin checks, and this runs for every order
        if opening and rules.enabled and symbol in rules.tiers:
            price = req.price or req.stop_price or ref
            rules.check_position_size(symbol, position.size * price + qty * price, self.leverage(symbol))
        if self.market == "spot":
            self._check_spot(req, qty, req.price or req.stop_price or ref, position)
        elif opening and self.config.check_margin:
            price = req.price or req.stop_price or ref
            need = qty * price / self.leverage(symbol)
            if need > self._available():
                raise OrderRejected("Margin is insufficient.", code=-2019)

    def _check_spot(self, req: OrderRequest, qty: Decimal, price: Decimal, position: SimPosition) -> None:
        """Spot (Upbit KRW): sell only what is held, buy only with the quote balance plus fee."""
        if req.side is OrderSide.SELL:
            held = position.size if position.side is not None and position.qty > 0 else ZERO
            if qty > held:
                raise OrderRejected(f"insufficient_funds_ask: holding {held}, selling {qty}")
            return
        cost = qty * price * (1 + self.config.taker_fee)
        if cost > self._available():
            raise OrderRejected(f"insufficient_funds_bid: {cost} needed, {self._available()} available")

    def _reduce_blocked(self, req: OrderRequest, position: SimPosition | None = None) -> bool:
        """A reducing order (see `reduces`) with no position of the other side to reduce."""
        if not reduces(req):
            return False
        if position is None:
            position = self._position_for(req)
        return position.side is None or exit_side(position.side) is not req.side

    def _available(self) -> Decimal:
        # one pass over the positions, summing in the same order as open_positions() and
        # used_margin() would (so the Decimals are identical); this runs for every entry
        upnl = used = ZERO
        for p in self.acct.positions.values():
            if p.qty != 0:
                upnl += p.unrealized(self._last_price(p.symbol))
                used += p.margin
        return self.acct.wallet - used + min(upnl, ZERO)


def reduces(req: OrderRequest) -> bool:
    """Can this order only shrink a position? Reduce-only and close-position orders, and in
    hedge mode a sell on the LONG leg or a buy on the SHORT leg (there they cannot open)."""
    if req.reduce_only or req.close_position:
        return True
    leg = req.position_side
    return (leg is PositionSide.LONG and req.side is OrderSide.SELL) or (
        leg is PositionSide.SHORT and req.side is OrderSide.BUY)


def fires_when_falling(req: OrderRequest) -> bool:
    """Does this resting order trigger/fill when price falls to its level?"""
    if req.type is OrderType.LIMIT:
        return req.side is OrderSide.BUY
    if req.type is OrderType.STOP_MARKET:
        return req.side is OrderSide.SELL
    return req.side is OrderSide.BUY  # take-profit: a buy TP closes a short below the price
