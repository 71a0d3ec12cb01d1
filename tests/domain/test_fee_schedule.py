from __future__ import annotations

from decimal import Decimal

import pytest

from coinpilot.domain.enums import MarketType, Venue
from coinpilot.domain.errors import ConfigError
from coinpilot.domain.fees import CostModel, FeeRate, FeeSchedule, Liquidity

D = Decimal
FUT, SPOT = MarketType.FUTURES, MarketType.SPOT
MAKER, TAKER = Liquidity.MAKER, Liquidity.TAKER


def test_default_rates_are_the_published_base_tiers() -> None:
    fees = FeeSchedule()
    assert fees.rate(Venue.BINANCE, FUT) == FeeRate(D("0.0002"), D("0.0005"))
    assert fees.rate(Venue.BINANCE, SPOT) == FeeRate(D("0.001"), D("0.001"))
    assert fees.rate(Venue.UPBIT, SPOT) == FeeRate(D("0.0005"), D("0.0005"))


def test_fill_fee_is_exact() -> None:
    fees = FeeSchedule()
    # 0.01 BTC at 50,000 = 500 USDT notional: taker 0.05 % = 0.25, maker 0.02 % = 0.1
    assert fees.fill_fee(Venue.BINANCE, FUT, "BTCUSDT", D("50000"), D("0.01"), TAKER) == D("0.25")
    assert fees.fill_fee(Venue.BINANCE, FUT, "BTCUSDT", D("50000"), D("0.01"), MAKER) == D("0.1")
    # Upbit: a 10,000 KRW buy pays 5 KRW
    assert fees.fill_fee(Venue.UPBIT, SPOT, "KRW-BTC", D("100000000"), D("0.0001"), TAKER) == D("5")
    # the sign of the quantity (a sell recorded as negative) never flips the fee
    assert fees.fill_fee(Venue.BINANCE, FUT, "ETHUSDT", D("2000"), D("-1"), TAKER) == D("1")


def test_overrides_symbol_beats_market_beats_default() -> None:
    fees = FeeSchedule(
        {
            (Venue.BINANCE, FUT): FeeRate(D("0.00018"), D("0.00045")),
            (Venue.BINANCE, FUT, "btcusdt"): FeeRate(D("-0.0001"), D("0.0004")),
        }
    )
    assert fees.rate(Venue.BINANCE, FUT, "ETHUSDT").taker == D("0.00045")
    assert fees.rate(Venue.BINANCE, FUT, "BTCUSDT").taker == D("0.0004")
    # a maker rebate (negative rate) yields a negative fee, i.e. income
    assert fees.fill_fee(Venue.BINANCE, FUT, "BTCUSDT", D("100"), D("1"), MAKER) == D("-0.01")


def test_from_config_parses_text_and_names_bad_entries() -> None:
    fees = FeeSchedule.from_config(
        {"binance.futures": {"maker": "0.00018", "taker": 0.00045}, "upbit.spot.KRW-XRP": {"maker": "0", "taker": "0"}}
    )
    assert fees.rate(Venue.BINANCE, FUT).maker == D("0.00018")
    assert fees.rate(Venue.BINANCE, FUT).taker == D("0.00045")
    assert fees.rate(Venue.UPBIT, SPOT, "krw-xrp").taker == D(0)
    with pytest.raises(ConfigError, match=r"bybit\.futures"):
        FeeSchedule.from_config({"bybit.futures": {"maker": "0", "taker": "0"}})
    with pytest.raises(ConfigError, match="exactly 'maker' and 'taker'"):
        FeeSchedule.from_config({"binance.futures": {"maker": "0"}})
    with pytest.raises(ConfigError, match="taker"):
        FeeSchedule.from_config({"binance.futures": {"maker": "0", "taker": "lots"}})
    with pytest.raises(ConfigError, match="fractions"):
        FeeSchedule.from_config({"binance.futures": {"maker": "0", "taker": "5"}})


def test_fee_schedule_is_the_fee_part_of_the_cost_model() -> None:
    assert isinstance(FeeSchedule(), CostModel)
