"""SimExchange as an Upbit KRW spot market: no shorting, no leverage, KRW ticks and minimum."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pandas as pd

from coinpilot.domain.enums import OrderSide
from coinpilot.domain.orders import OrderRequest, OrderStatus, OrderType
from coinpilot.domain.timeframe import Timeframe
from coinpilot.exchanges.sim.config import SimConfig
from coinpilot.exchanges.sim.exchange import SimExchange
from coinpilot.exchanges.sim.market import SimMarket
from coinpilot.exchanges.sim.rules import OrderRules
from coinpilot.exchanges.upbit.rules import krw_filters

D = Decimal


def _spot() -> SimExchange:
    tf = Timeframe.parse("1d")
    rows = [(60_000_000.0, 61_000_000.0, 59_000_000.0, 60_500_000.0)] * 3
    frame = pd.DataFrame(rows, columns=["open", "high", "low", "close"])
    frame.insert(0, "open_time", pd.Series(pd.date_range("2024-01-01", periods=3, freq="1D", tz="UTC")).astype("datetime64[ms, UTC]"))
    frame["volume"] = 100.0
    cfg = SimConfig(initial_balance=D(1_000_000), asset="KRW", maker_fee=D("0.0005"), taker_fee=D("0.0005"),
                    funding="off", liquidation=False)
    sim = SimExchange(cfg, OrderRules(True, {"KRW-BTC": krw_filters("KRW-BTC")}), market="spot")
    sim.add_market(SimMarket.from_frames("KRW-BTC", tf, frame))
    return sim


def _req(cid: str, side: OrderSide, qty: str) -> OrderRequest:
    return OrderRequest(cid, "KRW-BTC", side, OrderType.MARKET, D(qty))


def test_spot_cannot_sell_what_it_does_not_hold() -> None:
    sim = _spot()

    async def go() -> None:
        await sim.process_bar("KRW-BTC", 0)
        short = await sim.submit(_req("s", OrderSide.SELL, "0.001"))
        assert short.status is OrderStatus.REJECTED
        assert "insufficient" in short.reject_reason

    asyncio.run(go())


def test_spot_buy_needs_the_full_price_plus_fee_and_the_krw_minimum() -> None:
    sim = _spot()

    async def go() -> None:
        await sim.process_bar("KRW-BTC", 0)
        too_big = await sim.submit(_req("b", OrderSide.BUY, "0.02"))  # 1.21M KRW > 1M balance
        assert too_big.status is OrderStatus.REJECTED
        too_small = await sim.submit(_req("t", OrderSide.BUY, "0.00005"))  # ~3,000 KRW < 5,000
        assert too_small.status is OrderStatus.REJECTED
        ok = await sim.submit(_req("k", OrderSide.BUY, "0.01"))
        assert ok.status is OrderStatus.NEW
        await sim.process_bar("KRW-BTC", 1)
        sold = await sim.submit(_req("x", OrderSide.SELL, "0.01"))
        assert sold.status is OrderStatus.NEW
        await sim.process_bar("KRW-BTC", 2)

    asyncio.run(go())
    account = asyncio.run(sim.account())
    fee = D("0.01") * D("60000000.0") * D("0.0005") * 2
    assert account.wallet_balance == D(1_000_000) - fee
    assert not asyncio.run(sim.positions())
