"""Operational tables: runs, orders, fills, positions, the trade journal, signals, risk events,
kill-switch state and equity snapshots. One schema for backtest, paper and live (principle 1 of docs/architecture.md: one
engine, three clocks); a `runs` row says which clock produced the rest.

Money and quantities are exact (`DecimalType`), times are UTC-aware (`UTCDateTime`). Venue
vocabularies (order type, status) are stored as the venue's strings; the closed sets this
project owns (run kind, sides) carry CHECK constraints. Constraint names follow
`NAMING_CONVENTION` so migrations (SQLite batch mode included) can address them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from coinpilot.store.types import DecimalType, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

RUN_KINDS = ("backtest", "paper", "testnet", "live")
RUN_STATUSES = ("running", "completed", "failed", "aborted")
KILL_SWITCH_STATES = ("active", "reducing", "halted")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        Decimal: DecimalType(),
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


def _run_fk(*, nullable: bool = False, index: bool = False) -> Mapped[Any]:
    """Rows die with their run (deleting a sweep's backtests cleans up after them). No own
    index by default: each table has a composite index or unique key led by run_id."""
    return mapped_column(
        String(64), ForeignKey("runs.id", ondelete="CASCADE"), nullable=nullable, index=index
    )


class Run(Base):
    """One backtest, paper session or live session; every other row points at one."""

    __tablename__ = "runs"
    __table_args__ = (
        CheckConstraint(_in("kind", RUN_KINDS), name="kind"),
        CheckConstraint(_in("status", RUN_STATUSES), name="status"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="running")
    name: Mapped[str | None] = mapped_column(String(128))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Order(Base):
    """Written before it is sent (docs/architecture.md, principle 4); `client_order_id` is deterministic."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("venue", "symbol", "exchange_order_id"),
        CheckConstraint(_in("side", ("BUY", "SELL")), name="side"),
        Index("ix_orders_run_symbol", "run_id", "symbol"),
        Index("ix_orders_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = _run_fk()
    client_order_id: Mapped[str] = mapped_column(String(36), unique=True)
    exchange_order_id: Mapped[str | None] = mapped_column(String(64))
    venue: Mapped[str] = mapped_column(String(16))
    market: Mapped[str] = mapped_column(String(16))
    symbol: Mapped[str] = mapped_column(String(32))
    side: Mapped[str] = mapped_column(String(4))
    type: Mapped[str] = mapped_column(String(32))
    time_in_force: Mapped[str | None] = mapped_column(String(8))
    position_side: Mapped[str | None] = mapped_column(String(8))
    reduce_only: Mapped[bool] = mapped_column(Boolean, default=False)
    price: Mapped[Decimal | None]
    stop_price: Mapped[Decimal | None]
    qty: Mapped[Decimal]
    filled_qty: Mapped[Decimal] = mapped_column(default=Decimal(0))
    avg_price: Mapped[Decimal | None]
    status: Mapped[str] = mapped_column(String(24))
    purpose: Mapped[str | None] = mapped_column(String(16))  # entry / stop / target / exit
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    raw: Mapped[dict[str, Any] | None]


class Fill(Base):
    """One execution. (venue, symbol, trade_id) is unique: a replayed stream cannot double-count."""

    __tablename__ = "fills"
    __table_args__ = (
        UniqueConstraint("venue", "symbol", "trade_id"),
        CheckConstraint(_in("side", ("BUY", "SELL")), name="side"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    venue: Mapped[str] = mapped_column(String(16))
    symbol: Mapped[str] = mapped_column(String(32))
    trade_id: Mapped[str] = mapped_column(String(64))
    side: Mapped[str] = mapped_column(String(4))
    price: Mapped[Decimal]
    qty: Mapped[Decimal]
    fee: Mapped[Decimal] = mapped_column(default=Decimal(0))
    fee_asset: Mapped[str | None] = mapped_column(String(16))
    realized_pnl: Mapped[Decimal | None]
    liquidity: Mapped[str | None] = mapped_column(String(8))  # maker / taker
    time: Mapped[datetime]
    raw: Mapped[dict[str, Any] | None]


class Position(Base):
    __tablename__ = "positions"
    __table_args__ = (
        CheckConstraint(_in("side", ("long", "short")), name="side"),
        CheckConstraint(_in("status", ("open", "closed")), name="status"),
        Index("ix_positions_run_symbol_status", "run_id", "symbol", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = _run_fk()
    venue: Mapped[str] = mapped_column(String(16))
    symbol: Mapped[str] = mapped_column(String(32))
    side: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(8), default="open")
    qty: Mapped[Decimal]
    entry_price: Mapped[Decimal]
    leverage: Mapped[int | None] = mapped_column(Integer)
    margin_mode: Mapped[str | None] = mapped_column(String(8))  # isolated / cross
    realized_pnl: Mapped[Decimal] = mapped_column(default=Decimal(0))
    stop_client_order_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("orders.client_order_id", ondelete="SET NULL")
    )
    target_client_order_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("orders.client_order_id", ondelete="SET NULL")
    )
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class TradeRecord(Base):
    """The closed-trade journal (mirrors domain.trade.Trade plus model/LLM context)."""

    __tablename__ = "trades"
    __table_args__ = (
        UniqueConstraint("run_id", "symbol", "side", "entry_time"),
        CheckConstraint(_in("side", ("long", "short")), name="side"),
        Index("ix_trades_run_exit_time", "run_id", "exit_time"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = _run_fk()
    position_id: Mapped[int | None] = mapped_column(ForeignKey("positions.id", ondelete="SET NULL"))
    venue: Mapped[str] = mapped_column(String(16))
    symbol: Mapped[str] = mapped_column(String(32))
    side: Mapped[str] = mapped_column(String(8))
    strategy: Mapped[str] = mapped_column(String(64))
    entry_time: Mapped[datetime]
    exit_time: Mapped[datetime]
    entry_price: Mapped[Decimal]
    exit_price: Mapped[Decimal]
    qty: Mapped[Decimal]
    gross_pnl: Mapped[Decimal]
    fees: Mapped[Decimal]
    funding: Mapped[Decimal] = mapped_column(default=Decimal(0))
    net_pnl: Mapped[Decimal]
    exit_reason: Mapped[str] = mapped_column(String(16))
    entry_reason: Mapped[str | None] = mapped_column(Text)
    leverage: Mapped[int | None] = mapped_column(Integer)
    ml_probability: Mapped[float | None] = mapped_column(Float)
    llm_model: Mapped[str | None] = mapped_column(String(64))
    llm_reasoning: Mapped[str | None] = mapped_column(Text)
    meta: Mapped[dict[str, Any] | None]


class Signal(Base):
    """Every strategy decision with what risk made of it (accepted, or why not)."""

    __tablename__ = "signals"
    __table_args__ = (
        CheckConstraint(_in("side", ("long", "short")), name="side"),
        CheckConstraint(_in("action", ("enter", "exit")), name="action"),
        Index("ix_signals_run_symbol_time", "run_id", "symbol", "time"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = _run_fk()
    strategy: Mapped[str] = mapped_column(String(64))
    symbol: Mapped[str] = mapped_column(String(32))
    time: Mapped[datetime]
    side: Mapped[str] = mapped_column(String(8))
    action: Mapped[str] = mapped_column(String(8))
    price: Mapped[Decimal | None]
    score: Mapped[float] = mapped_column(Float, default=0.0)
    probability: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text, default="")
    accepted: Mapped[bool] = mapped_column(Boolean)
    reject_reason: Mapped[str | None] = mapped_column(Text)
    meta: Mapped[dict[str, Any] | None]


class RiskEvent(Base):
    __tablename__ = "risk_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str | None] = _run_fk(nullable=True, index=True)
    time: Mapped[datetime] = mapped_column(index=True)
    rule: Mapped[str] = mapped_column(String(64))
    symbol: Mapped[str | None] = mapped_column(String(32))
    decision: Mapped[str] = mapped_column(String(16))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class KillSwitchState(Base):
    """Current state per scope ("global", "symbol:BTCUSDT", "strategy:x"); survives restarts."""

    __tablename__ = "kill_switch_state"
    __table_args__ = (CheckConstraint(_in("state", KILL_SWITCH_STATES), name="state"),)

    scope: Mapped[str] = mapped_column(String(128), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime]


class EquitySnapshot(Base):
    __tablename__ = "equity_snapshots"
    __table_args__ = (UniqueConstraint("run_id", "asset", "time"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = _run_fk()
    time: Mapped[datetime]
    asset: Mapped[str] = mapped_column(String(16))  # USDT, KRW
    equity: Mapped[Decimal]
    wallet_balance: Mapped[Decimal]
    unrealized_pnl: Mapped[Decimal] = mapped_column(default=Decimal(0))
    margin_used: Mapped[Decimal | None]
