"""SimExchange: Binance USDⓈ-M / Upbit spot behaviour replayed over stored candles.

The engine drives it bar by bar per symbol (`process_bar`); between bars it asks
`next_activity_bar` where the next thing can happen, which is what makes backtests fast. Order
validation uses the same domain filters and raises the same error codes as the real venue.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

from coinpilot.domain.candles import utc_stamp
from coinpilot.domain.enums import OrderSide
from coinpilot.domain.errors import OrderRejected
from coinpilot.domain.money import Rounding
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
    ExchangeEvent,
    FundingEvent,
    LiquidationEvent,
    Listener,
    OrderEvent,
    PositionSnapshot,
)
from coinpilot.exchanges.sim.account import ZERO, SimAccount, SimPosition, dec
from coinpilot.exchanges.sim.config import SimConfig
from coinpilot.exchanges.sim.margin import MarginEvents
from coinpilot.exchanges.sim.market import (
    SimMarket,
)
from coinpilot.exchanges.sim.matching import TriggerHit, order_trigger, sort_hits
from coinpilot.exchanges.sim.rules import OrderRules
from coinpilot.exchanges.sim.scans import BookScans
from coinpilot.exchanges.sim.validation import OrderChecks, reduces
from coinpilot.exchanges.sim.views import AccountViews


class SimExchange(OrderChecks, MarginEvents, BookScans, AccountViews):
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
        self._levels: dict[str, tuple[bool, float]] = {}  # resting order id: (falling, level)
        # symbol: (low level, high level, scanned from, first hit or -1, scanned up to)
        self._scan_cache: dict[str, tuple[float, float, int, int, int]] = {}
        self._liq: dict[tuple[str, PositionSide], float] = {}
        self._price_now: dict[str, float] = {}
        self._now_cache: dict[str, tuple[int, pd.Timestamp]] = {}
        self._price_dec: dict[str, Decimal] = {}  # symbol: _last_price, until the price moves
        # (symbol, position side): (the fields and price it was built from, snapshot)
        self._snapshots: dict[tuple[str, PositionSide], tuple[tuple[object, ...], PositionSnapshot]] = {}
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
        ts = utc_stamp(int(m.times[i]) + m.timeframe.ms if i >= 0 else int(m.times[0]))
        self._now_cache[symbol] = (i, ts)
        return ts

    def _open_time(self, m: SimMarket, i: int) -> pd.Timestamp:
        return utc_stamp(int(m.times[i]))

    # ---- the port ---------------------------------------------------------------------------
    async def set_leverage(self, symbol: str, leverage: int) -> None:
        if self.market == "spot" and leverage != 1:
            raise OrderRejected(f"spot markets have no leverage (asked {leverage}x)")
        self.rules.check_leverage_setting(symbol, leverage)
        self._leverage[symbol] = leverage

    def leverage(self, symbol: str) -> int:
        return self._leverage.get(symbol, self.config.default_leverage)

    async def submit(self, request: OrderRequest) -> Order:
        symbol = request.symbol
        if symbol not in self.markets:
            raise OrderRejected(f"Invalid symbol {symbol}: not loaded in the simulator.", code=-1121)
        when = self.now(symbol)
        known = self.orders.get(request.client_order_id)
        if known is not None:
            return known.snapshot()  # idempotent resubmission
        order = Order(request, OrderStatus.PENDING, ZERO, ZERO, None, when)  # positional: per order
        self.orders[request.client_order_id] = order
        try:
            self._validate(order)
        except OrderRejected as exc:
            order.reject_reason, order.reject_code = str(exc), exc.code
            order.apply(OrderStatus.REJECTED, when)
            await self._emit(OrderEvent(order, None, when))  # final: never changes again
            return order
        order.apply(OrderStatus.NEW, when)
        acked = order.snapshot()  # the order changes later, so listeners get a copy
        await self._emit(OrderEvent(acked, None, when))
        await self._route(order, when)
        # still working and untouched since the acknowledgement: that copy is still accurate
        if order.status is OrderStatus.NEW and order.updated_at is acked.updated_at:
            return acked
        return order if order.status.is_final else order.snapshot()

    async def _route(self, order: Order, when: pd.Timestamp) -> None:
        """Where an accepted order goes: filled now, queued for the next open, or resting."""
        request = order.request
        symbol = request.symbol
        if request.type is OrderType.MARKET:
            live = self._price_now.get(symbol)
            if live is not None:  # sent by a listener while a bar is simulated (a stop just filled):
                i = self.cursor[symbol] + 1  # it fills at that moment's price, in every fill mode
                if self.config.market_fill == "close":
                    await self._fill_market(order, live, i, when)
                else:
                    self._pending_market[symbol].append(order)
            elif self.config.market_fill == "close" and self.cursor[symbol] >= 0:
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
            await self._emit(OrderEvent(order, None, when))
        else:
            if request.type is OrderType.TRAILING_STOP_MARKET:
                i = max(self.cursor[symbol], 0)
                self._trailing_extreme[request.client_order_id] = float(self.markets[symbol].close[i])
            self._resting[symbol].append(order)

    async def cancel(self, symbol: str, client_order_id: str) -> Order:
        order = self.orders.get(client_order_id)
        when = self.now(symbol)
        if order is None or order.status.is_final:
            raise OrderRejected("Unknown order sent.", code=-2011)
        self._drop(order)
        order.apply(OrderStatus.CANCELED, when)
        await self._emit(OrderEvent(order, None, when))  # final: never changes again
        return order

    async def cancel_all(self, symbol: str) -> list[Order]:
        live = [o for o in self._resting[symbol] + self._pending_market[symbol]]
        return [await self.cancel(symbol, o.client_order_id) for o in live]

    async def open_orders(self, symbol: str | None = None) -> list[Order]:
        symbols = [symbol] if symbol else list(self.markets)
        return [o.snapshot() for s in symbols for o in self._resting[s] + self._pending_market[s]]

    # ---- driving the simulation -------------------------------------------------------------
    async def process_bar(self, symbol: str, i: int) -> None:
        """Simulate candle i of `symbol`: funding, queued market orders, triggers, liquidation."""
        m = self.markets[symbol]
        prev = self.cursor[symbol]
        if i <= prev:
            raise ValueError(f"{symbol}: bar {i} already processed (at {prev})")
        if self.config.funding == "apply":
            after_ms = int(m.times[prev]) if prev >= 0 else int(m.times[0]) - 1
            await self._apply_funding(m, after_ms, int(m.times[i]), i)
        if i > prev + 1 and self._trailing_extreme:  # skipped bars still move trailing extremes
            for order in self._resting[symbol]:
                if order.request.type is OrderType.TRAILING_STOP_MARKET:
                    key = order.client_order_id
                    lo, hi = prev + 1, i
                    if order.request.side is OrderSide.SELL:
                        self._trailing_extreme[key] = max(self._trailing_extreme[key], float(m.high[lo:hi].max()))
                    else:
                        self._trailing_extreme[key] = min(self._trailing_extreme[key], float(m.low[lo:hi].min()))
        self._price_now[symbol] = float(m.open[i])
        self._price_dec.pop(symbol, None)  # 'now' is this bar's open until it is processed
        # orders that listeners send while the open is being filled (a re-entry after a
        # reverse close) fill at the same open, as they would milliseconds later in reality
        queued = self._pending_market[symbol]
        if queued:
            opened_at = self._open_time(m, i)
            while queued:
                order = queued.pop(0)
                await self._fill_market(order, float(m.open[i]), i, opened_at)
        if self._resting[symbol]:
            await self._run_triggers(m, i)
        if self._liq:
            await self._run_liquidation(m, i)
        self._price_now.pop(symbol, None)
        self.cursor[symbol] = i
        self._price_dec.pop(symbol, None)  # and then its close
        if self._trailing_extreme:  # only trailing stops have an extreme to move
            for order in self._resting[symbol]:
                if order.request.type is OrderType.TRAILING_STOP_MARKET:
                    self._update_trailing(order, m, i)

    def has_pending(self, symbol: str) -> bool:
        return bool(self._pending_market[symbol])

    async def settle_pending(self, symbol: str, price: float, i: int) -> None:
        """Fill queued market orders at `price` on bar i (end-of-data settlement only)."""
        when = self._open_time(self.markets[symbol], i)
        while self._pending_market[symbol]:
            order = self._pending_market[symbol].pop(0)
            await self._fill_market(order, price, i, when)

    # ---- internals ----------------------------------------------------------------------------
    def _last_price(self, symbol: str) -> Decimal:
        """The price 'now': the open while a bar's open is being filled, else the last close.

        Kept as a Decimal until process_bar moves the price (it drops the entry then):
        validation, margin and account views ask for it many times per bar."""
        price = self._price_dec.get(symbol)
        if price is not None:
            return price
        live = self._price_now.get(symbol)
        if live is not None:
            price = dec(live)
        else:
            m, i = self.markets[symbol], self.cursor[symbol]
            price = dec(m.close[i] if i >= 0 else m.open[0])
        self._price_dec[symbol] = price
        return price

    def _position_for(self, req: OrderRequest) -> SimPosition:
        return self.acct.position(req.symbol, req.position_side)

    def _would_take(self, order: Order) -> bool:
        price, ref = order.request.price, self._last_price(order.request.symbol)
        assert price is not None
        return price >= ref if order.request.side is OrderSide.BUY else price <= ref

    def _drop(self, order: Order) -> None:
        symbol = order.symbol
        for book in (self._resting[symbol], self._pending_market[symbol]):
            # by identity: `in`/`remove` would compare Orders field by field
            for k, other in enumerate(book):
                if other is order:
                    del book[k]
                    break
        cid = order.client_order_id
        self._trailing_extreme.pop(cid, None)
        self._levels.pop(cid, None)

    async def _run_triggers(self, m: SimMarket, i: int) -> None:
        symbol = m.symbol
        hits: list[TriggerHit] = []
        o, h, lo = float(m.open[i]), float(m.high[i]), float(m.low[i])
        extremes = self._trailing_extreme
        for seq, order in enumerate(self._resting[symbol]):  # the book is in submission order
            hit = order_trigger(order, o, h, lo, extremes.get(order.client_order_id), seq)
            if hit is not None:
                hits.append(hit)
        if not hits:
            return
        when = self._open_time(m, i)
        for hit in sort_hits(hits, self.config.same_bar):
            order = hit.order
            if order.status.is_final or order not in self._resting[symbol]:
                continue
            if self._reduce_blocked(order.request):
                self._drop(order)
                order.reject_reason = "ReduceOnly Order is rejected."
                order.apply(OrderStatus.EXPIRED, when)
                await self._emit(OrderEvent(order, None, when))
                continue
            self._drop(order)
            price = hit.price
            self._price_now[symbol] = price  # listeners reacting to this fill see this price
            self._price_dec.pop(symbol, None)
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
            await self._emit(OrderEvent(order, None, when))

    def _slipped(self, side: OrderSide, price: float, order: Order, m: SimMarket, i: int) -> float:
        model = self.config.slippage
        if model.bps == 0 and not model.impact_bps_per_volume_pct:
            return price  # no slippage configured (the reference profile)
        bps = model.bps_for(float(order.request.qty or self._position_for(order.request).size), float(m.volume[i]))
        if bps == 0:
            return price
        sign = 1.0 if side is OrderSide.BUY else -1.0
        slipped = price * (1.0 + sign * bps / 10_000.0)
        flt = self.rules.filters.get(m.symbol) if self.rules.enabled else None
        if flt is None:
            return slipped
        # the venue only trades on its tick grid: a slipped fill lands on the next tick
        # against the taker (a buy pays up, a sell gets less), never between ticks
        return float(flt.round_price(dec(slipped), Rounding.UP if side is OrderSide.BUY else Rounding.DOWN))

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
        if reduces(req):  # never beyond the position (a hedge leg included)
            qty = min(qty, position.size)
        rate = self.config.maker_fee if maker else self.config.taker_fee
        fee = qty * price * rate
        effect = self.acct.apply_fill(req.symbol, req.side, qty, price, fee, req.position_side,
                                         self.leverage(req.symbol), when)
        self._update_liquidation(req.symbol, req.position_side)
        self._trade_seq += 1
        fill = Fill(  # trade_id, client_order_id, symbol, side, price, qty, fee, fee_asset, is_maker,
            # time, realized_pnl, position_side (positional: one per fill)
            f"sim-{self._trade_seq}", req.client_order_id, req.symbol, req.side, price, qty, fee,
            self.acct.asset, maker, when, effect.realized_pnl, req.position_side,
        )
        order.apply(OrderStatus.FILLED, when, fill)
        await self._emit(OrderEvent(order, fill, when))  # final: never changes again

    def _update_trailing(self, order: Order, m: SimMarket, i: int) -> None:
        key = order.client_order_id
        if order.request.side is OrderSide.SELL:
            self._trailing_extreme[key] = max(self._trailing_extreme[key], float(m.high[i]))
        else:
            self._trailing_extreme[key] = min(self._trailing_extreme[key], float(m.low[i]))


__all__ = ["SimExchange", "dec", "np"]
