"""Strategy registry: names to classes, and validated construction from plain config dicts.

Why a registry: config files, the CLI and the engine name strategies by string; one table maps
those names to classes, answers typos with "did you mean", and turns pydantic validation
errors into a ConfigError that names the strategy, field, value and what is allowed, so a bad
parameter fails at start-up instead of halfway through a run.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import ValidationError

from coinpilot.domain.errors import ConfigError, UnknownStrategyError
from coinpilot.strategies.base import Strategy, StrategyParams

S = TypeVar("S", bound=type[Strategy])

_REGISTRY: dict[str, type[Strategy]] = {}


def register(cls: S) -> S:
    """Class decorator: make `cls` available under `cls.name`.

    Re-registering the same class (a module imported twice) is a no-op; another class under
    a taken name is an error, because the second would silently shadow the first.
    """
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name:
        raise TypeError(f"{cls.__qualname__} needs a non-empty class attribute `name` to be registered")
    current = _REGISTRY.get(name)
    if current is not None and current is not cls and _qualified(current) != _qualified(cls):
        raise ValueError(
            f"strategy name {name!r} is already taken by {_qualified(current)}; "
            f"choose another name for {_qualified(cls)}"
        )
    _REGISTRY[name] = cls
    return cls


def unregister(name: str) -> None:
    """Remove a registration (tests and reloaded user modules)."""
    _REGISTRY.pop(name, None)


def names() -> list[str]:
    """Registered strategy names, sorted."""
    return sorted(_REGISTRY)


def get(name: str) -> type[Strategy]:
    """The class registered under `name`; UnknownStrategyError suggests close names."""
    try:
        return _REGISTRY[name]
    except KeyError:
        pass
    close = difflib.get_close_matches(name, list(_REGISTRY), n=3, cutoff=0.5)
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    raise UnknownStrategyError(
        f"no strategy named {name!r}.{hint} Known strategies: {', '.join(names()) or '(none)'}"
    )


def create(name: str, params: Mapping[str, Any] | None = None) -> Strategy:
    """An instance of strategy `name` with validated `params` (None: all defaults)."""
    cls = get(name)
    return instantiate(cls, params)


def instantiate(cls: type[Strategy], params: Mapping[str, Any] | None = None) -> Strategy:
    """Build `cls` from a plain mapping, converting validation errors to ConfigError."""
    try:
        validated = cls.Params.model_validate(dict(params or {}))
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(cls.name, cls.Params, exc)) from None
    return cls(validated)


def describe_validation_error(owner: str, model: type[StrategyParams], error: ValidationError) -> str:
    """One line per problem: field, offending value, pydantic's complaint and what is allowed."""
    allowed = sorted(model.model_fields)
    lines = []
    for item in error.errors():
        field = ".".join(str(p) for p in item["loc"]) or "(root)"
        value = item.get("input")
        if item["type"] == "extra_forbidden":
            close = difflib.get_close_matches(field, allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            lines.append(f"  unknown parameter {field!r}{hint}; allowed: {', '.join(allowed)}")
            continue
        info = model.model_fields.get(str(item["loc"][0])) if item["loc"] else None
        default = f"; default {info.default!r}" if info is not None and not info.is_required() else ""
        shown = repr(value)
        if len(shown) > 60:
            shown = shown[:57] + "..."
        lines.append(f"  {field} = {shown}: {item['msg']}{default}")
    return f"invalid parameters for strategy {owner!r}:\n" + "\n".join(lines)


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"
