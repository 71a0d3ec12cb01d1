"""Upbit KRW market rules: the price-band tick table, 5,000 KRW minimum, 8-decimal volume."""

from __future__ import annotations

from decimal import Decimal

import pytest

from coinpilot.domain.enums import MarketType, OrderSide, Venue
from coinpilot.domain.errors import (
    InvalidPrice,
    InvalidQuantity,
    NotionalTooSmall,
    UnknownSymbolError,
)
from coinpilot.domain.filters import venue_message
from coinpilot.domain.money import Rounding
from coinpilot.exchanges.upbit.rules import (
    KRW_MIN_ORDER_TOTAL,
    krw_catalog,
    krw_filters,
    krw_spec,
    parse_market_all,
)

D = Decimal
F = krw_filters("KRW-BTC")


@pytest.mark.parametrize(
    ("price", "tick"),
    [
        ("150000000", "1000"), ("2000000", "1000"), ("1500000", "1000"), ("999999", "500"),
        ("500000", "500"), ("150000", "100"), ("75000", "50"), ("49999", "10"), ("10000", "10"),
        ("7500", "5"), ("4999", "1"), ("500", "1"), ("99.9", "0.1"), ("5", "0.01"), ("0.5", "0.001"),
        ("0.05", "0.0001"), ("0.005", "0.00001"), ("0.0005", "0.000001"), ("0.00005", "0.0000001"),
        ("0.000005", "0.00000001"),
    ],
)
def test_tick_follows_the_krw_price_bands(price: str, tick: str) -> None:
    assert F.tick_at(D(price)) == D(tick)


def test_rounding_crosses_band_edges_onto_valid_prices() -> None:
    assert F.round_price(D("9998"), Rounding.DOWN) == D("9995")
    assert F.round_price(D("9998"), Rounding.UP) == D("10000")
    assert F.round_price(D("9998")) == D("10000")
    assert F.round_price(D("123456789")) == D("123457000")
    assert F.round_limit_price(D("45.678"), OrderSide.BUY) == D("45.6")
    F.validate_order(OrderSide.BUY, D("1"), D("10000"))


def test_off_tick_price_is_refused_with_upbit_error_name() -> None:
    with pytest.raises(InvalidPrice) as err:
        F.validate_order(OrderSide.SELL, D("1"), D("7502"))
    assert err.value.code is None  # Upbit answers with error names, not numbers
    assert venue_message(err.value).startswith("invalid_price_ask")


def test_minimum_order_total_is_5000_krw_even_when_reducing() -> None:
    assert D(5000) == KRW_MIN_ORDER_TOTAL
    with pytest.raises(NotionalTooSmall) as err:
        F.validate_order(OrderSide.BUY, D("0.0001"), D("40000000"))
    assert venue_message(err.value) == "under_min_total_bid: order total is below the minimum of 5000 KRW"
    with pytest.raises(NotionalTooSmall, match="under_min_total_ask"):
        F.validate_order(OrderSide.SELL, D("0.0001"), D("40000000"), reduce_only=True)
    F.validate_order(OrderSide.BUY, D("0.000125"), D("40000000"))  # exactly 5,000 KRW
    # a market buy is priced at the reference price
    with pytest.raises(NotionalTooSmall):
        F.validate_order(OrderSide.BUY, D("0.0001"), None, is_market=True, reference_price=D("40000000"))


def test_volume_has_eight_decimals() -> None:
    assert F.floor_qty_to_step(D("0.123456789")) == D("0.12345678")
    with pytest.raises(InvalidQuantity, match="create_bid_error"):
        F.validate_order(OrderSide.BUY, D("0.123456789"), D("100000000"))


def test_spec_and_catalog() -> None:
    spec = krw_spec("krw-eth")
    assert (spec.venue, spec.market, spec.symbol, spec.base, spec.quote) == (
        Venue.UPBIT, MarketType.SPOT, "KRW-ETH", "ETH", "KRW")
    assert spec.unified == "ETH/KRW"
    catalog = krw_catalog(["KRW-BTC", "KRW-ETH"])
    with pytest.raises(UnknownSymbolError, match="Did you mean KRW-ETH"):
        catalog.get("upbit", "spot", "KRW-ETC")
    with pytest.raises(UnknownSymbolError, match="KRW-<COIN>"):
        krw_spec("BTC-ETH")


def test_market_all_payload_keeps_krw_markets_only() -> None:
    payload = [
        {"market": "KRW-BTC", "korean_name": "비트코인", "english_name": "Bitcoin"},
        {"market": "BTC-ETH", "korean_name": "이더리움", "english_name": "Ethereum"},
        {"market": "USDT-BTC", "korean_name": "비트코인", "english_name": "Bitcoin"},
        {"market": "KRW-XYZ", "english_name": "Xyz", "market_warning": "CAUTION"},
    ]
    catalog = parse_market_all(payload)
    assert catalog.symbols("upbit", "spot") == ["KRW-BTC", "KRW-XYZ"]
    assert catalog.symbols("upbit", "spot", trading_only=True) == ["KRW-BTC"]
