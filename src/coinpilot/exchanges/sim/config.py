"""Simulator settings: fill rules, costs and account set-up, all explicit and documented."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class SlippageModel(BaseModel):
    """Adverse slippage on taker fills (market, stop-market, take-profit-market).

    price × (1 ± (bps + impact_bps_per_volume_pct × 100 × qty / bar volume) / 10 000).
    `max_volume_share` rejects a market order larger than that share of the bar's volume
    (a 'this could not fill at this price' guard), when set.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    bps: float = Field(0.0, ge=0)
    impact_bps_per_volume_pct: float = Field(0.0, ge=0)
    max_volume_share: float | None = Field(None, gt=0, le=1)

    def bps_for(self, qty: float, bar_volume: float) -> float:
        """The slippage of a taker fill of `qty` in a bar that traded `bar_volume`, in bps."""
        bps = self.bps
        if self.impact_bps_per_volume_pct and bar_volume > 0:
            bps += self.impact_bps_per_volume_pct * 100.0 * qty / bar_volume
        return bps


class SimConfig(BaseModel):
    """How SimExchange turns candles into fills.

    Intrabar path: a candle is open → (adverse extreme for an open position) → the other
    extreme → close. `same_bar` decides which of a stop and a target touched in one candle
    fills: 'stop_first' (pessimistic, the default and the reference benchmark's rule) or
    'target_first'. A level already beyond the open fills at the open (gap). Market orders
    fill at the next bar's open ('next_open', what a bot deciding at a candle close gets) or at
    the deciding bar's close ('close', cointrader's backtester C41).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    initial_balance: Decimal = Decimal(10_000)
    asset: str = "USDT"
    market_fill: Literal["next_open", "close"] = "next_open"
    same_bar: Literal["stop_first", "target_first"] = "stop_first"
    maker_fee: Decimal = Decimal("0.0002")
    taker_fee: Decimal = Decimal("0.0005")
    slippage: SlippageModel = Field(default_factory=SlippageModel)
    apply_filters: bool = True
    hedge_mode: bool = False
    margin_mode: Literal["isolated", "cross"] = "isolated"
    default_leverage: int = Field(1, ge=1, le=125)
    check_margin: bool = True
    funding: Literal["apply", "off"] = "apply"
    missing_funding: Literal["error", "warn", "ignore"] = "warn"
    liquidation: bool = True
