"""Exchange rules the simulator enforces: the shared domain filters and leverage tiers.

The simulator never re-implements a filter: it calls `SymbolFilters.validate_order` and
`LeverageTiers`, so a backtest rejects exactly what the venue would (same codes and messages).
Parity profiles switch the filters off (`enabled=False`), matching peers that ran without lots.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from coinpilot.domain.errors import OrderRejected
from coinpilot.domain.filters import SymbolFilters
from coinpilot.domain.leverage import LeverageTiers
from coinpilot.domain.orders import OrderRequest, OrderType


@dataclass
class OrderRules:
    enabled: bool = True
    filters: Mapping[str, SymbolFilters] = field(default_factory=dict)
    tiers: Mapping[str, LeverageTiers] = field(default_factory=dict)

    def validate(self, symbol: str, req: OrderRequest, reference_price: Decimal) -> None:
        if not self.enabled or req.qty is None:
            return
        flt = self.filters.get(symbol)
        if flt is None:
            return
        is_market = req.type in (OrderType.MARKET, OrderType.STOP_MARKET, OrderType.TAKE_PROFIT_MARKET,
                                 OrderType.TRAILING_STOP_MARKET)
        price = None if is_market else req.price
        stop = req.stop_price if req.type.is_trigger and req.type is not OrderType.TRAILING_STOP_MARKET else None
        flt.validate_order(
            req.side, req.qty, price, is_market=is_market, reference_price=reference_price,
            stop_price=stop, reduce_only=req.reduce_only or req.close_position,
        )

    def check_leverage_setting(self, symbol: str, leverage: int) -> None:
        tiers = self.tiers.get(symbol)
        if not self.enabled or tiers is None:
            return
        top = tiers.max_leverage(Decimal(0))
        if leverage < 1 or leverage > top:
            raise OrderRejected(f"Leverage {leverage} is not valid", code=-4028)

    def check_position_size(self, symbol: str, notional: Decimal, leverage: int) -> None:
        tiers = self.tiers.get(symbol)
        if not self.enabled or tiers is None:
            return
        if notional > tiers.max_notional_for(leverage):
            raise OrderRejected("Exceeded the maximum allowable position at current leverage.", code=-2027)
