"""SimExchange: Binance USDⓈ-M / Upbit spot behaviour replayed over stored candles.

The engine drives it bar by bar per symbol (`process_bar`); between bars it asks
`next_activity_bar` where the next thing can happen, which is what makes backtests fast. Order
validation uses the same domain filters and raises the same error codes as the real venue.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import numpy as np
import pandas as pd

from coinpilot.domain.enums import OrderSide, Side
from coinpilot.domain.errors import OrderRejected
from coinpilot.domain.orders import (
    Fill,
    Order,
    OrderRequest,
    OrderStatus,
    OrderType,
    PositionSide,
    TimeInForce,
)
from coinpilot.exchanges.base import (
    AccountSnapshot,
    ExchangeEvent,
    FundingEvent,
    LiquidationEvent,
    Listener,
    OrderEvent,
    PositionSnapshot,
)
from coinpilot.exchanges.sim.account import ZERO, SimAccount, SimPosition
from coinpilot.exchanges.sim.config import SimConfig
from coinpilot.exchanges.sim.market import (
    SimMarket,
    first_at_or_above,
    first_at_or_below,
    first_trailing_hit,
)
from coinpilot.exchanges.sim.matching import TriggerHit, order_trigger, sort_hits
from coinpilot.exchanges.sim.rules import OrderRules


def dec(x: float) -> Decimal:
    """float → Decimal via the shortest repr, so 92759.3 stays 92759.3 (and round-trips)."""
    return Decimal(repr(float(x)))


class SimExchange:
    venue = "sim"

    def __init__(self, config: SimConfig | None = None, rules: OrderRules | None = None, market: str = "futures") -> None:
        self.config = config or SimConfig()
        self.market = market
        self.rules = rules or OrderRules(enabled=False)
        self.markets: dict[str, SimMarket] = {}
        self.cursor: dict[str, int] = {}  # last bar index whose close has been reached
        self.acct = SimAccount(self.config.asset, self.config.initial_balance, self.config.hedge_mode)
        self.orders: dict[str, Order] = {}
        self._resting: dict[str, list[Order]] = {}
        self._pending_market: dict[str, list[Order]] = {}
        self._leverage: dict[str, int] = {}
        self._listeners: list[Listener] = []
        self._trailing_extreme: dict[str, float] = {}
        self._trade_seq = 0
        self._scan_cache: dict[str, tuple[int, int]] = {}
        self._liq: dict[tuple[str, PositionSide], float] = {}
        self._price_now: dict[str, float] = {}
        self._now_cache: dict[str, tuple[int, pd.Timestamp]] = {}
        self._price_cache: dict[str, tuple[tuple[int, float | None], Decimal]] = {}
        self.funding_ledger: list[FundingEvent] = []
        self.liquidations: list[LiquidationEvent] = []

    # ---- set-up ---------------------------------------------------------------------------
    def add_market(self, market: SimMarket) -> None:
        self.markets[market.symbol] = market
        self.cursor[market.symbol] = -1
        self._resting[market.symbol] = []
        self._pending_market[market.symbol] = []

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    async def _emit(self, event: ExchangeEvent) -> None:
        for listener in self._listeners:
            await listener(event)

    def now(self, symbol: str) -> pd.Timestamp:
        """The simulated time for a symbol: the close of its last processed bar (cached)."""
        i = self.cursor[symbol]
        cached = self._now_cache.get(symbol)
        if cached is not None and cached[0] == i:
            return cached[1]
        m = self.markets[symbol]
        ts = m.close_time(i) if i >= 0 else m.time(0)
        self._now_cache[symbol] = (i, ts)
        return ts

    # ---- the port ---------------------------------------------------------------------------
    async def set_leverage(self, symbol: str, leverage: int) -> None:
        self.rules.check_leverage_setting(symbol, leverage)
        self._leverage[symbol] = leverage

    def leverage(self, symbol: str) -> int:
        return self._leverage.get(symbol, self.config.default_leverage)

    async def submit(self, request: OrderRequest) -> Order:
        symbol = request.symbol
        when = self.now(symbol)
        if request.client_order_id in self.orders:
            return self.orders[request.client_order_id].snapshot()  # idempotent resubmission
        order = Order(request=request, created_at=when)
        self.orders[request.client_order_id] = order
        try:
            self._validate(order)
        except OrderRejected as exc:
            order.reject_reason, order.reject_code = str(exc), exc.code
            order.apply(OrderStatus.REJECTED, when)
            await self._emit(OrderEvent(order.snapshot(), None, when))
            return order.snapshot()
        order.apply(OrderStatus.NEW, when)
        await self._emit(OrderEvent(order.snapshot(), None, when))
        if request.type is OrderType.MARKET:
            if self.config.market_fill == "close" and self.cursor[symbol] >= 0:
                i = self.cursor[symbol]
                await self._fill_market(order, float(self.markets[symbol].close[i]), i, when)
            else:
                self._pending_market[symbol].append(order)
        elif request.type is OrderType.LIMIT and request.time_in_force in (TimeInForce.IOC, TimeInForce.FOK):
            await self._fill_immediate_limit(order, when)
        elif request.type is OrderType.LIMIT and request.time_in_force is TimeInForce.GTX and self._would_take(order):
            order.reject_reason = "Order would immediately match and take (post-only)"
            order.reject_code = -5022
            order.apply(OrderStatus.EXPIRED, when)
            await self._emit(OrderEvent(order.snapshot(), None, when))
        else:
            if request.type is OrderType.TRAILING_STOP_MARKET:
                i = max(self.cursor[symbol], 0)
                self._trailing_extreme[request.client_order_id] = float(self.markets[symbol].close[i])
            self._resting[symbol].append(order)
        return order.snapshot()

    async def cancel(self, symbol: str, client_order_id: str) -> Order:
        order = self.orders.get(client_order_id)
        when = self.now(symbol)
        if order is None or order.status.is_final:
            raise OrderRejected("Unknown order sent.", code=-2011)
        self._drop(order)
        order.apply(OrderStatus.CANCELED, when)
        await self._emit(OrderEvent(order.snapshot(), None, when))
        return order.snapshot()

    async def cancel_all(self, symbol: str) -> list[Order]:
        live = [o for o in self._resting[symbol] + self._pending_market[symbol]]
        return [await self.cancel(symbol, o.client_order_id) for o in live]

    async def open_orders(self, symbol: str | None = None) -> list[Order]:
        symbols = [symbol] if symbol else list(self.markets)
        return [o.snapshot() for s in symbols for o in self._resting[s] + self._pending_market[s]]

    async def positions(self) -> list[PositionSnapshot]:
        return [self._snapshot(p) for p in self.acct.open_positions()]

    async def account(self) -> AccountSnapshot:
        upnl = sum((p.unrealized(self._last_price(p.symbol)) for p in self.acct.open_positions()), ZERO)
        wallet = self.acct.wallet
        available = wallet - self.acct.used_margin() + min(upnl, ZERO)
        return AccountSnapshot(self.acct.asset, wallet, upnl, available)

    # ---- driving the simulation -------------------------------------------------------------
    async def process_bar(self, symbol: str, i: int) -> None:
        """Simulate candle i of `symbol`: funding, queued market orders, triggers, liquidation."""
        m = self.markets[symbol]
        prev = self.cursor[symbol]
        if i <= prev:
            raise ValueError(f"{symbol}: bar {i} already processed (at {prev})")
        after_ms = int(m.times[prev]) if prev >= 0 else int(m.times[0]) - 1
        if self.config.funding == "apply":
            await self._apply_funding(m, after_ms, int(m.times[i]), i)
        if i > prev + 1:  # bars skipped by the sparse clock still move trailing stops' extremes
            for order in self._resting[symbol]:
                if order.request.type is OrderType.TRAILING_STOP_MARKET:
                    key = order.client_order_id
                    lo, hi = prev + 1, i
                    if order.request.side is OrderSide.SELL:
                        self._trailing_extreme[key] = max(self._trailing_extreme[key], float(m.high[lo:hi].max()))
                    else:
                        self._trailing_extreme[key] = min(self._trailing_extreme[key], float(m.low[lo:hi].min()))
        self._price_now[symbol] = float(m.open[i])
        # orders that listeners send while the open is being filled (a re-entry after a
        # reverse close) fill at the same open, as they would milliseconds later in reality
        if self._pending_market[symbol]:
            opened_at = m.time(i)
            while self._pending_market[symbol]:
                order = self._pending_market[symbol].pop(0)
                await self._fill_market(order, float(m.open[i]), i, opened_at)
        await self._run_triggers(m, i)
        await self._run_liquidation(m, i)
        self._price_now.pop(symbol, None)
        self.cursor[symbol] = i
        for order in self._resting[symbol]:
            if order.request.type is OrderType.TRAILING_STOP_MARKET:
                self._update_trailing(order, m, i)

    def has_pending(self, symbol: str) -> bool:
        return bool(self._pending_market[symbol])

    async def settle_pending(self, symbol: str, price: float, i: int) -> None:
        """Fill queued market orders at `price` on bar i (end-of-data settlement only)."""
        when = self.markets[symbol].time(i)
        while self._pending_market[symbol]:
            order = self._pending_market[symbol].pop(0)
            await self._execute(order, price, i, when, maker=False)

    def next_activity_bar(self, symbol: str, start: int) -> int:
        """Earliest bar >= start where this symbol's orders, positions or funding need work."""
        m = self.markets[symbol]
        if start >= len(m):
            return -1
        if self._pending_market[symbol]:
            return start
        best = -1
        for order in self._resting[symbol]:
            best = _earliest(best, self._cached_scan(order, m, start))
        if any(p.symbol == symbol for p in self.acct.open_positions()) and self.config.funding == "apply":
            best = _earliest(best, m.next_funding_bar(start))
        for (sym, ps), level in self._liq.items():
            if sym == symbol:
                pos = self.acct.position(sym, ps)
                falling = pos.side is Side.LONG
                best = _earliest(best, first_at_or_below(m.low, start, level) if falling else first_at_or_above(m.high, start, level))
        return best

    def liquidation_price(self, symbol: str, position_side: PositionSide = PositionSide.BOTH) -> float | None:
        return self._liq.get((symbol, position_side))

    def _update_liquidation(self, symbol: str, position_side: PositionSide) -> None:
        key = (symbol, position_side)
        pos = self.acct.position(symbol, position_side)
        tiers = self.rules.tiers.get(symbol) if self.rules.enabled else None
        side = pos.side
        if not self.config.liquidation or tiers is None or side is None:
            self._liq.pop(key, None)
            return
        from coinpilot.domain.leverage import (
            PositionLeg,
            isolated_liquidation_price,
            liquidation_price,
        )

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
            when = m.time(i)
            self._trade_seq += 1
            req = OrderRequest(f"liq-{self._trade_seq}", sym, _closing_side(side), OrderType.MARKET, pos.size,
                               reduce_only=True, position_side=ps, tag="liquidation")
            order = Order(request=req, created_at=when)
            self.orders[req.client_order_id] = order
            order.apply(OrderStatus.NEW, when)
            qty = pos.size
            await self._execute(order, price, i, when, maker=False)
            loss = -(side.sign * qty * (dec(price) - pos.entry_price)) if pos.qty else ZERO
            self.liquidations.append(LiquidationEvent(sym, side, qty, dec(price), when, loss))

    # ---- internals ----------------------------------------------------------------------------
    def _validate(self, order: Order) -> None:
        req = order.request
        symbol = req.symbol
        if symbol not in self.markets:
            raise OrderRejected(f"Invalid symbol {symbol}.", code=-1121)
        position = self._position_for(req)
        if self._reduce_blocked(req):
            raise OrderRejected("ReduceOnly Order is rejected.", code=-2022)
        ref = self._last_price(symbol)
        if req.type in (OrderType.STOP_MARKET, OrderType.TAKE_PROFIT_MARKET, OrderType.TAKE_PROFIT):
            assert req.stop_price is not None
            falling = _fires_when_falling(req)
            if (falling and req.stop_price >= ref) or (not falling and req.stop_price <= ref):
                raise OrderRejected("Order would immediately trigger.", code=-2021)
        if req.qty is None and req.quote_qty is None and not req.close_position:
            raise OrderRejected("Quantity less than or equal to zero.", code=-4003)
        if req.quote_qty is not None and req.type is not OrderType.MARKET:
            raise OrderRejected("quote_qty is only for market orders", code=-1106)
        if req.quote_qty is not None:
            est = req.quote_qty / ref
            flt = self.rules.filters.get(symbol) if self.rules.enabled else None
            req = replace(req, qty=flt.floor_qty_to_step(est, market=True) if flt else est)
        if req.qty is not None:
            self.rules.validate(symbol, req, ref)
            if not (req.reduce_only or req.close_position):
                price = req.price or req.stop_price or ref
                self.rules.check_position_size(symbol, position.size * price + req.qty * price, self.leverage(symbol))
            if self.config.check_margin and not (req.reduce_only or req.close_position):
                price = req.price or req.stop_price or ref
                need = req.qty * price / self.leverage(symbol)
                if need > self._available():
                    raise OrderRejected("Margin is insufficient.", code=-2019)

    def _reduce_blocked(self, req: OrderRequest) -> bool:
        """A reduce-only / close-position order with no position of the other side to reduce."""
        if not (req.reduce_only or req.close_position):
            return False
        position = self._position_for(req)
        return position.side is None or _closing_side(position.side) is not req.side

    def _available(self) -> Decimal:
        upnl = sum((p.unrealized(self._last_price(p.symbol)) for p in self.acct.open_positions()), ZERO)
        return self.acct.wallet - self.acct.used_margin() + min(upnl, ZERO)

    def _last_price(self, symbol: str) -> Decimal:
        """The price 'now': the open while a bar's open is being filled, else the last close."""
        live = self._price_now.get(symbol)
        key = (self.cursor[symbol], live)
        cached = self._price_cache.get(symbol)
        if cached is not None and cached[0] == key:
            return cached[1]
        if live is not None:
            price = dec(live)
        else:
            m, i = self.markets[symbol], self.cursor[symbol]
            price = dec(m.close[i] if i >= 0 else m.open[0])
        self._price_cache[symbol] = (key, price)
        return price

    def _position_for(self, req: OrderRequest) -> SimPosition:
        return self.acct.position(req.symbol, req.position_side)

    def _would_take(self, order: Order) -> bool:
        price, ref = order.request.price, self._last_price(order.request.symbol)
        assert price is not None
        return price >= ref if order.request.side is OrderSide.BUY else price <= ref

    def _drop(self, order: Order) -> None:
        for book in (self._resting, self._pending_market):
            if order in book[order.symbol]:
                book[order.symbol].remove(order)
        self._trailing_extreme.pop(order.client_order_id, None)
        self._scan_cache.pop(order.client_order_id, None)

    def _cached_scan(self, order: Order, m: SimMarket, start: int) -> int:
        """A resting order's level is fixed, so its first trigger bar from `start` stays valid
        while start has not passed it (trailing stops move, and are always rescanned)."""
        if order.request.type is OrderType.TRAILING_STOP_MARKET:
            return self._scan_order(order, m, start)
        cached = self._scan_cache.get(order.client_order_id)
        if cached is not None:
            scanned_from, hit = cached
            if scanned_from <= start and (hit < 0 or hit >= start):
                return hit
        hit = self._scan_order(order, m, start)
        self._scan_cache[order.client_order_id] = (start, hit)
        return hit

    def _scan_order(self, order: Order, m: SimMarket, start: int) -> int:
        req = order.request
        if req.type is OrderType.TRAILING_STOP_MARKET:
            rate = float(req.callback_rate or 0) / 100
            activation = float(req.price) if req.price is not None else float("nan")
            is_long_pos = 1 if req.side is OrderSide.SELL else 0
            extreme = self._trailing_extreme[req.client_order_id]
            return first_trailing_hit(m.high, m.low, start, is_long_pos, extreme, rate, activation)
        raw = req.stop_price if req.type.is_trigger else req.price
        level = float(raw if raw is not None else 0)
        if _fires_when_falling(req):
            return first_at_or_below(m.low, start, level)
        return first_at_or_above(m.high, start, level)

    async def _run_triggers(self, m: SimMarket, i: int) -> None:
        symbol = m.symbol
        hits: list[TriggerHit] = []
        for order in self._resting[symbol]:
            hit = order_trigger(order, m, i, self._trailing_extreme.get(order.client_order_id))
            if hit is not None:
                hits.append(hit)
        if not hits:
            return
        when = m.time(i)
        for hit in sort_hits(hits, self.config.same_bar):
            order = hit.order
            if order.status.is_final or order not in self._resting[symbol]:
                continue
            if self._reduce_blocked(order.request):
                self._drop(order)
                order.reject_reason = "ReduceOnly Order is rejected."
                order.apply(OrderStatus.EXPIRED, when)
                await self._emit(OrderEvent(order.snapshot(), None, when))
                continue
            self._drop(order)
            price = hit.price
            if hit.taker:
                price = self._slipped(order.request.side, price, order, m, i)
            await self._execute(order, price, i, when, maker=not hit.taker)

    async def _fill_market(self, order: Order, price: float, i: int, when: pd.Timestamp) -> None:
        m = self.markets[order.symbol]
        await self._execute(order, self._slipped(order.request.side, price, order, m, i), i, when, maker=False)

    async def _fill_immediate_limit(self, order: Order, when: pd.Timestamp) -> None:
        req = order.request
        assert req.price is not None
        ref = self._last_price(req.symbol)
        marketable = ref <= req.price if req.side is OrderSide.BUY else ref >= req.price
        if marketable:
            await self._execute(order, float(ref), max(self.cursor[req.symbol], 0), when, maker=False)
        else:
            order.apply(OrderStatus.EXPIRED, when)
            await self._emit(OrderEvent(order.snapshot(), None, when))

    def _slipped(self, side: OrderSide, price: float, order: Order, m: SimMarket, i: int) -> float:
        model = self.config.slippage
        bps = model.bps
        qty = float(order.request.qty or self._position_for(order.request).size)
        vol = float(m.volume[i])
        if model.impact_bps_per_volume_pct and vol > 0:
            bps += model.impact_bps_per_volume_pct * 100.0 * qty / vol
        if bps == 0:
            return price
        sign = 1.0 if side is OrderSide.BUY else -1.0
        return price * (1.0 + sign * bps / 10_000.0)

    async def _execute(self, order: Order, price_f: float, i: int, when: pd.Timestamp, *, maker: bool) -> None:
        req = order.request
        position = self._position_for(req)
        price = dec(price_f)
        if req.close_position:
            qty = position.size
        elif req.quote_qty is not None:
            qty = req.quote_qty / price
            flt = self.rules.filters.get(req.symbol) if self.rules.enabled else None
            if flt is not None:
                qty = flt.floor_qty_to_step(qty, market=True)
        else:
            qty = req.qty or ZERO
        if req.reduce_only:
            qty = min(qty, position.size)
        rate = self.config.maker_fee if maker else self.config.taker_fee
        fee = qty * price * rate
        effect = self.acct.apply_fill(req.symbol, req.side, qty, price, fee, req.position_side,
                                         self.leverage(req.symbol), when)
        self._update_liquidation(req.symbol, req.position_side)
        self._trade_seq += 1
        fill = Fill(
            trade_id=f"sim-{self._trade_seq}", client_order_id=req.client_order_id, symbol=req.symbol,
            side=req.side, price=price, qty=qty, fee=fee, fee_asset=self.acct.asset, is_maker=maker,
            time=when, realized_pnl=effect.realized_pnl, position_side=req.position_side,
        )
        order.apply(OrderStatus.FILLED, when, fill)
        await self._emit(OrderEvent(order.snapshot(), fill, when))

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
                event = FundingEvent(m.symbol, pd.Timestamp(t_ms, unit="ms", tz="UTC"), rate, mark, amount)
                self.funding_ledger.append(event)
                await self._emit(event)

    def _update_trailing(self, order: Order, m: SimMarket, i: int) -> None:
        key = order.client_order_id
        if order.request.side is OrderSide.SELL:
            self._trailing_extreme[key] = max(self._trailing_extreme[key], float(m.high[i]))
        else:
            self._trailing_extreme[key] = min(self._trailing_extreme[key], float(m.low[i]))

    def _snapshot(self, p: SimPosition) -> PositionSnapshot:
        side = p.side
        assert side is not None
        return PositionSnapshot(
            symbol=p.symbol, side=side, qty=p.size, entry_price=p.entry_price, leverage=p.leverage,
            isolated_margin=p.margin if self.config.margin_mode == "isolated" else ZERO,
            liquidation_price=None, unrealized_pnl=p.unrealized(self._last_price(p.symbol)),
            position_side=p.position_side, opened_at=p.opened_at,
        )


def _closing_side(side: Side) -> OrderSide:
    return OrderSide.SELL if side is Side.LONG else OrderSide.BUY


def _fires_when_falling(req: OrderRequest) -> bool:
    """Does this resting order trigger/fill when price falls to its level?"""
    if req.type is OrderType.LIMIT:
        return req.side is OrderSide.BUY
    if req.type is OrderType.STOP_MARKET:
        return req.side is OrderSide.SELL
    return req.side is OrderSide.BUY  # take-profit: a buy TP closes a short below the price


def _earliest(a: int, b: int) -> int:
    if a < 0:
        return b
    if b < 0:
        return a
    return min(a, b)


__all__ = ["SimExchange", "dec", "np"]
