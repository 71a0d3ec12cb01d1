"""Load Settings from a YAML file plus the environment, turning errors into ConfigError."""

from __future__ import annotations

import difflib
import os
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_settings.exceptions import SettingsError

from coinpilot.config.settings import YAML_VALUES, Settings
from coinpilot.domain.errors import ConfigError

CONFIG_ENV = "COINPILOT_CONFIG"
PREFIX = "COINPILOT_"
#: variables with our prefix that are not settings fields
_NOT_FIELDS = {CONFIG_ENV}


def describe_validation_error(error: ValidationError, title: str = "invalid configuration") -> str:
    """`title`, then one 'field = value: rule' line per problem (secrets never shown)."""
    lines = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "(root)"
        value = item.get("input")
        # an unknown key's value may be anything (another program's password in a shared
        # .env): never echo it; nor a secret's
        hidden = "secret" in where or item["type"] == "extra_forbidden"
        shown = "<not shown>" if hidden else repr(value)
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
    except ValueError as exc:  # a value YAML itself cannot build, e.g. the date 2025-13-45
        raise ConfigError(f"config file {path} has a bad value: {exc} (quote it to pass it as text)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping at the top level")
    if "secrets" in data:
        raise ConfigError(
            f"config file {path} has a 'secrets' section: secrets are read only from the "
            "environment (COINPILOT_SECRETS__<NAME>) or .env, never from YAML; remove it"
        )
    return data


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation (`X`, `X | None`), or None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _known_path(model: type[BaseModel], parts: list[str]) -> bool:
    """Whether `parts` (lower-case, from A__B__C) names a field path of `model`."""
    if not parts:
        return True
    field = model.model_fields.get(parts[0])
    if field is None:
        return False
    inner = _model_of(field.annotation)
    if typing.get_origin(field.annotation) is dict:  # keyed by a name the user picks
        if inner is None or len(parts) <= 2:  # free mapping (sim, params) or one whole entry
            return True
        return _known_path(inner, parts[2:])
    if inner is None:
        return len(parts) == 1
    return _known_path(inner, parts[1:])


def unknown_env_keys(names: Iterable[str]) -> list[str]:
    """The COINPILOT_* names among `names` that name no setting (so a typo such as
    COINPILOT_LEVRAGE=5 stops the start instead of being ignored)."""
    bad = []
    for name in names:
        upper = name.upper()
        if not upper.startswith(PREFIX) or upper in _NOT_FIELDS:
            continue
        if not _known_path(Settings, upper[len(PREFIX):].lower().split("__")):
            bad.append(name)
    return sorted(bad)


def _env_paths(model: type[BaseModel], prefix: str) -> list[str]:
    out = []
    for name, field in model.model_fields.items():
        if name == "yaml_path":
            continue
        path = f"{prefix}{name.upper()}"
        out.append(path)
        inner = _model_of(field.annotation)
        if inner is not None and typing.get_origin(field.annotation) is not dict:
            out.extend(_env_paths(inner, path + "__"))
    return out


def _closest(name: str, known: list[str]) -> list[str]:
    """Real names close to `name`: same leaf spelled nearly alike first (LEVRAGE → LEVERAGE)."""
    leaf = name.upper().rsplit("__", 1)[-1].removeprefix(PREFIX)
    by_leaf = {k.rsplit("__", 1)[-1].removeprefix(PREFIX): k for k in known}
    close = [by_leaf[m] for m in difflib.get_close_matches(leaf, list(by_leaf), n=2, cutoff=0.75)]
    return close or difflib.get_close_matches(name.upper(), known, n=2, cutoff=0.6)


def check_env_keys(env: Mapping[str, str], dotenv: Mapping[str, str | None], dotenv_name: str = ".env") -> None:
    """Refuse COINPILOT_* names that are no setting, in the environment and in `.env`;
    names only, never values, each with the closest real names."""
    problems = []
    known = _env_paths(Settings, PREFIX)
    for where, names in (("environment", env), (dotenv_name, dotenv)):
        for name in unknown_env_keys(names):
            close = _closest(name, known)
            hint = f" (did you mean {' or '.join(close)}?)" if close else ""
            problems.append(f"  {name} in the {where}: no such setting{hint}")
    if problems:
        raise ConfigError(
            "unknown settings (see docs/config.md; nested names use __, e.g. "
            "COINPILOT_EXCHANGE__LEVERAGE):\n" + "\n".join(problems)
        )


def _dotenv_values(path: Path) -> dict[str, str | None]:
    if not path.is_file():
        return {}
    from dotenv import dotenv_values

    try:
        return dict(dotenv_values(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None


def load_settings(config_path: Path | str | None = None, **overrides: Any) -> Settings:
    """Build Settings: defaults < YAML (`config_path` or $COINPILOT_CONFIG) < .env < env < overrides."""
    path = config_path or os.environ.get(CONFIG_ENV)
    file_values = _read_yaml(Path(path)) if path else {}
    check_env_keys(os.environ, _dotenv_values(Path(".env")))

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
