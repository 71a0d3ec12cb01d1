"""Alembic environment for coinpilot's operational schema.

Run through `coinpilot.store.migrate` (or `coinpilot db upgrade`), which builds the Alembic
config in code: no alembic.ini is needed. The database URL arrives in `config.attributes["url"]`
(kept out of the ini parser, so a password with '%' survives), or an open connection in
`config.attributes["connection"]` (tests and programmatic callers).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from coinpilot.store.engine import create_engine_from_url
from coinpilot.store.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: call coinpilot.store.migrate with a URL")
    return str(url)


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite ALTER needs table copies
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    """Emit SQL instead of executing it (`alembic upgrade --sql`), e.g. for a DBA review."""
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=_url().startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    engine = create_engine_from_url(_url())
    try:
        with engine.connect() as conn:
            _configure(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
