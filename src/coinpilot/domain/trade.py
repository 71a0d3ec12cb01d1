"""Closed trades: the journal every report, metric and parity test reads."""

from __future__ import annotations

from dataclasses import asdict, field
from decimal import Decimal
from enum import Enum
from typing import Any

import pandas as pd

from coinpilot.domain.enums import Side
from coinpilot.domain.records import record


class ExitReason(str, Enum):
    STOP_LOSS = "sl"
    TAKE_PROFIT = "tp"
    TRAILING_STOP = "trailing"
    BREAK_EVEN = "breakeven"
    SIGNAL = "signal"  # the strategy's exit signal
    REVERSE = "reverse"  # opposite entry signal closed the position (C13)
    TIME = "time"  # time barrier
    END = "end"  # end of data: closed at the last bar's open
    LIQUIDATION = "liquidation"
    RISK = "risk"  # circuit breaker / kill switch closed it
    MANUAL = "manual"


@record
class Trade:
    """One round trip, entry to full exit. Money is Decimal (quote currency: USDT or KRW).

    `gross_pnl` = side × qty × (exit − entry); `net_pnl` = gross − fees + funding, where
    `funding` is the signed sum received (negative when paid). Times are candle open times of
    the entry and exit bars (the same convention as the peers' trade lists).
    """

    symbol: str
    side: Side
    strategy: str
    entry_time: pd.Timestamp
    entry_price: Decimal
    exit_time: pd.Timestamp
    exit_price: Decimal
    qty: Decimal
    gross_pnl: Decimal
    fees: Decimal
    funding: Decimal
    net_pnl: Decimal
    exit_reason: ExitReason
    entry_reason: str = ""
    trade_id: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def notional(self) -> Decimal:
        return self.qty * self.entry_price

    def as_row(self) -> dict[str, Any]:
        row = asdict(self)
        row["side"] = self.side.value
        row["exit_reason"] = self.exit_reason.value
        return row


TRADE_COLUMNS = (
    "symbol", "side", "strategy", "entry_time", "entry_price", "exit_time", "exit_price", "qty",
    "gross_pnl", "fees", "funding", "net_pnl", "exit_reason", "entry_reason", "trade_id",
)


def trades_frame(trades: list[Trade]) -> pd.DataFrame:
    """Trades as a DataFrame with float64 money columns (for metrics and reports)."""
    if not trades:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in TRADE_COLUMNS})
    frame = pd.DataFrame([t.as_row() for t in trades], columns=list(TRADE_COLUMNS))
    for col in ("entry_price", "exit_price", "qty", "gross_pnl", "fees", "funding", "net_pnl"):
        frame[col] = frame[col].astype("float64")
    return frame
