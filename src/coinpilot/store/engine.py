"""Engine and session factories. SQLite by default, PostgreSQL by URL, same code above.

SQLite gets, on every new connection: WAL journal (readers such as the dashboard do not block
the writer), foreign keys ON (off by default in SQLite!), a busy timeout so a second process
waits for the lock instead of failing, and real transactions: pysqlite's legacy mode neither
begins a transaction before DDL nor around reads, so we turn its handling off and emit BEGIN
ourselves (the SQLAlchemy-documented recipe). A failed migration therefore rolls back whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from coinpilot.store.types import json_dumps

SQLITE_BUSY_TIMEOUT_MS = 30_000


def _is_memory(url: URL) -> bool:
    return url.database in (None, "", ":memory:") or (url.query.get("mode") == "memory")


def _sqlite_setup(engine: Engine, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (see "begin" below)
        cursor = dbapi_connection.cursor()
        try:
            if wal:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL, much faster
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")


def create_engine_from_url(url: str | URL, *, echo: bool = False) -> Engine:
    """An engine for `url` with coinpilot's JSON serializer and, for SQLite, the pragmas above.

    A SQLite file's parent directory is created if missing, so `sqlite:///data/coinpilot.db`
    works on a fresh checkout. Other backends get the URL unchanged (plus pool pre-ping, so a
    connection dropped by the server is replaced instead of failing the next write).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not _is_memory(parsed) and parsed.database:
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, echo=echo, json_serializer=json_dumps)
        _sqlite_setup(engine, wal=not _is_memory(parsed))
        return engine
    return create_engine(parsed, echo=echo, json_serializer=json_dumps, pool_pre_ping=True)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit (objects stay readable for events/logs)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception, always close."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
