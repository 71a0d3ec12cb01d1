"""Property tests: whatever the input, rounding lands on the grid and moves the right way."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from coinpilot.domain.enums import OrderSide
from coinpilot.domain.filters import LotSize, PercentPrice, PriceFilter, SymbolFilters
from coinpilot.domain.money import Rounding
from coinpilot.exchanges.upbit.rules import krw_filters

D = Decimal
TICKS = [D("0.1"), D("0.01"), D("0.0001"), D("0.000010"), D("5"), D("0.5"), D("1")]
STEPS = [D("0.001"), D("0.1"), D("1"), D("0.00000001"), D("5")]

prices = st.decimals(min_value=D("0.00001"), max_value=D("5000000"), places=8, allow_nan=False)
quantities = st.decimals(min_value=D("0.00000001"), max_value=D("100000"), places=8, allow_nan=False)


def filters_for(tick: Decimal, step: Decimal) -> SymbolFilters:
    return SymbolFilters(
        symbol="TEST",
        price=PriceFilter(tick_size=tick),
        lot=LotSize(step_size=step, min_qty=step, max_qty=None),
    )


@settings(max_examples=300, deadline=None)
@given(price=prices, tick=st.sampled_from(TICKS))
def test_rounded_prices_are_on_the_tick_and_move_the_asked_way(price: Decimal, tick: Decimal) -> None:
    flt = filters_for(tick, D("1"))
    if price < tick / 2:  # would round to zero: covered by the raising tests
        return
    down = flt.round_price(price, Rounding.DOWN) if price >= tick else None
    up = flt.round_price(price, Rounding.UP)
    near = flt.round_price(price, Rounding.NEAREST)
    for value in (v for v in (down, up, near) if v is not None):
        assert flt.is_price_on_tick(value)
    if down is not None:
        assert down <= price < down + tick
    assert up - tick < price <= up
    assert abs(near - price) <= tick / 2
    assert flt.round_price(up, Rounding.DOWN) == up  # idempotent on the grid


@settings(max_examples=300, deadline=None)
@given(qty=quantities, step=st.sampled_from(STEPS))
def test_floor_never_increases_quantity(qty: Decimal, step: Decimal) -> None:
    flt = filters_for(D("0.01"), step)
    if qty < step:
        return
    floored = flt.floor_qty_to_step(qty)
    assert floored <= qty < floored + step
    assert floored % step == 0
    assert flt.floor_qty_to_step(floored) == floored


@settings(max_examples=200, deadline=None)
@given(price=st.decimals(min_value=D("1"), max_value=D("800000"), places=4, allow_nan=False),
       notional=st.decimals(min_value=D("100"), max_value=D("100000"), places=2, allow_nan=False),
       side=st.sampled_from(list(OrderSide)))
def test_orders_built_with_the_filters_pass_the_filters(
    price: Decimal, notional: Decimal, side: OrderSide
) -> None:
    """What round_limit_price/floor_qty_to_step produce is never rejected for precision/grid."""
    flt = SymbolFilters(
        symbol="BTCUSDT",
        price=PriceFilter(tick_size=D("0.10"), min_price=D("0.10"), max_price=D("809484")),
        lot=LotSize(step_size=D("0.001"), min_qty=D("0.001"), max_qty=D("1000")),
        min_notional=D("100"),
        percent_price=PercentPrice(D("1.05"), D("0.95")),
        price_precision=2,
        quantity_precision=3,
    )
    p = flt.round_limit_price(price, side)
    wanted = notional / p
    q = flt.floor_qty_to_step(wanted) if wanted >= D("0.001") else D(0)
    q = max(q, flt.min_order_qty(p))
    if q > D("1000"):
        return
    flt.validate_order(side, q, p, reference_price=p)


@settings(max_examples=300, deadline=None)
@given(price=st.decimals(min_value=D("0.0001"), max_value=D("300000000"), places=8, allow_nan=False))
def test_upbit_banded_rounding_lands_on_the_band_tick(price: Decimal) -> None:
    flt = krw_filters("KRW-TEST")
    tick = flt.tick_at(price)
    up = flt.round_price(price, Rounding.UP)
    assert up >= price
    assert up - price < tick
    assert flt.is_price_on_tick(up)  # even when rounding up crossed into the next band
    if price >= tick:
        down = flt.round_price(price, Rounding.DOWN)
        assert down <= price
        assert price - down < tick
        assert flt.is_price_on_tick(down)
