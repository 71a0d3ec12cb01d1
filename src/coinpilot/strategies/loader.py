"""User strategy modules and per-symbol YAML parameters (SPEC A02, A06).

A user strategy is a Python file `<dir>/<name>.py` defining exactly one Strategy subclass, plus
optional per-symbol files `<dir>/<name>/<SYMBOL>.yaml` holding `enabled` and parameter values.
Adding or removing one never touches the engine: it names the strategy, this module finds it.

Errors are ConfigError naming the file and, for a bad key, the key and the allowed keys: a
typo in a YAML file must stop the start-up, not silently run the defaults.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from coinpilot.domain.errors import ConfigError, UnknownStrategyError
from coinpilot.strategies import registry
from coinpilot.strategies.base import Strategy

USER_PACKAGE = "coinpilot_user_strategies"
ENABLED = "enabled"


@dataclass(frozen=True)
class SymbolConfig:
    """One `<SYMBOL>.yaml`: whether the strategy trades that symbol, and with which parameters."""

    symbol: str
    enabled: bool
    params: Mapping[str, Any] = field(default_factory=dict)
    path: Path | None = None


def find_module_file(name: str, search_dirs: Iterable[Path | str]) -> Path | None:
    """The first `<dir>/<name>.py` along `search_dirs`, or None."""
    for d in search_dirs:
        candidate = Path(d) / f"{name}.py"
        if candidate.is_file():
            return candidate
    return None


def load_strategy_module(path: Path | str) -> type[Strategy]:
    """Import a strategy file and return (and register) its single Strategy subclass."""
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"strategy module {file} does not exist")
    module_name = f"{USER_PACKAGE}.{file.stem}"
    spec = importlib.util.spec_from_file_location(module_name, file)
    if spec is None or spec.loader is None:
        raise ConfigError(f"cannot import strategy module {file}: not a Python source file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # user code: report any import failure as a config problem
        sys.modules.pop(module_name, None)
        raise ConfigError(f"strategy module {file} failed to import: {type(exc).__name__}: {exc}") from exc
    found = [
        obj for obj in vars(module).values()
        if inspect.isclass(obj) and issubclass(obj, Strategy) and obj.__module__ == module_name
        and not inspect.isabstract(obj)
    ]
    if len(found) != 1:
        listed = ", ".join(c.__name__ for c in found) or "none"
        raise ConfigError(
            f"strategy module {file} must define exactly one concrete Strategy subclass (found {listed})"
        )
    cls = found[0]
    if getattr(cls, "name", None) != file.stem:
        raise ConfigError(
            f"strategy module {file}: class {cls.__name__} has name = {getattr(cls, 'name', None)!r}; "
            f"it must equal the file name {file.stem!r} so config files can refer to it"
        )
    try:
        registry.register(cls)
    except ValueError as exc:
        raise ConfigError(f"strategy module {file}: {exc}") from None
    return cls


def resolve_strategy(name: str, search_dirs: Iterable[Path | str] = ()) -> type[Strategy]:
    """A registered strategy, else `<dir>/<name>.py` from `search_dirs` (loaded and registered)."""
    dirs = list(search_dirs)
    try:
        return registry.get(name)
    except UnknownStrategyError as exc:
        file = find_module_file(name, dirs)
        if file is None:
            where = ", ".join(str(d) for d in dirs) or "no module directories given"
            raise UnknownStrategyError(f"{exc} (also looked for {name}.py in: {where})") from None
    return load_strategy_module(file)


def load_symbol_config(path: Path | str, strategy: type[Strategy]) -> SymbolConfig:
    """Read and validate one `<SYMBOL>.yaml` against the strategy's parameters."""
    file = Path(path)
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"strategy config {file} does not exist") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"strategy config {file} is not valid YAML: {exc}") from None
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise ConfigError(f"strategy config {file} must hold a mapping of parameter: value")
    allowed = [ENABLED, *sorted(strategy.Params.model_fields)]
    unknown = [k for k in raw if k not in allowed]
    if unknown:
        raise ConfigError(
            f"strategy config {file}: unknown key {unknown[0]!r} for strategy {strategy.name!r}; "
            f"allowed keys: {', '.join(allowed)}"
        )
    enabled = raw.pop(ENABLED, True)
    if not isinstance(enabled, bool):
        raise ConfigError(f"strategy config {file}: 'enabled' must be true or false, got {enabled!r}")
    try:
        strategy.Params.model_validate(raw)
    except ValidationError as exc:
        detail = registry.describe_validation_error(strategy.name, strategy.Params, exc)
        raise ConfigError(f"strategy config {file}: {detail}") from None
    return SymbolConfig(symbol=file.stem.upper(), enabled=enabled, params=raw, path=file)


def load_symbol_configs(config_dir: Path | str, strategy: type[Strategy]) -> dict[str, SymbolConfig]:
    """Every `<config_dir>/<strategy.name>/<SYMBOL>.yaml`, keyed by upper-case symbol."""
    folder = Path(config_dir) / strategy.name
    if not folder.is_dir():
        return {}
    configs = [load_symbol_config(f, strategy) for f in sorted(folder.glob("*.y*ml"))]
    return {c.symbol: c for c in configs}


def create_for_symbol(
    strategy: type[Strategy], config: SymbolConfig, base: Mapping[str, Any] | None = None
) -> Strategy:
    """An instance for one symbol: `base` parameters (e.g. global config) overlaid with its YAML."""
    merged = {**dict(base or {}), **dict(config.params)}
    try:
        return registry.instantiate(strategy, merged)
    except ConfigError as exc:
        raise ConfigError(f"strategy config {config.path or config.symbol}: {exc}") from None


def symbol_config_file(config_dir: Path | str, name: str, symbol: str) -> Path | None:
    """`<config_dir>/<name>/<SYMBOL>.yaml` (or .yml), or None when there is none."""
    folder = Path(config_dir) / name
    for stem in dict.fromkeys((symbol.upper(), symbol)):
        for ext in (".yaml", ".yml"):
            candidate = folder / f"{stem}{ext}"
            if candidate.is_file():
                return candidate
    return None


def load_symbol_params(config_dir: Path | str, name: str, symbol: str) -> dict[str, Any]:
    """The per-symbol YAML of strategy `name` as a plain dict ('enabled' included when set).

    For the config layer, which merges it over section params. Keys and values are validated
    against the strategy's parameters when the strategy is registered (user modules are
    validated once loaded); no file gives {}.
    """
    file = symbol_config_file(config_dir, name, symbol)
    if file is None:
        return {}
    if name in registry.names():
        config = load_symbol_config(file, registry.get(name))
        return {ENABLED: config.enabled, **dict(config.params)}
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"strategy config {file} is not valid YAML: {exc}") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"strategy config {file} must hold a mapping of parameter: value")
    return dict(raw)
