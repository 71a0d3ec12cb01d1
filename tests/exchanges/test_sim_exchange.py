"""SimExchange: fills from candles, gaps, same-bar rule, fees, filters, funding, liquidation."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from tests.exchanges.simkit import START, TF, funding, make_sim

from coinpilot.domain.enums import OrderSide, Side
from coinpilot.domain.orders import OrderRequest, OrderStatus, OrderType, TimeInForce
from coinpilot.exchanges.base import FundingEvent, OrderEvent
from coinpilot.exchanges.binance.rules import bundled_catalog, leverage_tiers
from coinpilot.exchanges.sim.config import SimConfig, SlippageModel
from coinpilot.exchanges.sim.rules import OrderRules

D = Decimal
FLAT = [(100.0, 101.0, 99.0, 100.0)] * 3


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def req(cid: str, side: OrderSide, kind: OrderType, qty: str | None = "1", **kw: object) -> OrderRequest:
    return OrderRequest(cid, "BTCUSDT", side, kind, None if qty is None else D(qty), **kw)  # type: ignore[arg-type]


def fills(events: list[object]) -> list[tuple[str, Decimal, Decimal]]:
    return [(e.order.client_order_id, e.fill.price, e.fill.qty) for e in events
            if isinstance(e, OrderEvent) and e.fill is not None]


def test_market_order_fills_at_next_open_with_taker_fee() -> None:
    sim, events = make_sim([(100, 101, 99, 100), (102, 103, 101, 102)])

    async def go() -> None:
        await sim.process_bar("BTCUSDT", 0)
        order = await sim.submit(req("m1", OrderSide.BUY, OrderType.MARKET))
        assert order.status is OrderStatus.NEW
        await sim.process_bar("BTCUSDT", 1)

    run(go())
    assert fills(events) == [("m1", D("102.0"), D(1))]
    fill = next(e.fill for e in events if isinstance(e, OrderEvent) and e.fill)
    assert fill.fee == D("102.0") * D("0.0005")
    assert not fill.is_maker


def test_close_mode_fills_at_the_deciding_close_with_adverse_slippage() -> None:
    sim, events = make_sim(FLAT, config=SimConfig(market_fill="close", slippage=SlippageModel(bps=10)))

    async def go() -> None:
        await sim.process_bar("BTCUSDT", 0)
        await sim.submit(req("m1", OrderSide.SELL, OrderType.MARKET))

    run(go())
    assert fills(events)[0][1] == D(repr(100.0 * (1 - 10 / 10_000)))


@pytest.mark.parametrize(("same_bar", "expected"), [("stop_first", "sl"), ("target_first", "tp")])
def test_stop_and_target_in_one_candle(same_bar: str, expected: str) -> None:
    rows = [(100, 100.5, 99.5, 100), (100, 100.5, 99.5, 100), (100, 106, 94, 100)]
    sim, events = make_sim(rows, config=SimConfig(same_bar=same_bar))  # type: ignore[arg-type]

    async def go() -> None:
        await sim.process_bar("BTCUSDT", 0)
        await sim.submit(req("e", OrderSide.BUY, OrderType.MARKET))
        await sim.process_bar("BTCUSDT", 1)
        await sim.submit(req("sl", OrderSide.SELL, OrderType.STOP_MARKET, stop_price=D(95), reduce_only=True))
        await sim.submit(req("tp", OrderSide.SELL, OrderType.TAKE_PROFIT_MARKET, stop_price=D(105), reduce_only=True))
        assert sim.next_activity_bar("BTCUSDT", 2) == 2
        await sim.process_bar("BTCUSDT", 2)

    run(go())
    done = [cid for cid, _, _ in fills(events)]
    assert done == ["e", expected]
    expired = [e.order.client_order_id for e in events if isinstance(e, OrderEvent) and e.order.status is OrderStatus.EXPIRED]
    assert expired == [{"sl": "tp", "tp": "sl"}[expected]]  # the other leg finds no position


def test_gap_through_stop_fills_at_the_open() -> None:
    rows = [(100, 100, 100, 100), (100, 100, 100, 100), (90, 92, 88, 91)]
    sim, events = make_sim(rows)

    async def go() -> None:
        await sim.process_bar("BTCUSDT", 0)
        await sim.submit(req("e", OrderSide.BUY, OrderType.MARKET))
        await sim.process_bar("BTCUSDT", 1)
        await sim.submit(req("sl", OrderSide.SELL, OrderType.STOP_MARKET, stop_price=D(95), reduce_only=True))
        await sim.process_bar("BTCUSDT", 2)

    run(go())
    assert fills(events)[-1] == ("sl", D("90.0"), D(1))


def test_resting_limit_fills_at_its_price_as_maker_and_post_only_refuses_to_take() -> None:
    rows = [(100, 100, 100, 100), (99, 99.5, 97, 98)]
    sim, events = make_sim(rows)

    async def go() -> None:
        await sim.process_bar("BTCUSDT", 0)
        taking = await sim.submit(req("gtx", OrderSide.BUY, OrderType.LIMIT, price=D(101), time_in_force=TimeInForce.GTX))
        assert taking.status is OrderStatus.EXPIRED
        await sim.submit(req("l", OrderSide.BUY, OrderType.LIMIT, price=D(98), time_in_force=TimeInForce.GTX))
        await sim.process_bar("BTCUSDT", 1)

    run(go())
    fill = next(e.fill for e in events if isinstance(e, OrderEvent) and e.fill)
    assert (fill.price, fill.is_maker, fill.fee) == (D(98), True, D(98) * D("0.0002"))


def test_reduce_only_without_position_is_rejected_with_binance_code() -> None:
    sim, _ = make_sim(FLAT)

    async def go() -> None:
        await sim.process_bar("BTCUSDT", 0)
        order = await sim.submit(req("r", OrderSide.SELL, OrderType.MARKET, reduce_only=True))
        assert order.status is OrderStatus.REJECTED
        assert order.reject_code == -2022

    run(go())


def test_exchange_filters_reject_like_binance() -> None:
    btc = bundled_catalog().get("binance", "futures", "BTCUSDT").filters
    rules = OrderRules(True, {"BTCUSDT": btc}, {"BTCUSDT": leverage_tiers("BTCUSDT")})
    sim, _ = make_sim([(50_000.0, 50_100.0, 49_900.0, 50_000.0)] * 2, rules=rules)

    async def go() -> None:
        await sim.process_bar("BTCUSDT", 0)
        small = await sim.submit(req("s", OrderSide.BUY, OrderType.MARKET, qty="0.001"))
        assert small.status is OrderStatus.REJECTED
        assert small.reject_code == -4164
        off_step = await sim.submit(req("o", OrderSide.BUY, OrderType.MARKET, qty="0.0105"))
        assert off_step.status is OrderStatus.REJECTED
        assert off_step.reject_code in (-1111, -4023)
        ok = await sim.submit(req("k", OrderSide.BUY, OrderType.MARKET, qty="0.003"))
        assert ok.status is OrderStatus.NEW

    run(go())


def test_leverage_above_tier_maximum_is_refused() -> None:
    rules = OrderRules(True, {}, {"BTCUSDT": leverage_tiers("BTCUSDT")})
    sim, _ = make_sim(FLAT, rules=rules)
    with pytest.raises(Exception, match="Leverage 126 is not valid"):
        run(sim.set_leverage("BTCUSDT", 126))


def test_insufficient_margin_is_rejected() -> None:
    sim, _ = make_sim(FLAT, config=SimConfig(initial_balance=D(100), default_leverage=1))

    async def go() -> None:
        await sim.process_bar("BTCUSDT", 0)
        order = await sim.submit(req("big", OrderSide.BUY, OrderType.MARKET, qty="5"))
        assert order.status is OrderStatus.REJECTED
        assert order.reject_code == -2019

    run(go())


def test_funding_is_paid_by_longs_when_the_rate_is_positive() -> None:
    rows = [(100, 100, 100, 100)] * 4
    times = [START + 2 * TF.delta]
    sim, events = make_sim(rows, funding_frame=funding(times, [0.001]))

    async def go() -> None:
        await sim.process_bar("BTCUSDT", 0)
        await sim.submit(req("e", OrderSide.BUY, OrderType.MARKET, qty="2"))
        await sim.process_bar("BTCUSDT", 1)
        assert sim.next_activity_bar("BTCUSDT", 2) == 2
        await sim.process_bar("BTCUSDT", 2)

    run(go())
    paid = [e for e in events if isinstance(e, FundingEvent)]
    assert len(paid) == 1
    assert paid[0].amount == -D(2) * D("100.0") * D("0.001")


def test_isolated_long_is_liquidated_at_the_tier_price() -> None:
    rules = OrderRules(True, {}, {"BTCUSDT": leverage_tiers("BTCUSDT")})
    rows = [(50_000.0, 50_000.0, 50_000.0, 50_000.0)] * 2 + [(49_000.0, 49_500.0, 40_000.0, 41_000.0)]
    sim, events = make_sim(rows, rules=rules, config=SimConfig(initial_balance=D(10_000), default_leverage=20))

    async def go() -> None:
        await sim.process_bar("BTCUSDT", 0)
        await sim.submit(req("e", OrderSide.BUY, OrderType.MARKET, qty="1"))
        await sim.process_bar("BTCUSDT", 1)
        level = sim.liquidation_price("BTCUSDT")
        assert level is not None
        assert 47_000 < level < 48_000  # 20x: ~5 % minus maintenance
        assert sim.next_activity_bar("BTCUSDT", 2) == 2
        await sim.process_bar("BTCUSDT", 2)

    run(go())
    assert not run(sim.positions())
    assert sim.liquidations
    assert sim.liquidations[0].side is Side.LONG
    last = [e for e in events if isinstance(e, OrderEvent) and e.fill is not None][-1]
    assert last.order.request.tag == "liquidation"


def test_resubmitting_a_client_order_id_never_doubles_the_order() -> None:
    sim, events = make_sim(FLAT)

    async def go() -> None:
        await sim.process_bar("BTCUSDT", 0)
        await sim.submit(req("same", OrderSide.BUY, OrderType.MARKET))
        await sim.submit(req("same", OrderSide.BUY, OrderType.MARKET))
        await sim.process_bar("BTCUSDT", 1)

    run(go())
    assert len(fills(events)) == 1
    assert run(sim.positions())[0].qty == D(1)


def test_stops_hit_in_one_candle_fill_in_submission_order() -> None:
    rows = [(100, 100, 100, 100), (100, 100, 100, 100), (99, 99, 90, 91)]
    sim, events = make_sim(rows)

    async def go() -> None:
        await sim.process_bar("BTCUSDT", 0)
        await sim.submit(req("e", OrderSide.BUY, OrderType.MARKET, qty="2"))
        await sim.process_bar("BTCUSDT", 1)
        await sim.submit(req("a", OrderSide.SELL, OrderType.STOP_MARKET, stop_price=D(95), reduce_only=True))
        await sim.submit(req("b", OrderSide.SELL, OrderType.STOP_MARKET, stop_price=D(96), reduce_only=True))
        await sim.process_bar("BTCUSDT", 2)

    run(go())
    assert [cid for cid, _, _ in fills(events)] == ["e", "a", "b"]  # never by memory address


def test_slipped_fills_land_on_the_tick_grid_against_the_taker() -> None:
    btc = bundled_catalog().get("binance", "futures", "BTCUSDT").filters
    rules = OrderRules(True, {"BTCUSDT": btc}, {"BTCUSDT": leverage_tiers("BTCUSDT")})
    bar = (92_759.3, 92_800.0, 92_700.0, 92_759.3)
    sim, events = make_sim([bar] * 3, rules=rules,
                           config=SimConfig(initial_balance=D(100_000), default_leverage=10, slippage=SlippageModel(bps=1)))

    async def go() -> None:
        await sim.process_bar("BTCUSDT", 0)
        await sim.submit(req("buy", OrderSide.BUY, OrderType.MARKET, qty="0.01"))
        await sim.process_bar("BTCUSDT", 1)
        await sim.submit(req("sell", OrderSide.SELL, OrderType.MARKET, qty="0.01"))
        await sim.process_bar("BTCUSDT", 2)

    run(go())
    # 92759.3 × (1 ± 0.0001) = 92768.57593 / 92750.02407, then one tick (0.1) against the taker
    assert fills(events) == [("buy", D("92768.6"), D("0.01")), ("sell", D("92750.0"), D("0.01"))]
    assert all(btc.is_price_on_tick(price) for _, price, _ in fills(events))
