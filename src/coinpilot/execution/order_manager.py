"""Order manager: approved intents become orders, and open positions stay protected.

Shared by backtest, paper and live: it talks only to the exchange port. Every order gets a
deterministic client id before it is sent, so a retry or a replay can never double an order.
Brackets are placed after the entry fills, for the filled quantity; a stop that cannot be
placed after the retries triggers an emergency market close (C32, P12).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal

import structlog

from coinpilot.domain.enums import LevelMode, OrderSide, Side
from coinpilot.domain.errors import InvalidQuantity
from coinpilot.domain.filters import SymbolFilters
from coinpilot.domain.intent import ExitLevel, Intent
from coinpilot.domain.orders import (
    Order,
    OrderRequest,
    OrderStatus,
    OrderType,
    PositionSide,
    client_order_id,
    entry_side,
    exit_side,
)
from coinpilot.domain.trade import ExitReason, Trade
from coinpilot.exchanges.base import Exchange, ExchangeEvent, FundingEvent, OrderEvent
from coinpilot.execution.config import ExecutionConfig
from coinpilot.execution.position import ManagedPosition, PendingEntry

log = structlog.get_logger("coinpilot.execution")
TradeHandler = Callable[[Trade], Awaitable[None]]
NoteHandler = Callable[[str, str, str], Awaitable[None]]  # symbol, rule, detail


class OrderManager:
    def __init__(
        self,
        exchange: Exchange,
        run_id: str,
        config: ExecutionConfig | None = None,
        filters: Mapping[str, SymbolFilters] | None = None,
        *,
        hedge_mode: bool = False,
    ) -> None:
        self.exchange = exchange
        # the account's position mode decides two order fields (Binance): one-way sends
        # positionSide BOTH and marks exits reduceOnly; hedge mode must send LONG/SHORT (the
        # leg) and refuses reduceOnly, an exit being a sell on LONG or a buy on SHORT
        self.hedge_mode = hedge_mode
        self._reduce_only = not hedge_mode
        self.run_id = run_id
        self.config = config or ExecutionConfig()
        self.filters = dict(filters or {})
        self.positions: dict[str, ManagedPosition] = {}
        self.pending: dict[str, PendingEntry] = {}
        self._seq: dict[str, int] = {}
        self._trade_seq = 0
        self._on_trade: list[tuple[str | None, TradeHandler]] = []
        self._on_note: list[NoteHandler] = []
        self._on_entry_failed: list[Callable[[str], None]] = []
        self._last_bar: dict[str, int] = {}
        self._live: set[str] = set()  # our orders the exchange last reported as working
        # bound once: the module proxy builds a new logger at every call (~2 µs per trade)
        self._log = log.bind(run_id=run_id)

    # ---- wiring -----------------------------------------------------------------------------
    def on_trade(self, handler: TradeHandler, symbol: str | None = None) -> None:
        """Call `handler` with every closed trade, or only with those of `symbol`.

        Handlers run in registration order either way; the symbol filter saves a call per
        bot and trade when many bots share one order manager."""
        self._on_trade.append((symbol, handler))

    def on_note(self, handler: NoteHandler) -> None:
        self._on_note.append(handler)

    def on_entry_failed(self, handler: Callable[[str], None]) -> None:
        """Called with the symbol when an approved entry ends without a fill (rejected/expired)."""
        self._on_entry_failed.append(handler)

    def _entry_failed(self, symbol: str) -> None:
        self.pending.pop(symbol, None)
        for handler in self._on_entry_failed:
            handler(symbol)

    def _leg(self, side: Side) -> PositionSide:
        """positionSide of the orders of a `side` position (see __init__)."""
        if not self.hedge_mode:
            return PositionSide.BOTH
        return PositionSide.LONG if side is Side.LONG else PositionSide.SHORT

    def _cid(self, symbol: str, role: str) -> str:
        seq = self._seq.get(symbol, 0) + 1
        self._seq[symbol] = seq
        return client_order_id(self.run_id, symbol, seq, role)

    def set_bar(self, symbol: str, bar: int) -> None:
        """The bar the exchange is about to simulate (fills during it open at this bar)."""
        self._last_bar[symbol] = bar

    def busy(self, symbol: str) -> bool:
        return symbol in self.positions or symbol in self.pending

    # ---- commands -----------------------------------------------------------------------------
    async def enter(self, intent: Intent, bar: int, *, qty: Decimal | None = None,
                    quote_qty: Decimal | None = None) -> Order:
        """Send the entry for an approved intent (sized by risk: qty, or quote_qty notional)."""
        symbol = intent.symbol
        side = entry_side(intent.side)
        self._last_bar[symbol] = bar
        if self.config.entry == "limit" and qty is not None:
            price = self._limit_price(symbol, intent.price, side)
            cid = self._cid(symbol, "entry")
            pending = PendingEntry(intent, cid, bar, qty, None, bar + self.config.limit_ttl_bars - 1,
                                   self.config.limit_max_reprices)
            pending.first_price = price
            self.pending[symbol] = pending
            order = await self._submit(OrderRequest(cid, symbol, side, OrderType.LIMIT, qty, price=price,
                                                    position_side=self._leg(intent.side), tag="entry"))
            if order.status is OrderStatus.REJECTED:
                self._entry_failed(symbol)
            return order
        cid = self._cid(symbol, "entry")
        self.pending[symbol] = PendingEntry(intent, cid, bar, qty, quote_qty, None, 0)
        order = await self._submit(OrderRequest(cid, symbol, side, OrderType.MARKET, qty, quote_qty=quote_qty,
                                                position_side=self._leg(intent.side), tag="entry"))
        if order.status is OrderStatus.REJECTED:
            self._entry_failed(symbol)
        return order

    async def exit(self, symbol: str, reason: ExitReason) -> Order | None:
        """Close the whole position at market: cancel its brackets, then reduce-only market."""
        pos = self.positions.get(symbol)
        if pos is None or pos.closing:
            return None
        pos.closing = True
        await self._cancel_brackets(pos)
        cid = self._cid(symbol, "exit")
        pos.exit_reasons[cid] = reason
        return await self._submit(OrderRequest(cid, symbol, exit_side(pos.side), OrderType.MARKET, pos.open_qty,
                                               reduce_only=self._reduce_only, position_side=self._leg(pos.side),
                                               tag=reason.value))

    async def cancel_entry(self, symbol: str) -> None:
        pending = self.pending.get(symbol)
        if pending is not None:
            await self._cancel_quietly(symbol, pending.order_id)
            self._entry_failed(symbol)

    # ---- bar-close duties ----------------------------------------------------------------------
    async def on_bar_close(self, symbol: str, bar: int, high: float, low: float, close: float) -> None:
        """Time barrier, break-even move and limit re-pricing, evaluated at a candle close."""
        self._last_bar[symbol] = bar
        pending = self.pending.get(symbol)
        if pending is not None and pending.deadline is not None and bar >= pending.deadline:
            await self._reprice_or_fallback(symbol, pending, bar, close)
        pos = self.positions.get(symbol)
        if pos is None or pos.closing:
            return
        if pos.deadline_bar is not None and bar >= pos.deadline_bar:
            await self.exit(symbol, ExitReason.TIME)
            return
        if pos.break_even_level is not None and not pos.break_even_done:
            reached = high >= pos.break_even_level if pos.side is Side.LONG else low <= pos.break_even_level
            if reached:
                await self._move_stop_to_entry(pos)

    def watch_levels(self, symbol: str) -> list[tuple[bool, float]]:
        """Price levels whose touch needs a bar-close visit: (fires_when_rising, level)."""
        pos = self.positions.get(symbol)
        if pos is None or pos.closing or pos.break_even_done or pos.break_even_level is None:
            return []
        return [(pos.side is Side.LONG, pos.break_even_level)]

    def timer_bars(self, symbol: str) -> list[int]:
        """Bars at whose close a timer expires (time barrier, limit TTL)."""
        out: list[int] = []
        pos = self.positions.get(symbol)
        if pos is not None and not pos.closing and pos.deadline_bar is not None:
            out.append(pos.deadline_bar)
        pending = self.pending.get(symbol)
        if pending is not None and pending.deadline is not None:
            out.append(pending.deadline)
        return out

    # ---- exchange events ---------------------------------------------------------------------------
    async def on_event(self, event: ExchangeEvent) -> None:
        if not isinstance(event, OrderEvent):
            if isinstance(event, FundingEvent):
                pos = self.positions.get(event.symbol)
                if pos is not None:
                    pos.funding += event.amount
            return
        order = event.order
        status, cid = order.status, order.client_order_id
        if status.is_final:
            self._live.discard(cid)
        elif status is OrderStatus.NEW or status is OrderStatus.PARTIALLY_FILLED:
            self._live.add(cid)
        fill = event.fill
        if fill is None:
            return
        symbol = order.symbol
        pending = self.pending.get(symbol)
        if pending is not None and cid == pending.order_id:
            pos = self.positions.get(symbol)
            if pos is None:
                pos = ManagedPosition(symbol, pending.intent.side, pending.intent, self._last_bar.get(symbol, 0))
                self.positions[symbol] = pos
            pos.entry_fills.append(fill)
            if status is OrderStatus.FILLED:
                self.pending.pop(symbol, None)
                await self._place_brackets(pos)
            return
        pos = self.positions.get(symbol)
        if pos is None:
            return
        pos.exit_fills.append(fill)
        reason = pos.exit_reasons.get(cid)
        if reason is None:
            reason = ExitReason.LIQUIDATION if order.request.tag == "liquidation" else ExitReason.MANUAL
        if pos.open_qty <= 0:
            await self._finish(pos, reason)

    # ---- internals ---------------------------------------------------------------------------------
    async def _submit(self, request: OrderRequest) -> Order:
        order = await self.exchange.submit(request)
        if order.status is OrderStatus.REJECTED:
            self._log.warning("order rejected", symbol=request.symbol, order_id=request.client_order_id,
                              reason=order.reject_reason, code=order.reject_code, role=request.tag)
            for note in self._on_note:
                await note(request.symbol, "order_rejected", f"{request.tag}: {order.reject_reason}")
        return order

    def _limit_price(self, symbol: str, price: float, side: OrderSide) -> Decimal:
        flt = self.filters.get(symbol)
        if flt is not None and self.config.round_levels:
            return flt.round_limit_price(Decimal(repr(price)), side)
        return Decimal(repr(price))

    def _level(self, symbol: str, level: float, entry: Decimal) -> Decimal:
        flt = self.filters.get(symbol)
        if flt is not None and self.config.round_levels:
            return flt.round_trigger_price(Decimal(repr(level)), entry=entry)
        return Decimal(repr(level))

    async def _place_brackets(self, pos: ManagedPosition) -> None:
        intent, fill_price = pos.intent, float(pos.entry_price)
        qty = pos.entry_qty
        side = exit_side(pos.side)
        stop_dist = None
        if intent.stop is not None:
            stop_level = intent.stop.price(fill_price, pos.side, is_stop=True)
            stop_dist = abs(fill_price - stop_level)
            pos.stop_price = self._level(pos.symbol, stop_level, pos.entry_price)
            pos.initial_stop = pos.stop_price
            ok = await self._bracket(pos, OrderType.STOP_MARKET, pos.stop_price, qty, ExitReason.STOP_LOSS, "sl")
            if not ok:
                return
            if self.config.break_even_at_r is not None:
                r = self.config.break_even_at_r * stop_dist
                pos.break_even_level = fill_price + r if pos.side is Side.LONG else fill_price - r
        targets: list[tuple[Decimal, Decimal]] = []
        if self.config.partial_targets and stop_dist:
            remaining = qty
            for k, part in enumerate(self.config.partial_targets):
                level = ExitLevel(LevelMode.DIST, part.r_multiple * stop_dist).price(fill_price, pos.side, is_stop=False)
                part_qty = self._floor(pos.symbol, qty * Decimal(repr(part.fraction)))
                if k == len(self.config.partial_targets) - 1 and intent.target is None:
                    part_qty = remaining
                if part_qty > 0:
                    targets.append((self._level(pos.symbol, level, pos.entry_price), part_qty))
                    remaining -= part_qty
            if intent.target is not None and remaining > 0:
                level = intent.target.price(fill_price, pos.side, is_stop=False)
                targets.append((self._level(pos.symbol, level, pos.entry_price), remaining))
        elif intent.target is not None:
            level = intent.target.price(fill_price, pos.side, is_stop=False)
            targets.append((self._level(pos.symbol, level, pos.entry_price), qty))
        if targets:
            pos.initial_target = targets[-1][0]
        tp_type = OrderType.TAKE_PROFIT if self.config.take_profit == "limit" else OrderType.TAKE_PROFIT_MARKET
        for target_price, part_qty in targets:
            await self._bracket(pos, tp_type, target_price, part_qty, ExitReason.TAKE_PROFIT, "tp")
        if self.config.trailing_callback_pct is not None:
            cid = self._cid(pos.symbol, "trail")
            pos.exit_reasons[cid] = ExitReason.TRAILING_STOP
            order = await self._submit(OrderRequest(
                cid, pos.symbol, side, OrderType.TRAILING_STOP_MARKET, qty, reduce_only=self._reduce_only,
                position_side=self._leg(pos.side), callback_rate=Decimal(repr(self.config.trailing_callback_pct)),
                tag="trail"))
            if order.status is not OrderStatus.REJECTED:
                pos.target_orders.append(cid)
        if intent.time_limit_bars is not None:
            pos.deadline_bar = pos.opened_bar + intent.time_limit_bars - 1

    async def _bracket(self, pos: ManagedPosition, kind: OrderType, level: Decimal, qty: Decimal,
                       reason: ExitReason, role: str) -> bool:
        side = exit_side(pos.side)
        for attempt in range(self.config.bracket_retries):
            cid = self._cid(pos.symbol, role)
            price = level if kind is OrderType.TAKE_PROFIT else None
            order = await self._submit(OrderRequest(cid, pos.symbol, side, kind, qty, price=price, stop_price=level,
                                                    reduce_only=self._reduce_only, position_side=self._leg(pos.side),
                                                    tag=role))
            if order.status is not OrderStatus.REJECTED:
                pos.exit_reasons[cid] = reason
                if kind is OrderType.STOP_MARKET:
                    pos.stop_order = cid
                else:
                    pos.target_orders.append(cid)
                return True
            self._log.warning("bracket retry", symbol=pos.symbol, role=role, attempt=attempt + 1)
        if kind is OrderType.STOP_MARKET and self.config.emergency_close:
            self._log.error("stop could not be placed: emergency close", symbol=pos.symbol)
            for note in self._on_note:
                await note(pos.symbol, "emergency_close", "stop-loss could not be placed")
            await self.exit(pos.symbol, ExitReason.RISK)
        return False

    async def _move_stop_to_entry(self, pos: ManagedPosition) -> None:
        pos.break_even_done = True
        if pos.stop_order is not None:
            await self._cancel_quietly(pos.symbol, pos.stop_order)
        level = self._level(pos.symbol, float(pos.entry_price), pos.entry_price)
        pos.stop_price = level
        cid = self._cid(pos.symbol, "be")
        order = await self._submit(OrderRequest(cid, pos.symbol, exit_side(pos.side), OrderType.STOP_MARKET,
                                                pos.open_qty, stop_price=level, reduce_only=self._reduce_only,
                                                position_side=self._leg(pos.side), tag="be"))
        if order.status is OrderStatus.REJECTED:  # price already beyond entry: protect now
            await self.exit(pos.symbol, ExitReason.BREAK_EVEN)
            return
        pos.stop_order = cid
        pos.exit_reasons[cid] = ExitReason.BREAK_EVEN

    async def _reprice_or_fallback(self, symbol: str, pending: PendingEntry, bar: int, close: float) -> None:
        await self._cancel_quietly(symbol, pending.order_id)
        side = entry_side(pending.intent.side)
        if pending.reprices_left > 0 and pending.first_price is not None:
            price = self._limit_price(symbol, close, side)
            cap = pending.first_price * (1 + Decimal(repr(self.config.limit_max_slippage_bps)) / 10_000 * (1 if side is OrderSide.BUY else -1))
            price = min(price, cap) if side is OrderSide.BUY else max(price, cap)
            cid = self._cid(symbol, "entry")
            pending.order_id, pending.reprices_left = cid, pending.reprices_left - 1
            pending.deadline = bar + self.config.limit_ttl_bars
            await self._submit(OrderRequest(cid, symbol, side, OrderType.LIMIT, pending.qty, price=price,
                                            position_side=self._leg(pending.intent.side), tag="entry"))
        elif self.config.limit_market_fallback:
            cid = self._cid(symbol, "entry")
            pending.order_id, pending.deadline = cid, None
            await self._submit(OrderRequest(cid, symbol, side, OrderType.MARKET, pending.qty,
                                            position_side=self._leg(pending.intent.side), tag="entry"))
        else:
            self._entry_failed(symbol)

    def _floor(self, symbol: str, qty: Decimal) -> Decimal:
        """Floor a partial quantity to the step; a part below one step is 0 (merged into the rest)."""
        flt = self.filters.get(symbol)
        if flt is None:
            return qty
        try:
            return flt.floor_qty_to_step(qty)
        except InvalidQuantity:
            return Decimal(0)

    async def _cancel_quietly(self, symbol: str, cid: str) -> None:
        """Cancel one of our orders if it is still working (known from the order events)."""
        if cid in self._live:
            await self.exchange.cancel(symbol, cid)

    async def _cancel_brackets(self, pos: ManagedPosition) -> None:
        for cid in [pos.stop_order, *pos.target_orders]:
            if cid is not None:
                await self._cancel_quietly(pos.symbol, cid)

    async def _finish(self, pos: ManagedPosition, reason: ExitReason) -> None:
        del self.positions[pos.symbol]
        await self._cancel_brackets(pos)  # the other leg is never auto-expired (P11)
        self._trade_seq += 1
        trade = pos.to_trade(self._trade_seq, reason)
        self._log.info("trade closed", symbol=trade.symbol, side=trade.side.value, reason=reason.value,
                 net_pnl=str(trade.net_pnl))
        for only, handler in self._on_trade:
            if only is None or only == trade.symbol:
                await handler(trade)
