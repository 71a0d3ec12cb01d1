"""`coinpilot config ...`: inspect the effective configuration."""

from __future__ import annotations

import typer
import yaml
from rich.console import Console

from coinpilot.config import load_settings

app = typer.Typer(help="Inspect the effective configuration (env over .env over YAML over defaults).")


@app.callback()
def _group() -> None:
    """Inspect the effective configuration."""


@app.command("show")
def show() -> None:
    """Print the effective config as YAML, with every secret masked."""
    settings = load_settings()
    console = Console()
    source = f"# from {settings.yaml_path}, overridden by environment\n" if settings.yaml_path else (
        "# defaults, overridden by environment\n"
    )
    console.print(source + yaml.safe_dump(settings.masked_dump(), sort_keys=False), highlight=False)
