"""Schema migrations, run from code: `upgrade(url)`, `downgrade(url, rev)`, `current(url)`.

The Alembic scripts live inside the package (`coinpilot/store/migrations`), so an installed
wheel can migrate its own database; the Alembic `Config` is built here, no alembic.ini needed.
Write a new revision with `uv run alembic -c <any empty ini> revision --autogenerate` pointing
`script_location` at that folder, or simply copy 0001 as a template; the test suite fails if
the models and the migrations drift apart.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL

from coinpilot.store.engine import create_engine_from_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | URL) -> Config:
    """An Alembic Config for `url` pointing at the packaged migration scripts."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    text = url.render_as_string(hide_password=False) if isinstance(url, URL) else str(url)
    cfg.attributes["url"] = text
    return cfg


def upgrade(url: str | URL, revision: str = "head") -> None:
    """Bring the database at `url` up to `revision` (creating the SQLite file if needed)."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | URL, revision: str) -> None:
    """Step the schema back to `revision` ("base" drops every coinpilot table)."""
    command.downgrade(alembic_config(url), revision)


def current(url: str | URL) -> str | None:
    """The revision the database is at, or None for a database never migrated."""
    engine = create_engine_from_url(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def head() -> str:
    """The newest revision shipped with this version of coinpilot."""
    revision = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    if revision is None:
        raise RuntimeError(f"no migration scripts found in {MIGRATIONS_DIR}")
    return revision
