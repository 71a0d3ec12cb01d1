"""Order manager behaviours, each against the real SimExchange (no mocks)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pandas as pd
from tests.exchanges.simkit import make_sim

from coinpilot.domain.enums import EntryType, IntentAction, LevelMode, Side
from coinpilot.domain.intent import ExitLevel, Intent
from coinpilot.domain.orders import OrderStatus, OrderType
from coinpilot.domain.trade import ExitReason, Trade
from coinpilot.exchanges.base import OrderEvent
from coinpilot.exchanges.sim.exchange import SimExchange
from coinpilot.execution.config import ExecutionConfig, PartialTarget
from coinpilot.execution.order_manager import OrderManager

D = Decimal
FLAT = (100.0, 100.2, 99.8, 100.0)


def intent(side: Side = Side.LONG, stop: float | None = 2.0, target: float | None = 4.0, *,
           mode: LevelMode = LevelMode.DIST, time_limit: int | None = None, price: float = 100.0) -> Intent:
    return Intent(
        strategy="t", symbol="BTCUSDT", action=IntentAction.ENTER, side=side, time=pd.Timestamp("2025-01-01", tz="UTC"),
        price=price, stop=None if stop is None else ExitLevel(mode, stop),
        target=None if target is None else ExitLevel(mode, target), entry_type=EntryType.MARKET,
        time_limit_bars=time_limit, reason="test",
    )


class Harness:
    def __init__(self, rows: list[tuple[float, float, float, float]], config: ExecutionConfig | None = None) -> None:
        self.sim, self.events = make_sim(rows)
        self.om = OrderManager(self.sim, "run-1", config or ExecutionConfig())
        self.sim.add_listener(self.om.on_event)
        self.trades: list[Trade] = []
        self.notes: list[tuple[str, str, str]] = []

        async def on_trade(trade: Trade) -> None:
            self.trades.append(trade)

        async def on_note(symbol: str, rule: str, detail: str) -> None:
            self.notes.append((symbol, rule, detail))

        self.om.on_trade(on_trade)
        self.om.on_note(on_note)
        self.rows = rows

    async def bar(self, i: int) -> None:
        self.om.set_bar("BTCUSDT", i)
        await self.sim.process_bar("BTCUSDT", i)
        _, high, low, close = self.rows[i]
        await self.om.on_bar_close("BTCUSDT", i, high, low, close)

    def resting(self) -> list[tuple[OrderType, Decimal | None, Decimal | None]]:
        orders = self.sim._resting["BTCUSDT"] + self.sim._pending_market["BTCUSDT"]
        return [(o.request.type, o.request.stop_price, o.request.qty) for o in orders]


def test_brackets_are_placed_after_the_fill_for_the_filled_quantity() -> None:
    h = Harness([FLAT, (101.0, 101.5, 100.5, 101.0), FLAT])

    async def go() -> None:
        await h.bar(0)
        await h.om.enter(intent(), 0, qty=D("0.5"))
        assert h.resting() == [(OrderType.MARKET, None, D("0.5"))]  # nothing before the fill
        await h.bar(1)

    asyncio.run(go())
    assert sorted(h.resting(), key=str) == sorted(
        [(OrderType.STOP_MARKET, D("99.0"), D("0.5")), (OrderType.TAKE_PROFIT_MARKET, D("105.0"), D("0.5"))], key=str
    )


def test_stop_that_cannot_be_placed_triggers_an_emergency_close() -> None:
    # a stop above the price for a long is refused by the exchange (-2021) every time
    h = Harness([FLAT, FLAT, FLAT])

    async def go() -> None:
        await h.bar(0)
        await h.om.enter(intent(stop=150.0, target=None, mode=LevelMode.PRICE), 0, qty=D(1))
        await h.bar(1)  # entry fills, stop refused 3x, emergency market close queued
        await h.bar(2)

    asyncio.run(go())
    refused = [e for e in h.events if isinstance(e, OrderEvent) and e.order.status is OrderStatus.REJECTED]
    assert len(refused) == 3
    assert all(e.order.reject_code == -2021 for e in refused)
    assert ("BTCUSDT", "emergency_close", "stop-loss could not be placed") in h.notes
    assert len(h.trades) == 1
    assert h.trades[0].exit_reason is ExitReason.RISK
    assert not asyncio.run(h.sim.positions())


def test_break_even_moves_the_stop_to_entry_at_one_r() -> None:
    rows = [FLAT, FLAT, (100.0, 102.5, 100.0, 102.0), (102.0, 102.0, 99.0, 99.5)]
    h = Harness(rows, ExecutionConfig(break_even_at_r=1.0))

    async def go() -> None:
        await h.bar(0)
        await h.om.enter(intent(stop=2.0, target=10.0), 0, qty=D(1))
        for i in (1, 2, 3):
            await h.bar(i)

    asyncio.run(go())
    assert len(h.trades) == 1
    trade = h.trades[0]
    assert trade.exit_reason is ExitReason.BREAK_EVEN
    assert trade.exit_price == D("100.0")  # entry, not the original stop at 98


def test_time_barrier_closes_after_n_bars() -> None:
    h = Harness([FLAT] * 6)

    async def go() -> None:
        await h.bar(0)
        await h.om.enter(intent(stop=None, target=None, time_limit=2), 0, qty=D(1))
        for i in range(1, 6):
            await h.bar(i)

    asyncio.run(go())
    assert [t.exit_reason for t in h.trades] == [ExitReason.TIME]
    assert h.trades[0].entry_time == pd.Timestamp("2025-01-01 00:05", tz="UTC")
    assert h.trades[0].exit_time == pd.Timestamp("2025-01-01 00:15", tz="UTC")  # held bars 1 and 2


def test_partial_targets_close_in_parts() -> None:
    rows = [FLAT, FLAT, (100.0, 102.5, 100.0, 102.0), (102.0, 106.0, 102.0, 105.0)]
    cfg = ExecutionConfig(partial_targets=[PartialTarget(fraction=0.5, r_multiple=1.0)])
    h = Harness(rows, cfg)

    async def go() -> None:
        await h.bar(0)
        await h.om.enter(intent(stop=2.0, target=5.0), 0, qty=D(2))
        for i in (1, 2, 3):
            await h.bar(i)

    asyncio.run(go())
    assert len(h.trades) == 1
    exits = [(e.fill.price, e.fill.qty) for e in h.events
             if isinstance(e, OrderEvent) and e.fill is not None and e.order.request.tag == "tp"]
    assert exits == [(D("102.0"), D(1)), (D("105.0"), D(1))]
    assert h.trades[0].exit_price == D("103.5")


def test_trailing_stop_follows_the_high() -> None:
    rows = [FLAT, FLAT, (100.0, 110.0, 100.0, 109.0), (109.0, 109.5, 104.0, 105.0)]
    h = Harness(rows, ExecutionConfig(trailing_callback_pct=2.0))

    async def go() -> None:
        await h.bar(0)
        await h.om.enter(intent(stop=20.0, target=None), 0, qty=D(1))
        for i in (1, 2, 3):
            await h.bar(i)

    asyncio.run(go())
    assert [t.exit_reason for t in h.trades] == [ExitReason.TRAILING_STOP]
    assert h.trades[0].exit_price == D(repr(110.0 * 0.98))


def test_limit_entry_reprices_then_falls_back_to_market() -> None:
    rows = [FLAT, (101.0, 101.5, 100.6, 101.2), (101.3, 101.8, 101.1, 101.5), (101.6, 102.0, 101.4, 101.8)]
    cfg = ExecutionConfig(entry="limit", limit_ttl_bars=1, limit_max_reprices=1, limit_max_slippage_bps=50)
    h = Harness(rows, cfg)

    async def go() -> None:
        await h.bar(0)
        await h.om.enter(intent(stop=None, target=None, price=100.0), 0, qty=D(1))
        for i in (1, 2, 3):
            await h.bar(i)

    asyncio.run(go())
    kinds = [(e.order.request.type, e.order.status) for e in h.events if isinstance(e, OrderEvent)]
    assert kinds.count((OrderType.LIMIT, OrderStatus.CANCELED)) == 2
    fill = next(e.fill for e in h.events if isinstance(e, OrderEvent) and e.fill is not None)
    assert fill.price == D("101.6")  # the market fallback at the next open
    limits = [e.order.request.price for e in h.events if isinstance(e, OrderEvent)
              and e.order.request.type is OrderType.LIMIT and e.order.status is OrderStatus.NEW]
    assert limits == [D("100.0"), D("100.5")]  # second capped at 50 bps above the first


def test_exit_cancels_brackets_and_client_ids_are_deterministic() -> None:
    def run_once() -> list[str]:
        h = Harness([FLAT] * 4)

        async def go() -> None:
            await h.bar(0)
            await h.om.enter(intent(), 0, qty=D(1))
            await h.bar(1)
            await h.om.exit("BTCUSDT", ExitReason.SIGNAL)
            await h.bar(2)

        asyncio.run(go())
        assert [t.exit_reason for t in h.trades] == [ExitReason.SIGNAL]
        assert not h.resting()
        return [e.order.client_order_id for e in h.events if isinstance(e, OrderEvent)]

    first, second = run_once(), run_once()
    assert first == second
    assert all(len(cid) <= 36 for cid in first)


def _unused(sim: SimExchange) -> None:  # keep the import for type checkers
    del sim


def test_client_ids_are_unique_valid_and_stable() -> None:
    import re

    from coinpilot.domain.orders import client_order_id

    run = "ref_ema_cross-20250101T000000Z-0123abcd" * 3  # long run ids still fit
    ids = {client_order_id(run, sym, seq, role)
           for sym in ("BTCUSDT", "ETHUSDT") for role in ("entry", "exit", "sl", "tp", "trail", "be")
           for seq in [*range(2000), 36**10 - 1]}
    assert len(ids) == 2 * 6 * 2001
    assert all(re.fullmatch(r"[.A-Za-z0-9:/_-]{1,36}", cid) for cid in ids)
    assert client_order_id(run, "BTCUSDT", 7, "sl") == client_order_id(run, "BTCUSDT", 7, "sl")
    assert client_order_id(run, "BTCUSDT", 7, "sl") != client_order_id(run + "x", "BTCUSDT", 7, "sl")
