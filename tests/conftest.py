"""Shared fixtures. Tests never touch the user's environment or real services."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
SHARED = REPO.parent / "shared"


def shared_data_path() -> Path:
    """../shared/data, or skip the calling test with a visible reason when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"needs the shared data set at {SHARED_DATA} (present in CI, absent in a fresh clone)")
    return SHARED_DATA


@pytest.fixture
def shared_data() -> Path:
    return shared_data_path()


@pytest.fixture
def sample_dir() -> Path:
    return REPO / "sample"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No COINPILOT_* variable or .env from the developer's shell leaks into a test."""
    import os

    for name in list(os.environ):
        if name.startswith("COINPILOT_"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
