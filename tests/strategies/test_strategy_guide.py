"""docs/strategies.md's example, run through the CLI as a user would: new, look-ahead check, backtest."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coinpilot.cli.main import app
from coinpilot.data.store import sample_root
from coinpilot.domain.errors import ConfigError
from coinpilot.strategies import registry

runner = CliRunner()
NAME = "guide_breakout"
DOC = (Path(__file__).resolve().parents[2] / "docs" / "strategies.md").read_text()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name in list(os.environ):
        if name.upper().startswith("COINPILOT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    if NAME in registry.names():
        registry.unregister(NAME)


def _ok(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, f"{args}: {result.output}\n{result.exception!r}"
    return result.output


def test_the_guide_example_end_to_end(workdir: Path) -> None:
    assert "coinpilot strategies new my_breakout" in DOC
    out = _ok(["strategies", "new", NAME])
    module = workdir / "strategies" / f"{NAME}.py"
    assert module.is_file()
    assert (workdir / "strategies" / NAME / "BTCUSDT.yaml").is_file()
    assert f"check-lookahead {NAME}" in out

    out = _ok(["check-lookahead", NAME, "--strategies-dir", "strategies", "--cuts", "8"])
    assert "no look-ahead found" in out
    listed = _ok(["strategies", "list", "--strategies-dir", "strategies"])
    assert NAME in listed
    assert "user module" in listed

    # per-symbol file: ETHUSDT gets its own channel, SOLUSDT is switched off
    (workdir / "strategies" / NAME / "ETHUSDT.yaml").write_text("channel: 96\n")
    (workdir / "strategies" / NAME / "SOLUSDT.yaml").write_text("enabled: false\n")
    _ok(["backtest", "-s", NAME, "--strategies-dir", "strategies", "--store", str(sample_root()),
         "--symbols", "BTCUSDT,ETHUSDT,SOLUSDT", "--end", "2025-02-15", "--quiet", "--no-report", "--out", "res"])
    run_dir = next((workdir / "res").glob(f"{NAME}-*"))
    config = json.loads((run_dir / "config.json").read_text())
    assert config["symbols"] == ["BTCUSDT", "ETHUSDT"]
    assert config["symbol_params"]["ETHUSDT"]["channel"] == 96
    assert config["strategies_dir"] == "strategies"
    trades = (run_dir / "trades.csv").read_text()
    assert "BTCUSDT" in trades
    assert "ETHUSDT" in trades


def test_new_refuses_bad_names_and_overwrites(workdir: Path) -> None:
    for bad in ("Bad-Name", "c_score", "class", "x"):
        result = runner.invoke(app, ["strategies", "new", bad])
        assert result.exit_code != 0, bad
        assert isinstance(result.exception, ConfigError), bad
    _ok(["strategies", "new", NAME])
    again = runner.invoke(app, ["strategies", "new", NAME])
    assert isinstance(again.exception, ConfigError)
    assert "--force" in str(again.exception)


def test_a_strategy_that_raises_is_a_clear_error(workdir: Path) -> None:
    _ok(["strategies", "new", NAME])
    module = workdir / "strategies" / f"{NAME}.py"
    module.write_text(module.read_text().replace("p = self.params\n", "p = self.params\n        raise RuntimeError('boom')\n", 1))
    result = runner.invoke(app, ["backtest", "-s", NAME, "--strategies-dir", "strategies", "--store", str(sample_root()),
                                 "--symbols", "BTCUSDT", "--quiet", "--no-report", "--out", "res"])
    assert result.exit_code != 0
    assert "boom" in str(result.exception)
    assert NAME in str(result.exception)


def test_a_strategy_whose_decide_returns_garbage_is_a_clear_error(workdir: Path) -> None:
    _ok(["strategies", "new", NAME])
    module = workdir / "strategies" / f"{NAME}.py"
    module.write_text(module.read_text() + "\n    def decide(self, prepared, t, data):\n        return 42\n")
    result = runner.invoke(app, ["backtest", "-s", NAME, "--strategies-dir", "strategies", "--store", str(sample_root()),
                                 "--symbols", "BTCUSDT", "--quiet", "--no-report", "--out", "res"])
    assert result.exit_code != 0
    assert "returned int, not an Intent" in str(result.exception)
