"""The event loop of a simulated run: a clock over candle closes for many symbols.

`sparse` visits only bars where something can happen for a symbol (a strategy candidate, an
order that the candle can trigger, a funding time with a position open, an order-management
timer or price watch) and jumps over the rest; `dense` visits every bar, exactly like a paper
replay feeding candles one by one. Both drive the same Bot, OrderManager, RiskManager and
SimExchange code, so they must produce identical trades (a test checks it).
"""

from __future__ import annotations

import heapq
from collections.abc import Awaitable, Callable
from typing import Literal

from coinpilot.engine.bot import Bot
from coinpilot.exchanges.sim.exchange import SimExchange
from coinpilot.exchanges.sim.market import earliest_bar, first_at_or_above, first_at_or_below
from coinpilot.execution.order_manager import OrderManager

AfterEvent = Callable[[str, int], Awaitable[None]]


class SimLoop:
    def __init__(
        self,
        sim: SimExchange,
        om: OrderManager,
        bots: dict[str, Bot],
        clock: Literal["sparse", "dense"] = "sparse",
        after_event: AfterEvent | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.sim, self.om, self.bots, self.clock = sim, om, bots, clock
        self.after_event = after_event
        self.progress = progress
        self.rank = {s: k for k, s in enumerate(bots)}
        self._others = {s: [o for o in bots if o != s] for s in bots}
        self._sizes = {s: len(sim.markets[s]) for s in bots}
        self._queued: dict[str, int] = {}
        self._heap: list[tuple[int, int, str, int]] = []
        self.events = 0

    def next_bar(self, symbol: str, start: int) -> int:
        if start >= self._sizes[symbol]:
            return -1
        if self.clock == "dense":
            return start
        best = self.bots[symbol].next_candidate(start)
        om = self.om
        if om.busy(symbol):  # timers and watches need a position or a pending entry
            for bar in om.timer_bars(symbol):
                best = earliest_bar(best, max(bar, start))
            for rising, level in om.watch_levels(symbol):
                market = self.sim.markets[symbol]
                scan = first_at_or_above(market.high, start, level) if rising else first_at_or_below(market.low, start, level)
                best = earliest_bar(best, scan)
        # the exchange last: its order scans can stop at the earliest bar already known
        return earliest_bar(best, self.sim.next_activity_bar(symbol, start, before=best))

    def schedule(self, symbol: str) -> None:
        start = self.sim.cursor[symbol] + 1
        bar = self.next_bar(symbol, start)
        if bar < 0:
            self._queued.pop(symbol, None)
            return
        if self._queued.get(symbol) == bar:
            return
        self._queued[symbol] = bar
        close_ms = int(self.sim.markets[symbol].times[bar]) + self.sim.markets[symbol].timeframe.ms
        heapq.heappush(self._heap, (close_ms, self.rank[symbol], symbol, bar))

    async def run(self) -> None:
        for symbol in self.bots:
            self.schedule(symbol)
        # locals: this loop runs once per event (tens of thousands per backtest)
        heap, queued, bots, sim, om = self._heap, self._queued, self.bots, self.sim, self.om
        after_event, progress, others, schedule = self.after_event, self.progress, self._others, self.schedule
        has_pending = sim.has_pending
        while heap:
            _, _, symbol, bar = heapq.heappop(heap)
            if queued.get(symbol) != bar:
                continue  # superseded by a later reschedule
            del queued[symbol]
            om.set_bar(symbol, bar)
            await sim.process_bar(symbol, bar)
            await bots[symbol].on_close(bar)
            if after_event is not None:
                await after_event(symbol, bar)
            self.events += 1
            if progress is not None and self.events % 4096 == 0:
                progress(self.events)
            # actions on one symbol (a close-all, a re-entry) can create work on others; the
            # heap orders entries by (time, rank), so the order of these pushes does not matter
            for other in others[symbol]:
                if other not in queued or has_pending(other):
                    schedule(other)
            schedule(symbol)
