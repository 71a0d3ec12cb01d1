"""Builders for risk tests: real XRPUSDT filters and leverage tiers, accounts, intents, trades."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pandas as pd

from coinpilot.domain.enums import IntentAction, LevelMode, Side
from coinpilot.domain.filters import LotSize, PriceFilter, SymbolFilters
from coinpilot.domain.intent import ExitLevel, Intent
from coinpilot.domain.leverage import LeverageTier, LeverageTiers
from coinpilot.domain.trade import ExitReason, Trade
from coinpilot.risk import AccountView, MarketView, PositionView, RiskConfig, RiskManager

D = Decimal
# 10:02 UTC on a Monday: far from the 00/08/16 funding times, so A17 stays quiet by default
T0 = pd.Timestamp("2025-03-03 10:02", tz="UTC")


def xrp_filters(min_notional: str = "5") -> SymbolFilters:
    """XRPUSDT as Binance USDⓈ-M lists it (reference exchangeInfo 2025-12-24)."""
    return SymbolFilters(
        symbol="XRPUSDT",
        price=PriceFilter(tick_size=D("0.0001"), min_price=D("0.0143"), max_price=D("100000")),
        lot=LotSize(step_size=D("0.1"), min_qty=D("0.1"), max_qty=D("1000000")),
        market_lot=LotSize(step_size=D("0.1"), min_qty=D("0.1"), max_qty=D("1000000")),
        min_notional=D(min_notional),
        price_precision=4,
        quantity_precision=1,
    )


def doge_filters() -> SymbolFilters:
    return SymbolFilters(
        symbol="DOGEUSDT",
        price=PriceFilter(tick_size=D("0.000010"), min_price=D("0.002440"), max_price=D("30")),
        lot=LotSize(step_size=D("1"), min_qty=D("1"), max_qty=D("10000000")),
        min_notional=D("5"),
        price_precision=6,
        quantity_precision=0,
    )


# XRP/USDT:USDT brackets (exchanges/binance/data/binance_leverage_tiers_freqtrade.json.gz)
_XRP_BRACKETS = (
    (1, "0", "10000", "0.005", 75, "0"),
    (2, "10000", "20000", "0.0065", 50, "15"),
    (3, "20000", "160000", "0.01", 40, "85"),
    (4, "160000", "800000", "0.02", 25, "1685"),
    (5, "800000", "1600000", "0.025", 20, "5685"),
    (6, "1600000", "8000000", "0.05", 10, "45685"),
)


def xrp_tiers() -> LeverageTiers:
    return LeverageTiers(
        "XRPUSDT",
        [LeverageTier(t, D(lo), D(hi), D(mmr), lev, D(cum)) for t, lo, hi, mmr, lev, cum in _XRP_BRACKETS],
    )


def market(
    symbol: str = "XRPUSDT",
    price: str = "2.470853",
    *,
    filters: SymbolFilters | str | None = "default",
    **kw: Any,
) -> MarketView:
    """XRPUSDT gets its real filters unless `filters` is given (None: no filters at all)."""
    if filters == "default":
        filters = xrp_filters() if symbol == "XRPUSDT" else None
    assert not isinstance(filters, str)
    return MarketView(symbol=symbol, last_price=D(price), filters=filters, **kw)


def account(
    *,
    time: pd.Timestamp = T0,
    balance: str = "1000",
    available: str | None = None,
    base: str | None = None,
    equity: str | None = None,
    positions: tuple[PositionView, ...] = (),
    n_symbols: int = 1,
    leverage: int = 10,
    markets: Mapping[str, MarketView] | None = None,
) -> AccountView:
    if markets is None:
        markets = {"XRPUSDT": market()}
    return AccountView(
        time=time,
        equity=D(equity if equity is not None else balance),
        wallet_balance=D(balance),
        available_balance=D(available if available is not None else balance),
        base_balance=D(base if base is not None else balance),
        positions=positions,
        n_symbols=n_symbols,
        leverage=leverage,
        markets=markets,
    )


def intent(
    symbol: str = "XRPUSDT",
    side: Side = Side.LONG,
    *,
    strategy: str = "s1",
    action: IntentAction = IntentAction.ENTER,
    price: float = 2.470853,
    stop: ExitLevel | None = None,
    target: ExitLevel | None = None,
    probability: float | None = None,
    meta: Mapping[str, Any] | None = None,
    time: pd.Timestamp = T0,
    **kw: Any,
) -> Intent:
    return Intent(
        strategy=strategy,
        symbol=symbol,
        action=action,
        side=side,
        time=time,
        price=price,
        stop=stop,
        target=target,
        probability=probability,
        meta=meta or {},
        **kw,
    )


def levels(stop_dist: float, target_dist: float) -> dict[str, ExitLevel]:
    return {
        "stop": ExitLevel(LevelMode.DIST, stop_dist),
        "target": ExitLevel(LevelMode.DIST, target_dist),
    }


def position(
    symbol: str = "XRPUSDT",
    side: Side = Side.LONG,
    *,
    notional: str = "100",
    qty: str = "40",
    strategy: str = "s1",
    opened_at: pd.Timestamp = T0,
) -> PositionView:
    price = D(notional) / D(qty)
    return PositionView(symbol, side, D(qty), price, D(notional), strategy, opened_at)


def trade(
    net: str | float,
    *,
    symbol: str = "XRPUSDT",
    strategy: str = "s1",
    side: Side = Side.LONG,
    exit_time: pd.Timestamp = T0,
) -> Trade:
    pnl = D(str(net))
    return Trade(
        symbol=symbol,
        side=side,
        strategy=strategy,
        entry_time=exit_time - pd.Timedelta(hours=1),
        entry_price=D("2.5"),
        exit_time=exit_time,
        exit_price=D("2.5"),
        qty=D("40"),
        gross_pnl=pnl,
        fees=D(0),
        funding=D(0),
        net_pnl=pnl,
        exit_reason=ExitReason.STOP_LOSS if pnl < 0 else ExitReason.TAKE_PROFIT,
    )


def only(**sections: Any) -> RiskConfig:
    """Every rule off except the sections given (so each test isolates one rule)."""
    base = RiskConfig.permissive().model_dump()
    for key, value in sections.items():
        base[key] = {**base[key], **value} if isinstance(value, dict) else value
    return RiskConfig.model_validate(base)


def manager(config: RiskConfig | None = None, **kw: Any) -> RiskManager:
    return RiskManager(config if config is not None else RiskConfig.permissive(), **kw)
