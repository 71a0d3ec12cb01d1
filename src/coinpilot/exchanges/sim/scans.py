"""Where a symbol's resting orders, positions and funding next need the engine.

Split from exchange.py (a mixin, like validation.OrderChecks and margin.MarginEvents): the
sparse clock asks `next_activity_bar` after every visit, and the answer comes from array
scans over the candles (exchanges.sim.market) rather than from visiting bars, which is what
makes backtests fast. The scans are cached per symbol while the book's levels stay the same.
"""

from __future__ import annotations

import math

from coinpilot.domain.enums import OrderSide, Side
from coinpilot.domain.orders import Order, OrderType, PositionSide
from coinpilot.exchanges.sim.account import SimAccount
from coinpilot.exchanges.sim.config import SimConfig
from coinpilot.exchanges.sim.market import (
    SimMarket,
    earliest_bar,
    first_at_or_above,
    first_at_or_below,
    first_touch,
    first_trailing_hit,
)
from coinpilot.exchanges.sim.validation import fires_when_falling


class BookScans:
    """Mixin for SimExchange: needs the book and account attributes below."""

    config: SimConfig
    acct: SimAccount
    markets: dict[str, SimMarket]
    _resting: dict[str, list[Order]]
    _pending_market: dict[str, list[Order]]
    _trailing_extreme: dict[str, float]
    _levels: dict[str, tuple[bool, float]]
    _scan_cache: dict[str, tuple[float, float, int, int, int]]
    _liq: dict[tuple[str, PositionSide], float]

    def next_activity_bar(self, symbol: str, start: int, before: int = -1) -> int:
        """Earliest bar >= start where this symbol's orders, positions or funding need work.

        `before` >= 0 says the caller already has something to do at that bar: orders are
        then only looked for before it (and before the earliest order found so far), which
        spares scanning to the end of the data for the leg of a bracket that will be
        cancelled first. Whatever is returned is a bar with work; with `before`, -1 or a
        later bar means nothing happens earlier than `before`."""
        m = self.markets[symbol]
        n = len(m)
        if start >= n:
            return -1
        if self._pending_market[symbol]:
            return start
        best = -1
        # a fixed-level order fires when the low reaches it (sell stops, buy limits, buy
        # take-profits) or the high does (the others); the earliest of them all is the first
        # bar whose low reaches the highest of the first kind or whose high reaches the
        # lowest of the second, so one scan answers for the whole book
        below, above = -math.inf, math.inf
        for order in self._resting[symbol]:
            if order.request.type is OrderType.TRAILING_STOP_MARKET:  # moves: scanned on its own
                best = earliest_bar(best, self._scan_trailing(order, m, start))
                continue
            falling, level = self._trigger_level(order)
            if falling and level > below:  # a NaN level never fires, and never wins here
                below = level
            elif not falling and level < above:
                above = level
        if below > -math.inf or above < math.inf:
            limit = best if best >= 0 else (before if before >= 0 else n)
            best = earliest_bar(best, self._scan_levels(m, start, below, above, limit))
        if self.config.funding == "apply" and any(p.symbol == symbol for p in self.acct.open_positions()):
            best = earliest_bar(best, m.next_funding_bar(start))
        for (sym, ps), level in self._liq.items():
            if sym == symbol:
                pos = self.acct.position(sym, ps)
                falling = pos.side is Side.LONG
                best = earliest_bar(best, first_at_or_below(m.low, start, level) if falling else first_at_or_above(m.high, start, level))
        return best

    def _trigger_level(self, order: Order) -> tuple[bool, float]:
        """(fires when the price falls to it, level) of a resting order; its request never
        changes, so the float conversion is done once."""
        known = self._levels.get(order.client_order_id)
        if known is None:
            req = order.request
            raw = req.stop_price if req.type.is_trigger else req.price
            known = self._levels[order.client_order_id] = (fires_when_falling(req), float(raw if raw is not None else 0))
        return known

    def _scan_levels(self, m: SimMarket, start: int, below: float, above: float, limit: int) -> int:
        """The first bar >= start with low <= below or high >= above when it is before `limit`
        (a cached later one may come back too), else -1: nothing before `limit`.

        The levels only change when the book does, so what a scan found stays true while
        start has not passed it: the cache keeps (levels, scanned from, first hit or -1,
        scanned up to), and a scan that stopped at a limit goes on from there."""
        cached = self._scan_cache.get(m.symbol)
        scan_from = since = start
        if cached is not None and cached[0] == below and cached[1] == above and cached[2] <= start:
            _, _, scanned_from, hit, clear_to = cached
            if hit >= start:
                return hit
            if hit < 0 and limit <= clear_to:
                return -1  # nothing in [scanned_from, clear_to), which covers [start, limit)
            if hit < 0 and start <= clear_to:
                scan_from, since = clear_to, scanned_from
        hit = first_touch(m.low, m.high, scan_from, below, above, limit)
        self._scan_cache[m.symbol] = (below, above, since, hit, limit)
        return hit

    def _scan_trailing(self, order: Order, m: SimMarket, start: int) -> int:
        req = order.request
        rate = float(req.callback_rate or 0) / 100
        activation = float(req.price) if req.price is not None else float("nan")
        is_long_pos = 1 if req.side is OrderSide.SELL else 0
        extreme = self._trailing_extreme[req.client_order_id]
        return first_trailing_hit(m.high, m.low, start, is_long_pos, extreme, rate, activation)
