"""SymbolFilters: rounding directions and every rejection, with Binance's codes and words."""

from __future__ import annotations

from decimal import Decimal

import pytest

from coinpilot.domain.enums import OrderSide
from coinpilot.domain.errors import InvalidPrice, InvalidQuantity, NotionalTooSmall, OrderRejected
from coinpilot.domain.filters import (
    LotSize,
    PercentPrice,
    PriceFilter,
    SymbolFilters,
    TickBand,
    venue_message,
)
from coinpilot.domain.money import Rounding

D = Decimal
BUY, SELL = OrderSide.BUY, OrderSide.SELL


def btc_like(**overrides: object) -> SymbolFilters:
    """BTCUSDT's real filters from the bundled exchangeInfo (tick 0.10, step 0.001, notional 100)."""
    fields: dict[str, object] = {
        "symbol": "BTCUSDT",
        "price": PriceFilter(tick_size=D("0.10"), min_price=D("261.10"), max_price=D("809484")),
        "lot": LotSize(step_size=D("0.001"), min_qty=D("0.001"), max_qty=D("1000")),
        "market_lot": LotSize(step_size=D("0.001"), min_qty=D("0.001"), max_qty=D("120")),
        "min_notional": D("100"),
        "percent_price": PercentPrice(D("1.0500"), D("0.9500"), 4),
        "price_precision": 2,
        "quantity_precision": 3,
    }
    fields.update(overrides)
    return SymbolFilters(**fields)  # type: ignore[arg-type]


F = btc_like()


def test_round_price_modes() -> None:
    assert F.round_price(D("50000.04")) == D("50000.00")
    assert F.round_price(D("50000.05")) == D("50000.10")  # tie goes away from zero
    assert F.round_price(D("50000.04"), Rounding.DOWN) == D("50000.0")
    assert F.round_price(D("50000.01"), Rounding.UP) == D("50000.1")
    assert F.round_price(50000.04) == D("50000.00")  # floats from strategies are accepted


def test_limit_rounding_is_passive_buy_floors_sell_ceils() -> None:
    """W14: a BUY limit never pays more than asked, a SELL limit never asks less."""
    assert F.round_limit_price(D("50000.09"), BUY) == D("50000.0")
    assert F.round_limit_price(D("50000.01"), SELL) == D("50000.1")
    assert F.round_limit_price(D("50000.10"), BUY) == D("50000.10")


def test_trigger_rounding_away_from_or_towards_entry() -> None:
    entry = D("50000")
    # a long's stop sits below entry: away = down, towards = up
    assert F.round_trigger_price(D("49000.05"), entry=entry) == D("49000.0")
    assert F.round_trigger_price(D("49000.05"), entry=entry, away_from_entry=False) == D("49000.1")
    # a short's stop sits above entry: away = up
    assert F.round_trigger_price(D("51000.01"), entry=entry) == D("51000.1")
    assert F.round_trigger_price(D("51000.01"), entry=entry, away_from_entry=False) == D("51000.0")


def test_positive_price_rounding_to_zero_raises() -> None:
    coarse = btc_like(price=PriceFilter(tick_size=D("1")))
    with pytest.raises(InvalidPrice, match="rounds down to 0"):
        coarse.round_price(D("0.4"), Rounding.DOWN)
    with pytest.raises(InvalidPrice):
        F.round_price(D("-1"))


def test_floor_qty_never_increases_and_raises_on_zero() -> None:
    assert F.floor_qty_to_step(D("0.0019")) == D("0.001")
    assert F.floor_qty_to_step(0.123456) == D("0.123")
    with pytest.raises(InvalidQuantity) as err:
        F.floor_qty_to_step(D("0.0004"))
    assert err.value.code == -4003
    with pytest.raises(InvalidQuantity):
        F.floor_qty_to_step(D("-1"))


def test_market_orders_use_market_lot_size() -> None:
    flt = btc_like(market_lot=LotSize(step_size=D("0.01"), min_qty=D("0.01"), max_qty=D("120")))
    assert flt.floor_qty_to_step(D("0.019")) == D("0.019")
    assert flt.floor_qty_to_step(D("0.019"), market=True) == D("0.01")
    with pytest.raises(InvalidQuantity) as err:  # above MARKET_LOT_SIZE max, within LOT_SIZE max
        flt.validate_order(BUY, D("121"), None, is_market=True, reference_price=D("50000"))
    assert err.value.code == -4005
    flt.validate_order(BUY, D("121"), D("50000"))


def test_min_order_qty_meets_both_min_qty_and_notional() -> None:
    assert F.min_order_qty(D("50000")) == D("0.002")  # 100 / 50000 = 0.002
    assert F.min_order_qty(D("30000")) == D("0.004")  # 0.00333 rounded up to the step
    F.validate_order(BUY, F.min_order_qty(D("30000")), D("30000"))


