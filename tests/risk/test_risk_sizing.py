"""Sizing modes with hand-computed numbers, exchange filters (P104) and leverage tiers."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from risk_test_helpers import (
    account,
    doge_filters,
    intent,
    levels,
    manager,
    market,
    only,
    xrp_filters,
    xrp_tiers,
)

from coinpilot.domain.enums import EntryType, OrderSide, Side
from coinpilot.exchanges.upbit.rules import krw_filters
from coinpilot.risk import RiskDecision, Rule
from coinpilot.risk.sizing import dynamic_margin_ratio, kelly_fraction

D = Decimal


def sizing(mode: str, **params: object) -> dict:
    return {"mode": mode, **params}


def _approved(decision: RiskDecision) -> RiskDecision:
    assert decision.approved, f"{decision.rule}: {decision.reason}"
    return decision


# ----- C29 / C30 dynamic margin --------------------------------------------------------------
def test_c30_example_balance_1000_three_symbols_ratio_half_10x() -> None:
    risk = manager(only(sizing=sizing("dynamic_margin")))
    decision = _approved(risk.evaluate(intent(), account(balance="1000", n_symbols=3, leverage=10)))
    assert decision.qty == D("674.5")  # 1000/3 × 0.5 × 10 / 2.470853 = 674.53 → step 0.1
    assert decision.notional == D("674.5") * D("2.470853")
    assert decision.leverage == 10
    assert decision.sizing_mode == "dynamic_margin"


@pytest.mark.parametrize(
    ("share", "base", "expected"),
    [
        ("1000", "1000", "0.5"),  # at base: MAX
        ("1200", "1000", "0.38"),  # 0.5 − 200 × 0.0006
        ("2000", "1000", "0.2"),  # 0.5 − 0.6 → clamped to MIN
        ("800", "1000", "0.5"),  # below base: clamped to MAX
    ],
)
def test_c29_ratio(share: str, base: str, expected: str) -> None:
    ratio = dynamic_margin_ratio(D(share), D(base), D("0.5"), D("0.2"), D("0.0006"))
    assert ratio == D(expected)


def test_c29_per_symbol_max_is_a_hard_cap_below_min() -> None:
    assert dynamic_margin_ratio(D(1000), D(1000), D("0.08"), D("0.2"), D("0.0006")) == D("0.08")
    cfg = only(sizing=sizing("dynamic_margin", dynamic_margin={"max_ratio_per_symbol": {"xrpusdt": 0.08}}))
    decision = _approved(manager(cfg).evaluate(intent(), account(markets={"XRPUSDT": market(price="2.5")})))
    assert decision.qty == D("320.0")  # 1000 × 0.08 × 10 / 2.5


def test_c29_compares_the_share_with_the_base_share() -> None:
    # P18: 3 symbols, 3600 available, base 3000 → share 1200 vs base share 1000 → ratio 0.38
    # (against the total base the ratio would saturate at 0.5 and size 1.3× too big)
    cfg = only(sizing=sizing("dynamic_margin"))
    acct = account(balance="3600", base="3000", n_symbols=3, markets={"XRPUSDT": market(price="2.5")})
    decision = _approved(manager(cfg).evaluate(intent(), acct))
    assert decision.qty == D("1824.0")  # 1200 × 0.38 × 10 / 2.5


# ----- fixed notional, W13 fixed risk --------------------------------------------------------
def test_fixed_notional_floors_to_the_step() -> None:
    decision = _approved(manager(only(sizing=sizing("fixed_notional"))).evaluate(intent(), account()))
    assert decision.qty == D("40.4")  # 100 / 2.470853 = 40.47
    assert decision.margin == D("40.4") * D("2.470853") / 10


# ----- balance fraction --------------------------------------------------------------------------
def test_balance_fraction_is_a_share_of_the_current_balance_not_multiplied_by_leverage() -> None:
    cfg = only(sizing=sizing("balance_fraction", balance_fraction={"fraction": 0.10}))
    prices = {"XRPUSDT": market(price="2.5")}
    # wallet 2000 after gains, equity 2600 with an open winner, 1500 free, 10x
    acct = account(balance="2000", equity="2600", available="1500", base="1000", markets=prices)
    decision = _approved(manager(cfg).evaluate(intent(), acct))
    assert decision.notional == D("200.0")  # 10 % of the wallet balance 2000, not of 1000 or 2600
    assert decision.qty == D("80.0")
    assert decision.margin == D("20.0")  # leverage only lowers the margin
    shrunk = _approved(manager(cfg).evaluate(intent(), account(balance="500", markets=prices)))
    assert shrunk.notional == D("50.0")  # after losses the size shrinks with the balance


def test_balance_fraction_of_a_small_balance_is_refused_by_the_minimum_notional() -> None:
    cfg = only(sizing=sizing("balance_fraction", balance_fraction={"fraction": 0.10}))
    refused = manager(cfg).evaluate(intent(), account(balance="40"))  # 4 USDT < XRP's 5
    assert refused.rule is Rule.MIN_NOTIONAL
    assert "no smaller than 5" in refused.reason


def test_fixed_risk_sizes_from_the_stop_distance() -> None:
    cfg = only(sizing=sizing("fixed_risk", fixed_risk={"risk_amount": "100"}))
    acct = account(markets={"XRPUSDT": market(price="2.5")})
    decision = _approved(manager(cfg).evaluate(intent(**levels(0.05, 0.1)), acct))
    assert decision.qty == D("2000.0")  # 100 / 0.05
    assert decision.notional == D("5000.00")


def test_fixed_risk_scales_down_to_the_available_margin() -> None:
    cfg = only(sizing=sizing("fixed_risk"))
    acct = account(balance="300", markets={"XRPUSDT": market(price="2.5")})
    decision = _approved(manager(cfg).evaluate(intent(**levels(0.05, 0.1)), acct))
    assert decision.qty == D("1200.0")  # 300 × 10 / 2.5 instead of 2000
    assert "scaled down" in next(v.detail for v in decision.verdicts if v.name == "sizing")


def test_fixed_risk_without_a_stop_is_refused() -> None:
    decision = manager(only(sizing=sizing("fixed_risk"))).evaluate(intent(), account())
    assert decision.rule is Rule.SIZING
    assert "needs a stop" in decision.reason


# ----- U12 Kelly on Upbit ---------------------------------------------------------------------
def _upbit_account(available: str) -> object:
    btc = market("KRW-BTC", "100000000", filters=krw_filters("KRW-BTC"), has_funding=False)
    return account(balance=available, leverage=1, markets={"KRW-BTC": btc})


def test_kelly_fraction_example() -> None:
    f = kelly_fraction(0.65, 1.2, 0.5)
    assert f.quantize(D("0.0001")) == D("0.1792")


def test_kelly_sizes_a_fraction_of_the_available_balance() -> None:
    decision = _approved(manager(only(sizing=sizing("kelly"))).evaluate(intent("KRW-BTC"), _upbit_account("1000000")))
    assert decision.qty == D("0.00179166")  # 1,000,000 × 0.17917 / 100,000,000, 8 decimals
    assert decision.leverage == 1


def test_kelly_below_the_upbit_minimum_order_is_skipped() -> None:
    decision = manager(only(sizing=sizing("kelly"))).evaluate(intent("KRW-BTC"), _upbit_account("20000"))
    assert decision.rule is Rule.MIN_NOTIONAL  # 20,000 × 0.179 = 3,583 KRW < 5,000
    assert "under_min_total_bid" in decision.reason


def test_kelly_without_edge_means_no_trade() -> None:
    cfg = only(sizing=sizing("kelly", kelly={"win_rate": 0.4, "payoff_ratio": 1.2}))
    decision = manager(cfg).evaluate(intent("KRW-BTC"), _upbit_account("1000000"))
    assert decision.rule is Rule.SIZING
    assert "no edge" in decision.reason


# ----- P104 exchange filters ------------------------------------------------------------------
def test_min_notional_comes_from_the_symbols_filter() -> None:
    cfg = only(sizing=sizing("fixed_notional", fixed_notional={"notional": "4"}))
    refused = manager(cfg).evaluate(intent(), account())
    assert refused.rule is Rule.MIN_NOTIONAL
    assert "no smaller than 5" in refused.reason
    lenient = {"XRPUSDT": market(filters=xrp_filters(min_notional="1"))}
    decision = _approved(manager(cfg).evaluate(intent(), account(markets=lenient)))
    assert decision.qty == D("1.6")


def test_quantity_that_floors_to_zero_is_refused() -> None:
    cfg = only(sizing=sizing("fixed_notional", fixed_notional={"notional": "0.2"}))
    doge = {"DOGEUSDT": market("DOGEUSDT", "0.3", filters=doge_filters())}
    decision = manager(cfg).evaluate(intent("DOGEUSDT"), account(markets=doge))
    assert decision.rule is Rule.QUANTITY
    assert "floors to 0" in decision.reason


def test_quantity_is_capped_at_the_venue_maximum() -> None:
    cfg = only(sizing=sizing("fixed_notional", fixed_notional={"notional": "3000000"}))
    acct = account(balance="1000000", markets={"XRPUSDT": market(price="2.5")})
    decision = _approved(manager(cfg).evaluate(intent(), acct))
    assert decision.qty == D("1000000.0")


def test_without_filters_the_quantity_is_not_rounded() -> None:
    acct = account(markets={"FOOUSDT": market("FOOUSDT", "3")})
    decision = _approved(manager(only(sizing=sizing("fixed_notional"))).evaluate(intent("FOOUSDT"), acct))
    assert decision.qty == D(100) / D(3)
    assert next(v for v in decision.verdicts if v.name == "min_notional").skipped


def test_limit_entries_are_sized_at_the_limit_price() -> None:
    it = intent(entry_type=EntryType.LIMIT, limit_price=2.4)
    decision = _approved(manager(only(sizing=sizing("fixed_notional"))).evaluate(it, account()))
    assert decision.price == D("2.4")
    assert decision.qty == D("41.6")


def test_insufficient_margin_is_refused() -> None:
    cfg = only(sizing=sizing("fixed_notional", fixed_notional={"notional": "100000"}))
    decision = manager(cfg).evaluate(intent(), account(balance="1000", leverage=10))
    assert decision.rule is Rule.MARGIN
    assert "> available 1000" in decision.reason


# ----- leverage tiers ---------------------------------------------------------------------------
def _tiered(price: str = "2.470853") -> dict:
    return {"XRPUSDT": market(price=price, leverage_tiers=xrp_tiers())}


def test_leverage_above_the_tier_is_refused_with_the_tier_message() -> None:
    cfg = only(sizing=sizing("fixed_notional", fixed_notional={"notional": "15000"}))
    decision = manager(cfg).evaluate(intent(), account(leverage=75, markets=_tiered()))
    assert decision.rule is Rule.LEVERAGE
    assert "leverage 75x is not allowed for notional" in decision.reason
    assert "max 50x" in decision.reason
    assert _approved(manager(cfg).evaluate(intent(), account(leverage=50, markets=_tiered()))).leverage == 50


def test_leverage_is_reduced_to_the_tier_when_configured() -> None:
    cfg = only(sizing=sizing("fixed_notional", fixed_notional={"notional": "15000"}, on_excess_leverage="reduce"))
    decision = _approved(manager(cfg).evaluate(intent(), account(leverage=75, markets=_tiered())))
    assert decision.leverage == 50
    assert decision.qty == D("6070.7")  # notional unchanged: 15000 / 2.470853


def test_reduced_leverage_resizes_margin_based_modes() -> None:
    # 1000 × 0.5 × 75 = 37,500 needs tier 3 (max 40x) → at 40x: 20,000 notional, qty 8,000
    cfg = only(sizing=sizing("dynamic_margin", on_excess_leverage="reduce"))
    decision = _approved(manager(cfg).evaluate(intent(), account(leverage=75, markets=_tiered("2.5"))))
    assert decision.leverage == 40
    assert decision.qty == D("8000.0")
    assert decision.margin == D("500")


def test_notional_beyond_the_last_tier_is_refused_even_when_reducing() -> None:
    cfg = only(sizing=sizing("fixed_notional", fixed_notional={"notional": "9000000"}, on_excess_leverage="reduce"))
    huge = {"XRPUSDT": market(price="2.5", filters=None, leverage_tiers=xrp_tiers())}
    decision = manager(cfg).evaluate(intent(), account(balance="10000000", markets=huge))
    assert decision.rule is Rule.LEVERAGE
    assert "largest allowed position" in decision.reason


# ----- in-bar reservations (P07 without awaits) -----------------------------------------------
def _two_markets() -> dict:
    return {
        "XRPUSDT": market(price="2.5"),
        "DOGEUSDT": market("DOGEUSDT", "0.3", filters=doge_filters()),
    }


def test_second_entry_in_a_bar_sizes_from_what_the_first_left() -> None:
    risk = manager(only(sizing=sizing("dynamic_margin")))
    acct = account(balance="1000", n_symbols=2, markets=_two_markets())
    first = _approved(risk.evaluate(intent("XRPUSDT"), acct))
    assert first.margin == D("250")  # 500 × 0.5 × 10 / 10
    second = _approved(risk.evaluate(intent("DOGEUSDT", Side.SHORT), acct))
    # available 1000 − 250 reserved → share 375 × 0.5 × 10 = 1875 / 0.3 (not 2500 / 0.3)
    assert second.qty == D("6250")


def test_a_pending_entry_holds_its_position_slot_until_filled_or_failed() -> None:
    risk = manager(only(positions={"max_positions": 1}))
    acct = account(markets=_two_markets())
    assert risk.evaluate(intent("XRPUSDT"), acct).approved
    assert risk.evaluate(intent("DOGEUSDT"), acct).rule is Rule.MAX_POSITIONS
    risk.entry_failed("XRPUSDT")
    assert risk.evaluate(intent("DOGEUSDT"), acct).approved


def test_a_trade_closed_between_snapshots_ends_the_reservation() -> None:
    from risk_test_helpers import trade

    risk = manager(only(positions={"max_positions": 1}))
    acct = account(markets=_two_markets())
    assert risk.evaluate(intent("XRPUSDT"), acct).approved
    risk.on_trade_closed(trade("1", symbol="XRPUSDT"))  # filled and stopped out within the bar
    assert risk.evaluate(intent("DOGEUSDT"), acct).approved


def test_a_filled_entry_stops_being_reserved() -> None:
    from risk_test_helpers import position

    risk = manager(only(sizing=sizing("fixed_notional")))
    acct = account(markets=_two_markets())
    assert risk.evaluate(intent("XRPUSDT"), acct).approved
    assert risk.status()["pending_entries"] == 1
    filled = account(positions=(position("XRPUSDT", qty="40"),), available="990", markets=_two_markets())
    risk.on_account(filled)
    assert risk.status()["pending_entries"] == 0  # margin is not subtracted twice


# ----- properties --------------------------------------------------------------------------------
@settings(max_examples=150, deadline=None)
@given(
    available=st.decimals(min_value=1, max_value=10_000_000, places=2),
    base=st.decimals(min_value=1, max_value=10_000_000, places=2),
    price=st.decimals(min_value=D("0.0143"), max_value=100, places=4),
    n_symbols=st.integers(min_value=1, max_value=50),
    leverage=st.integers(min_value=1, max_value=75),
    mode=st.sampled_from(["dynamic_margin", "fixed_notional", "kelly"]),
)
def test_an_approved_size_fits_the_margin_and_the_filters(
    available: Decimal, base: Decimal, price: Decimal, n_symbols: int, leverage: int, mode: str
) -> None:
    cfg = only(sizing=sizing(mode, on_excess_leverage="reduce"))
    mk = {"XRPUSDT": market(price=str(price), leverage_tiers=xrp_tiers())}
    acct = account(balance=str(available), base=str(base), n_symbols=n_symbols, leverage=leverage, markets=mk)
    decision = manager(cfg).evaluate(intent(), acct)
    if not decision.approved:
        assert decision.rule in {Rule.MIN_NOTIONAL, Rule.QUANTITY, Rule.MARGIN, Rule.LEVERAGE}
        return
    assert decision.qty is not None
    assert decision.margin is not None
    assert decision.leverage is not None
    filters = xrp_filters()
    filters.validate_order(OrderSide.BUY, decision.qty, None, is_market=True, reference_price=price)
    assert decision.margin <= available
    xrp_tiers().check_leverage(decision.qty * price, decision.leverage)
    if mode == "dynamic_margin":  # never more than MAX of the per-symbol share as margin
        assert decision.margin <= available / n_symbols * D("0.5") + D("1e-20")
