"""`coinpilot db ...`: create or upgrade the operational database, show its revision."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(
    help="Operational database (orders, fills, trades, ...): upgrade the schema, show its revision.",
    no_args_is_help=True,
)

UrlOpt = Annotated[
    str | None,
    typer.Option("--url", help="SQLAlchemy URL (default: db_url from the coinpilot config)."),
]


def _default_url() -> str:
    try:
        from coinpilot.config import load_settings
    except ImportError:  # config layer absent in a partial install: use the documented default
        return "sqlite:///coinpilot.db"
    return load_settings().db_url


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url  # lazy: keep `coinpilot --help` fast

    return make_url(url).render_as_string(hide_password=True)


@app.command("upgrade")
def upgrade_cmd(
    url: UrlOpt = None,
    revision: Annotated[str, typer.Option("--revision", help="Target revision.")] = "head",
) -> None:
    """Create the database if needed and migrate it to the newest schema (or --revision)."""
    target = url or _default_url()
    from coinpilot.store import migrate

    before = migrate.current(target)
    migrate.upgrade(target, revision)
    after = migrate.current(target)
    console = Console(highlight=False, soft_wrap=True)
    if before == after:
        console.print(f"{_shown(target)}: already at {after}")
    else:
        console.print(f"{_shown(target)}: {before or 'empty'} → {after}")


@app.command("current")
def current_cmd(url: UrlOpt = None) -> None:
    """Show the database's schema revision and whether it is the newest one."""
    target = url or _default_url()
    from coinpilot.store import migrate

    rev, head = migrate.current(target), migrate.head()
    state = "up to date" if rev == head else f"behind (newest is {head}; run `coinpilot db upgrade`)"
    Console(highlight=False, soft_wrap=True).print(f"{_shown(target)}: {rev or 'not initialised'} — {state}")
    if rev != head:
        raise typer.Exit(code=1)
