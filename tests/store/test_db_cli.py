"""`coinpilot db upgrade` / `coinpilot db current`."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from coinpilot.cli.db import app
from coinpilot.store import migrate

runner = CliRunner()


def test_upgrade_then_current(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    before = runner.invoke(app, ["current", "--url", url])
    assert before.exit_code == 1
    assert "not initialised" in before.output
    result = runner.invoke(app, ["upgrade", "--url", url])
    assert result.exit_code == 0, result.output
    assert "empty → 0001" in result.output
    again = runner.invoke(app, ["upgrade", "--url", url])
    assert "already at 0001" in again.output
    current = runner.invoke(app, ["current", "--url", url])
    assert current.exit_code == 0
    assert "0001" in current.output
    assert "up to date" in current.output


def test_default_url_comes_from_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "from-env.db"
    monkeypatch.setenv("COINPILOT_DB_URL", f"sqlite:///{target}")
    result = runner.invoke(app, ["upgrade"])
    assert result.exit_code == 0, result.output
    assert migrate.current(f"sqlite:///{target}") == "0001"


def test_password_is_not_echoed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(migrate, "current", lambda url: "0001")
    monkeypatch.setattr(migrate, "head", lambda: "0001")
    result = runner.invoke(app, ["current", "--url", "postgresql://bot:s3cret@db/coinpilot"])
    assert "s3cret" not in result.output
    assert "***" in result.output
