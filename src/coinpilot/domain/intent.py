"""What a strategy asks for. Risk approves and sizes it; execution turns it into orders."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from typing import Any

import pandas as pd

from coinpilot.domain.enums import EntryType, IntentAction, LevelMode, Side
from coinpilot.domain.records import record


@record
class ExitLevel:
    """A stop or take-profit placed relative to the entry *fill*, not the signal price.

    Seeds compute brackets from the actual entry (C31, C41: "SL/TP from slipped entry"), so an
    intent carries offsets: PCT is a fraction of the fill (level = fill × (1 ∓ value)), DIST an
    absolute price distance such as ATR × multiple (level = fill ∓ value), PRICE an absolute
    level. The formulas are written exactly as the reference strategies state them, so float
    results match peers bit for bit.
    """

    mode: LevelMode
    value: float

    def price(self, fill: float, side: Side, *, is_stop: bool) -> float:
        """The level for a position on `side` entered at `fill`."""
        if self.mode is LevelMode.PRICE:
            return self.value
        # a long's stop sits below the fill and its target above; a short's the other way
        below = (side is Side.LONG) == is_stop
        if self.mode is LevelMode.PCT:
            return fill * (1 - self.value) if below else fill * (1 + self.value)
        return fill - self.value if below else fill + self.value


@record
class Intent:
    """A strategy's decision at the close of one candle.

    Prices are float64 research values here; execution rounds them to the symbol's tick with
    the shared filters (domain.filters) before anything reaches an exchange.
    `stop`/`target` are ExitLevels relative to the entry fill (see ExitLevel).

    - `time` is the close time of the candle the decision was made on (the decision time).
    - `stop`/`target`: None means "no such leg".
    - `time_limit_bars` closes the position after that many bars of the strategy's timeframe.
    - `probability`/`reasoning` carry a model's or an LLM's output through risk gates to logs.
    """

    strategy: str
    symbol: str
    action: IntentAction
    side: Side
    time: pd.Timestamp
    price: float  # reference price at decision (the signal candle's close)
    stop: ExitLevel | None = None
    target: ExitLevel | None = None
    entry_type: EntryType = EntryType.MARKET
    limit_price: float | None = None
    time_limit_bars: int | None = None
    reason: str = ""
    score: float = 0.0
    probability: float | None = None
    reasoning: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def reward_risk(self) -> float | None:
        """|target − entry| / |entry − stop| at the reference price, or None without both legs."""
        if self.stop is None or self.target is None:
            return None
        stop = self.stop.price(self.price, self.side, is_stop=True)
        target = self.target.price(self.price, self.side, is_stop=False)
        if stop == self.price:
            return None
        return abs(target - self.price) / abs(self.price - stop)