REJECTIONS = [
    # (description, kwargs, error class, code, venue message)
    ("qty zero", {"qty": D(0), "price": D("50000")}, InvalidQuantity, -4003,
     "Quantity less than or equal to zero."),
    ("qty precision", {"qty": D("0.0015"), "price": D("50000")}, InvalidQuantity, -1111,
     "Precision is over the maximum defined for this asset."),
    ("qty above max", {"qty": D("1001"), "price": D("50000")}, InvalidQuantity, -4005,
     "Quantity greater than max quantity."),
    ("price precision", {"qty": D("0.01"), "price": D("50000.001")}, InvalidPrice, -1111,
     "Precision is over the maximum defined for this asset."),
    ("price off tick", {"qty": D("0.01"), "price": D("50000.05")}, InvalidPrice, -4014,
     "Price not increased by tick size."),
    ("price below min", {"qty": D("1"), "price": D("200")}, InvalidPrice, -4013,
     "Price less than min price."),
    ("price above max", {"qty": D("0.01"), "price": D("900000")}, InvalidPrice, -4002,
     "Price greater than max price."),
    ("price negative", {"qty": D("0.01"), "price": D("-1")}, InvalidPrice, -4001,
     "Price less than 0."),
    ("stop zero", {"qty": D("0.01"), "price": None, "is_market": True,
                   "reference_price": D("50000"), "stop_price": D(0)}, InvalidPrice, -4006,
     "Stop price less than zero."),
    ("stop above max", {"qty": D("0.01"), "price": None, "is_market": True,
                        "reference_price": D("50000"), "stop_price": D("900000")},
     InvalidPrice, -4007, "Stop price greater than max price."),
    ("buy above mark cap", {"qty": D("0.01"), "price": D("52600"), "reference_price": D("50000")},
     InvalidPrice, -4016, "Price is higher than mark price multiplier cap."),
    ("notional", {"qty": D("0.001"), "price": D("50000")}, NotionalTooSmall, -4164,
     "Order's notional must be no smaller than 100 (unless you choose reduce only)."),
    ("market notional at mark", {"qty": D("0.001"), "price": None, "is_market": True,
                                 "reference_price": D("99000")}, NotionalTooSmall, -4164,
     "Order's notional must be no smaller than 100 (unless you choose reduce only)."),
]


@pytest.mark.parametrize(("what", "kwargs", "cls", "code", "message"), REJECTIONS,
                         ids=[r[0] for r in REJECTIONS])
def test_rejections_carry_binance_code_and_wording(
    what: str, kwargs: dict[str, object], cls: type[OrderRejected], code: int, message: str
) -> None:
    with pytest.raises(cls) as err:
        F.validate_order(BUY, **kwargs)  # type: ignore[arg-type]
    assert err.value.code == code
    assert venue_message(err.value) == message
    assert "BTCUSDT" in str(err.value)  # our detail names the symbol and the value


def test_sell_below_mark_floor_and_buy_inside_band() -> None:
    with pytest.raises(InvalidPrice) as err:
        F.validate_order(SELL, D("0.01"), D("47400"), reference_price=D("50000"))
    assert err.value.code == -4024
    F.validate_order(BUY, D("0.01"), D("52400"), reference_price=D("50000"))
    F.validate_order(SELL, D("0.01"), D("47600"), reference_price=D("50000"))


def test_qty_below_min_and_off_step() -> None:
    flt = btc_like(lot=LotSize(step_size=D("0.002"), min_qty=D("0.002"), max_qty=D("1000")))
    with pytest.raises(InvalidQuantity) as err:
        flt.validate_order(BUY, D("0.001"), D("60000"), reduce_only=True)
    assert err.value.code == -4004
    with pytest.raises(InvalidQuantity) as err:
        flt.validate_order(BUY, D("0.005"), D("60000"))
    assert err.value.code == -4023


def test_reduce_only_skips_min_notional_on_binance_futures() -> None:
    F.validate_order(SELL, D("0.001"), D("50000"), reduce_only=True)


def test_market_order_needs_a_reference_price_for_notional() -> None:
    with pytest.raises(ValueError, match="reference_price"):
        F.validate_order(BUY, D("0.01"), None, is_market=True)


def test_disabled_tick_falls_back_to_price_precision() -> None:
    """OPENUSDT (PENDING_TRADING) ships tickSize 0: the price precision is then the grid."""
    flt = btc_like(price=PriceFilter(tick_size=D(0), max_price=D(200)), price_precision=3)
    assert flt.tick_at(D("1")) == D("0.001")
    assert flt.round_price(D("1.23456")) == D("1.235")


def test_price_filter_rejects_bands_off_their_own_tick() -> None:
    with pytest.raises(ValueError, match="off its own tick"):
        PriceFilter(bands=(TickBand(D(0), D("0.1")), TickBand(D("7"), D("5"))))
    with pytest.raises(ValueError, match="start at 0"):
        PriceFilter(bands=(TickBand(D(1), D("0.1")),))
