"""Leverage tiers, maintenance margin and Binance's liquidation-price formula."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coinpilot.domain.enums import Side
from coinpilot.domain.errors import LeverageError
from coinpilot.domain.leverage import (
    LeverageTier,
    LeverageTiers,
    PositionLeg,
    isolated_liquidation_price,
    liquidation_price,
    maintenance_at,
)
from coinpilot.exchanges.binance.rules import leverage_tiers

D = Decimal
ZERO = Decimal(0)
BTC = leverage_tiers("BTCUSDT")  # tier 1: <50k 0.4 % 125x; tier 2: <600k 0.5 % cum 50 100x; ...
LONG, SHORT = Side.LONG, Side.SHORT


def gap(
    tiers: LeverageTiers,
    wallet: Decimal,
    legs: Sequence[PositionLeg],
    price: Decimal,
    other_mm: Decimal = ZERO,
    other_upnl: Decimal = ZERO,
) -> Decimal:
    """Margin balance minus maintenance margin when the symbol marks at `price`."""
    pnl = sum((leg.side.sign * leg.qty * (price - leg.entry_price) for leg in legs), D(0))
    return wallet + other_upnl + pnl - other_mm - maintenance_at(tiers, legs, price)


def test_tier_lookup_boundaries_belong_to_the_upper_tier() -> None:
    assert BTC.tier_for(D(0)).tier == 1
    assert BTC.tier_for(D("49999.99")).max_leverage == 125
    assert BTC.tier_for(D(50000)).tier == 2
    assert BTC.max_leverage(D(50000)) == 100
    assert BTC.tier_for(D(-60000)).tier == 2  # a short's signed notional is fine


def test_maintenance_margin_rate_cum_amount() -> None:
    rate, cum, amount = BTC.maintenance_margin(D(100000))
    assert (rate, cum, amount) == (D("0.005"), D("50.0"), D("450.000"))


def test_check_leverage_and_position_caps() -> None:
    BTC.check_leverage(D(40000), 125)
    with pytest.raises(LeverageError, match=r"125x is not allowed .* max 100x"):
        BTC.check_leverage(D(60000), 125)
    with pytest.raises(LeverageError):
        BTC.check_leverage(D(1000), 0)
    with pytest.raises(LeverageError, match="-2027"):
        BTC.tier_for(BTC.max_notional + 1)
    assert BTC.max_notional_for(125) == D(50000)
    assert BTC.max_notional_for(100) == D(600000)
    assert BTC.max_notional_for(1) == BTC.max_notional


def test_from_ccxt_without_info_uses_the_float_fields() -> None:
    rows = [
        {"tier": 1, "minNotional": 0, "maxNotional": 5000, "maintenanceMarginRate": 0.01, "maxLeverage": 20},
        {"tier": 2, "minNotional": 5000, "maxNotional": 25000, "maintenanceMarginRate": 0.025,
         "maxLeverage": 10, "cum": 75},
    ]
    tiers = LeverageTiers.from_ccxt("XYZUSDT", rows)
    assert tiers.tier_for(D(6000)).maintenance_margin_rate == D("0.025")
    assert tiers.maintenance_margin(D(6000)).amount == D("75.000")


def test_tiers_must_be_contiguous_from_zero() -> None:
    t1 = LeverageTier(1, D(0), D(100), D("0.01"), 20, D(0))
    t3 = LeverageTier(3, D(200), D(300), D("0.05"), 5, D(0))
    with pytest.raises(ValueError, match="not contiguous"):
        LeverageTiers("X", [t1, t3])
    with pytest.raises(ValueError, match="start at notional 0"):
        LeverageTiers("X", [t3])


def test_isolated_long_hand_computed_with_tier_change() -> None:
    """1 BTC long at 50,000 with 5,000 margin (10x). The entry notional is tier 2, but at the
    liquidation price the notional is below 50,000, so tier 1 (0.4 %, cum 0) applies:
    LP = (5000 − 50000) / (0.004 − 1) = 45000 / 0.996 = 45,180.72…"""
    lp = isolated_liquidation_price(BTC, side=LONG, qty=D(1), entry_price=D(50000), margin=D(5000))
    assert lp == D(45000) / D("0.996")
    assert BTC.tier_for(D(50000)).tier == 2
    assert BTC.tier_for(lp).tier == 1
    # with the entry tier instead (the mistake the iteration avoids) the answer would differ
    assert lp != D(-44950) / D("-0.995")
    assert abs(gap(BTC, D(5000), [PositionLeg(LONG, D(1), D(50000))], lp)) < D("1e-20")


def test_isolated_short_hand_computed() -> None:
    """1 BTC short at 50,000, 5,000 margin: LP = (5000 + 50 + 50000) / (0.005 + 1)."""
    lp = isolated_liquidation_price(BTC, side=SHORT, qty=D(1), entry_price=D(50000), margin=D(5000))
    assert lp == D(55050) / D("1.005")
    assert lp is not None
    assert lp > 50000


def test_cross_one_way_with_other_positions_hand_computed() -> None:
    """WB 1,000, other symbols' maintenance 50 and unrealised PnL −100, 1 unit long at 2,000,
    single tier at 1 %: LP = (1000 − 50 − 100 + 0 − 2000) / (0.01 − 1) = 1150 / 0.99."""
    flat = LeverageTiers("ETHUSDT", [LeverageTier(1, D(0), D(10**9), D("0.01"), 50, D(0))])
    legs = [PositionLeg(LONG, D(1), D(2000))]
    lp = liquidation_price(flat, wallet_balance=D(1000), legs=legs, other_maintenance=D(50),
                           other_unrealized_pnl=D(-100))
    assert lp == D(1150) / D("0.99")
    assert abs(gap(flat, D(1000), legs, lp, D(50), D(-100))) < D("1e-20")


def test_hedge_mode_cross_legs_balance_at_the_liquidation_price() -> None:
    legs = [PositionLeg(LONG, D(1), D(50000)), PositionLeg(SHORT, D("0.5"), D(52000))]
    lp = liquidation_price(BTC, wallet_balance=D(3000), legs=legs)
    assert lp is not None
    assert lp < 50000
    assert abs(gap(BTC, D(3000), legs, lp)) < D("1e-18")


def test_fully_collateralised_long_never_liquidates() -> None:
    assert isolated_liquidation_price(BTC, side=LONG, qty=D(1), entry_price=D(40000), margin=D(40000)) is None
    assert liquidation_price(BTC, wallet_balance=D(1), legs=[]) is None


@settings(max_examples=200, deadline=None)
@given(
    side=st.sampled_from([LONG, SHORT]),
    qty=st.decimals(min_value=D("0.001"), max_value=D("60"), places=3),
    entry=st.decimals(min_value=D("1000"), max_value=D("120000"), places=1),
    leverage=st.integers(min_value=1, max_value=125),
)
def test_margin_equals_maintenance_at_the_computed_price(
    side: Side, qty: Decimal, entry: Decimal, leverage: int
) -> None:
    notional = qty * entry
    if notional > BTC.max_notional or leverage > BTC.max_leverage(notional):
        return
    margin = notional / leverage
    lp = isolated_liquidation_price(BTC, side=side, qty=qty, entry_price=entry, margin=margin)
    if lp is None:
        assert side is LONG  # only a long can be safe at every positive price
        return
    assert (lp < entry) if side is LONG else (lp > entry)
    leg = [PositionLeg(side, qty, entry)]
    assert abs(gap(BTC, margin, leg, lp)) <= D("1e-18") * (notional + 1)
