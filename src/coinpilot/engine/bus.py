"""In-process event bus with named channels (A07).

Every state change is published here, so the store, the API, the notifier and a backtest's
result collector subscribe to the same stream. Handlers are awaited in order of subscription;
a pattern ending in '.*' receives every channel with that prefix ('signal.*').
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

Handler = Callable[[str, Any], Awaitable[None]]

SIGNAL = "signal"  # published as signal.<strategy>
ORDER_UPDATE = "order.update"
FUNDING = "funding"
TRADE_CLOSED = "trade.closed"
RISK_REJECTED = "risk.rejected"
RISK_EVENT = "risk.event"
NOTE = "engine.note"


class EventBus:
    def __init__(self) -> None:
        self._exact: dict[str, list[Handler]] = defaultdict(list)
        self._prefix: list[tuple[str, Handler]] = []

    def subscribe(self, pattern: str, handler: Handler) -> None:
        if pattern.endswith(".*"):
            self._prefix.append((pattern[:-1], handler))
        else:
            self._exact[pattern].append(handler)

    async def publish(self, channel: str, event: Any) -> None:
        for handler in self._exact.get(channel, ()):
            await handler(channel, event)
        for prefix, handler in self._prefix:
            if channel.startswith(prefix):
                await handler(channel, event)
