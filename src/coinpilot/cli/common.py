"""Options and set-up shared by the commands: one configuration, one strategies directory."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from coinpilot.config.settings import Settings

StrategiesDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--strategies-dir",
        help="Directory of your strategies: <dir>/<name>.py modules and <dir>/<name>/<SYMBOL>.yaml "
        "parameters (default: the strategies_dir setting).",
    ),
]
ProfileOpt = Annotated[
    str | None, typer.Option("--profile", help="Preset: realistic or reference (default: the backtest.profile setting).")
]


def settings(strategies_dir: Path | None = None, **overrides: Any) -> Settings:
    """The effective configuration (file < .env < env < these overrides), validated once."""
    from coinpilot.config import load_settings
    from coinpilot.domain.errors import ConfigError

    if strategies_dir is not None:
        if not strategies_dir.is_dir():
            raise ConfigError(f"--strategies-dir {strategies_dir}: not a directory")
        overrides["strategies_dir"] = strategies_dir
    return load_settings(**overrides)
