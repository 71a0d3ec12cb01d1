"""Load Settings from a YAML file plus the environment, turning errors into ConfigError."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_settings.exceptions import SettingsError

from coinpilot.config.settings import YAML_VALUES, Settings
from coinpilot.domain.errors import ConfigError

CONFIG_ENV = "COINPILOT_CONFIG"


def describe_validation_error(error: ValidationError, title: str = "invalid configuration") -> str:
    """`title`, then one 'field = value: rule' line per problem (secrets never shown)."""
    lines = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "(root)"
        value = item.get("input")
        shown = "<secret>" if "secret" in where else repr(value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        lines.append(f"  {where} = {shown}: {item['msg']}")
    return f"{title}:\n" + "\n".join(lines)


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise ConfigError(f"config file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping at the top level")
    if "secrets" in data:
        raise ConfigError(
            f"config file {path} has a 'secrets' section: secrets are read only from the "
            "environment (COINPILOT_SECRETS__<NAME>) or .env, never from YAML; remove it"
        )
    return data


def load_settings(config_path: Path | str | None = None, **overrides: Any) -> Settings:
    """Build Settings: defaults < YAML (`config_path` or $COINPILOT_CONFIG) < .env < env < overrides."""
    path = config_path or os.environ.get(CONFIG_ENV)
    file_values = _read_yaml(Path(path)) if path else {}

    token = YAML_VALUES.set(file_values)
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None
    except SettingsError as exc:  # an env value that cannot be parsed at all
        raise ConfigError(f"invalid configuration from the environment: {exc}") from None
    finally:
        YAML_VALUES.reset(token)
    if path:
        settings.yaml_path = Path(path)
    return settings
