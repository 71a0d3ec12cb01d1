"""What a strategy asks for. Risk approves and sizes it; execution turns it into orders."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from coinpilot.domain.enums import EntryType, IntentAction, Side


@dataclass(frozen=True, slots=True)
class Intent:
    """A strategy's decision at the close of one candle.

    Prices are float64 research values here; execution rounds them to the symbol's tick with
    the shared filters (domain.filters) before anything reaches an exchange.

    - `time` is the close time of the candle the decision was made on (the decision time).
    - `stop`/`target` are absolute price levels; None means "no such leg".
    - `time_limit_bars` closes the position after that many bars of the strategy's timeframe.
    - `probability`/`reasoning` carry a model's or an LLM's output through risk gates to logs.
    """

    strategy: str
    symbol: str
    action: IntentAction
    side: Side
    time: pd.Timestamp
    price: float  # reference price at decision (the signal candle's close)
    stop: float | None = None
    target: float | None = None
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
        """|target − price| / |price − stop|, or None without both legs."""
        if self.stop is None or self.target is None or self.price == self.stop:
            return None
        return abs(self.target - self.price) / abs(self.price - self.stop)
