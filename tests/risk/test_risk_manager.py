"""RiskManager wiring: audit trail, rejection log, inputs, day rollover, entry lock (C28/P07)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pandas as pd
import pytest
from risk_test_helpers import T0, account, intent, manager, market, only, position, trade

from coinpilot.domain.enums import Side
from coinpilot.risk import AccountView, EventKind, RiskConfig, RiskInputError, Rule

D = Decimal


def test_rejection_is_logged_with_rule_and_reason() -> None:
    risk = manager(only(gates={"min_probability": 0.6}))
    decision = risk.evaluate(intent(probability=0.5, strategy="llm"), account())
    assert not decision.approved
    assert decision.qty is None
    [rejection] = risk.rejections
    assert (rejection.time, rejection.symbol, rejection.strategy) == (T0, "XRPUSDT", "llm")
    assert rejection.rule is Rule.PROBABILITY
    assert rejection.reason == decision.reason
    assert rejection.as_row()["rule"] == "min_probability"
    assert risk.drain_rejections() == [rejection]
    assert risk.rejections == ()


def test_every_rule_leaves_a_verdict_for_the_audit() -> None:
    decision = manager(RiskConfig()).evaluate(intent(), account())
    assert decision.approved
    names = [v.name for v in decision.verdicts]
    for rule in (
        Rule.CIRCUIT_BREAKER, Rule.DRAWDOWN, Rule.DAILY_LOSS, Rule.DAILY_LOSS_AMOUNT,
        Rule.KILL_SWITCH, Rule.CONSECUTIVE_LOSSES, Rule.STRATEGY_LOSS, Rule.FUNDING_BLACKOUT,
        Rule.PROBABILITY, Rule.REWARD_RISK, Rule.SPREAD, Rule.HORIZON, Rule.ONE_PER_SYMBOL,
        Rule.MAX_POSITIONS, Rule.MAX_SAME_DIRECTION, Rule.DAILY_OPENED, Rule.LEVERAGE,
        Rule.SIZING, Rule.MIN_NOTIONAL, Rule.MARGIN, Rule.SYMBOL_EXPOSURE,
    ):
        assert rule.value in names, rule
    row = decision.as_row()
    assert row["qty"] == "40.4"
    assert row["approved"] is True


def test_first_failing_rule_names_the_rejection() -> None:
    cfg = only(gates={"min_probability": 0.6}, positions={"max_positions": 1})
    held = (position("DOGEUSDT"),)
    decision = manager(cfg).evaluate(intent(probability=0.5), account(positions=held))
    failed = [v.name for v in decision.verdicts if not v.passed]
    assert failed == ["min_probability", "max_positions"]
    assert decision.rule is Rule.PROBABILITY


def test_missing_market_info_is_a_rejection_not_a_crash() -> None:
    decision = manager().evaluate(intent("ADAUSDT"), account())
    assert decision.rule is Rule.MARKET_DATA
    assert "ADAUSDT" in decision.reason


@pytest.mark.parametrize(
    ("kw", "needle"),
    [
        ({"time": pd.Timestamp("2025-03-03 10:00")}, "tz-aware"),
        ({"n_symbols": 0}, "n_symbols"),
        ({"leverage": 0}, "leverage"),
    ],
)
def test_impossible_account_views_raise(kw: dict, needle: str) -> None:
    base = {
        "time": T0, "equity": D(1), "wallet_balance": D(1), "available_balance": D(1),
        "base_balance": D(1),
    }
    with pytest.raises(RiskInputError, match=needle):
        AccountView(**{**base, **kw})


def test_day_rollover_resets_daily_books_and_is_announced() -> None:
    risk = manager()
    risk.on_trade_closed(trade("-10"))
    risk.evaluate(intent(), account())
    assert risk.state.opened_today == 1
    assert risk.state.daily_by_symbol == {"XRPUSDT": D("-10")}
    risk.on_time(T0 + pd.Timedelta(hours=13))  # 23:02, same UTC day
    assert risk.state.daily_realized == D("-10")
    risk.on_time(T0 + pd.Timedelta(hours=14))  # 00:02 next day
    assert (risk.state.daily_realized, risk.state.opened_today) == (0, 0)
    assert risk.state.daily_by_symbol == {}
    assert [e.kind for e in risk.drain_events()] == [EventKind.DAY_ROLLOVER]


def test_late_trade_report_does_not_count_toward_the_new_day() -> None:
    risk = manager(only(losses={"daily_loss_amount": "5"}))
    risk.on_time(T0 + pd.Timedelta(days=1))
    risk.on_trade_closed(trade("-10", exit_time=T0))  # closed yesterday, reported today
    assert risk.state.daily_realized == 0
    assert risk.evaluate(intent(), account(time=T0 + pd.Timedelta(days=1))).approved


def test_status_summarises_halts() -> None:
    risk = manager(only(kill_switch={"enabled": True}, losses={"max_consecutive_losses": 2}))
    for i in range(8):
        risk.on_trade_closed(trade("-1", exit_time=T0 + pd.Timedelta(minutes=i)))
    status = risk.status()
    assert status["killed"] == ["XRPUSDT"]
    assert status["halted_pairs"] == ["s1|XRPUSDT"]
    assert status["daily_realized"] == "-8"


# ----- C28 / P07 / P08: asyncio ------------------------------------------------------------
class FakeExchange:
    """Just enough of an exchange: balance reads and order placement both await."""

    def __init__(self, balance: str) -> None:
        self.available = D(balance)
        self.log: list[str] = []
        self.positions: list = []

    async def account(self, who: str) -> AccountView:
        await asyncio.sleep(0.001)
        self.log.append(f"read {who}")
        return account(
            balance=str(self.available), base="1000", n_symbols=2, positions=tuple(self.positions),
            markets={"XRPUSDT": market(price="2.5"), "DOGEUSDT": market("DOGEUSDT", "2.5")},
        )

    async def place(self, who: str, symbol: str, margin: Decimal, qty: Decimal) -> None:
        await asyncio.sleep(0.005)  # the venue takes a while to answer
        self.available -= margin
        self.positions.append(position(symbol, qty=str(qty), notional=str(qty * D("2.5"))))
        self.log.append(f"order {who}")


def test_entry_lock_serialises_read_size_order() -> None:
    risk = manager(only(sizing={"mode": "dynamic_margin"}))
    ex = FakeExchange("1000")

    async def bot(symbol: str) -> Decimal:
        async with risk.entry_lock:
            acct = await ex.account(symbol)
            decision = risk.evaluate(intent(symbol), acct)
            assert decision.approved
            assert decision.margin is not None
            assert decision.qty is not None
            await ex.place(symbol, symbol, decision.margin, decision.qty)
            return decision.qty

    async def main() -> list[Decimal]:
        return list(await asyncio.gather(bot("XRPUSDT"), bot("DOGEUSDT")))

    first, second = asyncio.run(main())
    assert ex.log == ["read XRPUSDT", "order XRPUSDT", "read DOGEUSDT", "order DOGEUSDT"]
    assert first == D("1000")  # 500 × 0.5 × 10 / 2.5
    assert second == D("750")  # sized from the 750 left, never from the same 1000 (P07)
    assert ex.available == D("562.5")  # 1000 − 250 − 187.5


def test_entry_lock_is_one_lock_per_manager() -> None:
    risk = manager()
    assert risk.entry_lock is risk.entry_lock
    assert isinstance(risk.entry_lock, asyncio.Lock)
    assert manager().entry_lock is not risk.entry_lock


def test_concurrent_trade_closes_are_all_booked() -> None:
    risk = manager()

    async def close(i: int) -> None:
        await asyncio.sleep(0)
        risk.on_trade_closed(trade("-1", exit_time=T0 + pd.Timedelta(seconds=i)))

    async def main() -> None:
        await asyncio.gather(*(close(i) for i in range(50)))

    asyncio.run(main())
    assert risk.state.daily_realized == D("-50")  # P08: no update lost


def test_state_survives_a_restart_mid_day() -> None:
    risk = manager(only(losses={"daily_loss_limit": 0.05}), scope="paper")
    risk.on_trade_closed(trade("-60"))
    restarted = manager(only(losses={"daily_loss_limit": 0.05}), scope="paper", state=risk.state_dict())
    assert restarted.evaluate(intent(), account()).rule is Rule.DAILY_LOSS


def test_short_and_long_share_one_registry() -> None:
    risk = manager(only(positions={"max_same_direction": 1}))
    acct = account(markets={"XRPUSDT": market(), "DOGEUSDT": market("DOGEUSDT", "2.5")})
    assert risk.evaluate(intent("XRPUSDT", Side.SHORT), acct).approved
    assert risk.evaluate(intent("DOGEUSDT", Side.SHORT), acct).rule is Rule.MAX_SAME_DIRECTION
    assert risk.evaluate(intent("DOGEUSDT", Side.LONG), acct).approved
