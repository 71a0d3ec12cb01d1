from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import structlog
from pydantic import SecretStr

from coinpilot.obs.logging import configure_logging, get_logger


@pytest.fixture(autouse=True)
def _restore_structlog() -> Iterator[None]:
    """configure_logging binds the current stderr (capsys's, here): undo it after the test."""
    yield
    structlog.reset_defaults()


def test_secrets_never_reach_json_logs(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", json=True)
    log = get_logger("test", symbol="BTCUSDT")
    log.info("order sent", api_key="AKIA-SECRET", secret=SecretStr("hidden"), order_id="cp-1", reason="entry")
    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["symbol"] == "BTCUSDT"
    assert record["order_id"] == "cp-1"
    assert "AKIA-SECRET" not in line
    assert "hidden" not in line
    assert record["api_key"] == "**********"
