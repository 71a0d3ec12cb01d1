"""The SQL store: migrations, SQLite pragmas, exact money, UTC times, uniqueness guarantees."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from coinpilot.store import create_engine_from_url, migrate, session_scope
from coinpilot.store.models import Base, EquitySnapshot, Fill, KillSwitchState, Order, Run

D = Decimal
T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
TABLES = {
    "runs", "orders", "fills", "positions", "trades", "signals", "risk_events",
    "kill_switch_state", "equity_snapshots",
}


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'nested' / 'coinpilot.db'}"
    migrate.upgrade(url)
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = create_engine_from_url(db_url)
    yield eng
    eng.dispose()


def add_run(engine: Engine, run_id: str = "bt-1") -> None:
    with session_scope(engine) as s:
        s.add(Run(id=run_id, kind="backtest", started_at=T0, config={"fee": D("0.0005")}))


def make_order(client_id: str = "cp-bt1-BTCUSDT-1", **kw: object) -> Order:
    fields: dict[str, object] = {
        "run_id": "bt-1", "client_order_id": client_id, "venue": "binance", "market": "futures",
        "symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "qty": D("0.001"),
        "price": D("50000.10"), "status": "NEW", "created_at": T0, "updated_at": T0,
    }
    fields.update(kw)
    return Order(**fields)


def test_upgrade_creates_every_table_at_head(db_url: str, engine: Engine) -> None:
    assert migrate.current(db_url) == migrate.head() == "0001"
    assert set(inspect(engine).get_table_names()) >= TABLES


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(engine: Engine) -> None:
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000


def test_models_and_migrations_do_not_drift(engine: Engine) -> None:
    """Autogenerate against the migrated DB finds nothing: add a migration with every model change."""
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_decimals_round_trip_exactly(engine: Engine) -> None:
    add_run(engine)
    values = [D("0.000000000000000001"), D("12345678901234567890.123456789012345678"), D("0.10"), D("-3.5")]
    with session_scope(engine) as s:
        for i, v in enumerate(values):
            s.add(EquitySnapshot(run_id="bt-1", time=T0 + timedelta(minutes=i), asset="USDT",
                                 equity=v, wallet_balance=v, unrealized_pnl=D(0)))
    with session_scope(engine) as s:
        stored = s.scalars(select(EquitySnapshot.equity).order_by(EquitySnapshot.time)).all()
    assert stored == values
    assert all(isinstance(v, Decimal) for v in stored)
    assert str(stored[2]) == "0.10"  # not 0.1000000000000000055511151231257827


def test_float_money_and_oversized_values_are_refused(engine: Engine) -> None:
    add_run(engine)
    with pytest.raises(StatementError, match="take Decimal"), session_scope(engine) as s:
        s.add(make_order(qty=0.1))
    with pytest.raises(StatementError, match="does not fit"), session_scope(engine) as s:
        s.add(make_order(qty=D("0.0000000000000000001")))


def test_naive_timestamps_are_refused_and_aware_ones_come_back_utc(engine: Engine) -> None:
    """SPEC P104: tz was not validated on upsert in the seed."""
    add_run(engine)
    with pytest.raises(StatementError, match="naive datetime"), session_scope(engine) as s:
        s.add(make_order(created_at=datetime(2025, 1, 1, 12, 0)))
    seoul = timezone(timedelta(hours=9))
    with session_scope(engine) as s:
        s.add(make_order(created_at=datetime(2025, 1, 1, 21, 0, tzinfo=seoul)))
    with session_scope(engine) as s:
        created = s.scalars(select(Order.created_at)).one()
    assert created == T0
    assert created.tzinfo is UTC


def test_client_order_id_is_unique(engine: Engine) -> None:
    add_run(engine)
    with session_scope(engine) as s:
        s.add(make_order())
    with pytest.raises(IntegrityError, match="client_order_id"), session_scope(engine) as s:
        s.add(make_order(symbol="ETHUSDT"))


def test_fills_are_deduplicated_per_venue_symbol_trade_id(engine: Engine) -> None:
    add_run(engine)
    with session_scope(engine) as s:
        order = make_order()
        s.add(order)
        s.flush()
        oid = order.id

    def fill(symbol: str = "BTCUSDT") -> Fill:
        return Fill(order_id=oid, venue="binance", symbol=symbol, trade_id="444925760", side="BUY",
                    price=D("50000.1"), qty=D("0.001"), fee=D("0.02500005"), fee_asset="USDT", time=T0)

    with session_scope(engine) as s:
        s.add(fill())
        s.add(fill(symbol="ETHUSDT"))  # same trade id on another symbol is a different trade
    with pytest.raises(IntegrityError, match="trade_id"), session_scope(engine) as s:
        s.add(fill())


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with pytest.raises(IntegrityError, match="FOREIGN KEY"), session_scope(engine) as s:
        s.add(make_order(run_id="no-such-run"))


def test_check_constraints_guard_closed_vocabularies(engine: Engine) -> None:
    with pytest.raises(IntegrityError, match="ck_runs_kind"), session_scope(engine) as s:
        s.add(Run(id="x", kind="yolo", started_at=T0))
    with pytest.raises(IntegrityError, match="ck_kill_switch_state_state"), session_scope(engine) as s:
        s.add(KillSwitchState(scope="global", state="maybe", updated_at=T0))


def test_json_columns_accept_decimals_and_times(engine: Engine) -> None:
    add_run(engine)
    raw = {"avgPrice": D("50000.10"), "time": T0, "reduceOnly": False}
    with session_scope(engine) as s:
        s.add(make_order(raw=raw))
    with session_scope(engine) as s:
        got = s.scalars(select(Order.raw)).one()
        run_config = s.scalars(select(Run.config)).one()
    assert got == {"avgPrice": "50000.10", "time": "2025-01-01T12:00:00+00:00", "reduceOnly": False}
    assert run_config == {"fee": "0.0005"}


def test_session_scope_rolls_back_on_error(engine: Engine) -> None:
    def failing_unit_of_work() -> None:
        with session_scope(engine) as s:
            s.add(Run(id="bt-2", kind="paper", started_at=T0))
            s.flush()
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        failing_unit_of_work()
    with session_scope(engine) as s:
        assert s.get(Run, "bt-2") is None


def test_downgrade_then_upgrade(db_url: str, engine: Engine) -> None:
    migrate.downgrade(db_url, "base")
    assert migrate.current(db_url) is None
    assert not TABLES & set(inspect(engine).get_table_names())
    migrate.upgrade(db_url)
    assert migrate.current(db_url) == "0001"
    add_run(engine)


def test_postgresql_gets_native_numeric_and_timestamptz(capsys: pytest.CaptureFixture[str]) -> None:
    """The same migration emits real NUMERIC/TIMESTAMPTZ for PostgreSQL (offline SQL, no server)."""
    from alembic import command

    command.upgrade(migrate.alembic_config("postgresql://u:p@localhost/coinpilot"), "head", sql=True)
    sql = capsys.readouterr().out
    assert "CREATE TABLE orders" in sql
    assert "qty NUMERIC(38, 18) NOT NULL" in sql
    assert "created_at TIMESTAMP WITH TIME ZONE NOT NULL" in sql
    assert "CONSTRAINT uq_fills_venue_symbol_trade_id UNIQUE (venue, symbol, trade_id)" in sql


def test_memory_database_works_without_wal() -> None:
    eng = create_engine_from_url("sqlite://")
    Base.metadata.create_all(eng)
    with eng.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    eng.dispose()
