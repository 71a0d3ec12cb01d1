"""Structured logging with structlog: JSON in production, readable console otherwise.

Every record passes through `redact_secrets`, so a SecretStr or a field whose name looks like a
credential can never reach a log line, whatever a caller passes in.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog
from pydantic import SecretStr

_SECRET_KEY = re.compile(r"(secret|api_?key|token|password|signature|webhook)", re.IGNORECASE)
REDACTED = "**********"


def redact_secrets(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: mask SecretStr values and credential-named fields."""
    for key, value in list(event.items()):
        if isinstance(value, SecretStr) or (_SECRET_KEY.search(key) and value not in (None, "")):
            event[key] = REDACTED
    return event


def configure_logging(level: str = "INFO", json: bool = False) -> None:
    """Configure structlog once per process (idempotent)."""
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_secrets,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*processors, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str | None = None, **context: Any) -> Any:
    """A bound structlog logger; pass symbol/order id/reason as context."""
    return structlog.get_logger(name).bind(**context) if context else structlog.get_logger(name)
