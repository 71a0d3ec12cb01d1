"""A Bot runs one strategy on one symbol of one account: decide at candle close, route intents.

It owns no orders and no risk state: intents go through the shared risk manager and the shared
order manager, the same objects in backtest, paper and live.
"""

from __future__ import annotations

from bisect import bisect_left
from decimal import Decimal

import numpy as np
import pandas as pd

from coinpilot.domain.enums import IntentAction
from coinpilot.domain.errors import StrategyError
from coinpilot.domain.intent import Intent
from coinpilot.domain.trade import ExitReason, Trade
from coinpilot.engine import bus as ch
from coinpilot.engine.bus import EventBus
from coinpilot.engine.context import AccountViewer
from coinpilot.execution.order_manager import OrderManager
from coinpilot.risk.manager import RiskManager
from coinpilot.risk.types import Rejection, Rule
from coinpilot.strategies.base import MarketData, Strategy, column


class Bot:
    def __init__(
        self,
        symbol: str,
        strategy: Strategy,
        data: MarketData,
        prepared: pd.DataFrame,
        om: OrderManager,
        risk: RiskManager,
        viewer: AccountViewer,
        bus: EventBus,
        *,
        on_opposite: str = "ignore",
        size_at_fill: bool = False,
        last_entry_bar: int | None = None,
    ) -> None:
        self.symbol, self.strategy, self.data, self.prepared = symbol, strategy, data, prepared
        self.om, self.risk, self.viewer, self.bus = om, risk, viewer, bus
        self.on_opposite = on_opposite
        self.size_at_fill = size_at_fill
        sig = prepared["signal"].to_numpy()
        ext = prepared["exit"].to_numpy()
        self._is_candidate = (sig != 0) | (ext != 0)
        self.candidates = np.flatnonzero(self._is_candidate).astype(np.int64)
        # bars that can matter while flat (entries) and while holding (exits, and entries
        # unless opposite signals are ignored): the clock skips the others
        self._entries = np.flatnonzero(sig != 0).astype(np.int64)
        self._holding = self.candidates if on_opposite != "ignore" else np.flatnonzero(ext != 0).astype(np.int64)
        # the same bars as sorted lists (and the candidate flags as a list): the clock asks
        # for the next one at every event, and bisect on a list answers a single lookup many
        # times faster than numpy's searchsorted on an array
        self._entry_bars: list[int] = self._entries.tolist()
        self._holding_bars: list[int] = self._holding.tolist()
        self._candidate_flags: list[bool] = self._is_candidate.tolist()
        self.last_entry_bar = last_entry_bar if last_entry_bar is not None else len(prepared) - 1
        self._reentry: Intent | None = None
        self._bar = -1
        # read once per visited bar: plain arrays, not a frame lookup each time
        self._high = column(data.candles, "high")
        self._low = column(data.candles, "low")
        self._close = column(data.candles, "close")
        self._signal_channel = f"{ch.SIGNAL}.{strategy.name}"
        om.on_trade(self._on_trade, symbol=symbol)

    def next_candidate(self, start: int) -> int:
        """Next bar >= start where the strategy's decision can change anything."""
        busy = self.om.busy(self.symbol)
        bars = self._holding_bars if busy else self._entry_bars
        k = bisect_left(bars, start)
        return bars[k] if k < len(bars) else -1

    async def on_close(self, i: int) -> None:
        """Candle i has closed: run order-management timers, then the strategy's decision."""
        self._bar = i
        om, symbol = self.om, self.symbol
        if om.busy(symbol):  # timers and price watches belong to a position or a pending entry
            await om.on_bar_close(symbol, i, float(self._high[i]), float(self._low[i]), float(self._close[i]))
        else:
            om.set_bar(symbol, i)
        if not self._candidate_flags[i]:
            return
        try:
            intent = self.strategy.decide(self.prepared, i, self.data)
        except Exception as exc:  # user code: name the strategy, symbol and bar, keep the cause
            raise StrategyError(
                f"{self.strategy.name} on {self.symbol}: decide() at bar {i} raised "
                f"{type(exc).__name__}: {exc}; fix the strategy (check it with `coinpilot signals`)"
            ) from exc
        if intent is not None and not isinstance(intent, Intent):
            raise StrategyError(
                f"{self.strategy.name} on {self.symbol}: decide() at bar {i} returned "
                f"{type(intent).__name__}, not an Intent or None"
            )
        if intent is not None:
            await self.bus.publish(self._signal_channel, intent)
            await self.handle(intent, i)

    async def handle(self, intent: Intent, i: int) -> None:
        pos = self.om.positions.get(self.symbol)
        if intent.action is IntentAction.EXIT:
            if pos is not None and pos.side is intent.side:
                await self.om.exit(self.symbol, ExitReason.SIGNAL)
            return
        if pos is not None:
            if pos.side is intent.side or self.on_opposite == "ignore":
                return
            if self.on_opposite == "reverse":
                # C13: re-checked by risk once the close is booked. Set before exiting: with
                # close fills the close is booked inside om.exit, and _on_trade must see it.
                self._reentry = intent
            order = await self.om.exit(self.symbol, ExitReason.REVERSE)
            if order is None:  # already closing: nothing to reverse from
                self._reentry = None
            return
        if self.symbol in self.om.pending:
            return
        await self._try_enter(intent, i)

    async def _try_enter(self, intent: Intent, i: int) -> None:
        if i > self.last_entry_bar:
            return  # the fill would land on the last bar, closed at once by end of data
        account = await self.viewer.view(intent.time)
        decision = self.risk.evaluate(intent, account)
        if not decision.approved:
            rule = decision.rule or Rule.MARGIN
            rejection = Rejection(intent.time, self.symbol, intent.strategy, intent.side, rule, decision.reason)
            await self.bus.publish(ch.RISK_REJECTED, rejection)
            return
        if self.size_at_fill and decision.notional is not None:
            await self.om.enter(intent, i, quote_qty=decision.notional)
        else:
            await self.om.enter(intent, i, qty=decision.qty)

    async def _on_trade(self, trade: Trade) -> None:
        if trade.symbol != self.symbol:
            return
        if self._reentry is not None:
            intent, self._reentry = self._reentry, None
            await self._try_enter(intent, self._bar)


__all__ = ["Bot", "Decimal"]
