"""`coinpilot strategies list`, `coinpilot check-lookahead` and `coinpilot signals`, mounted on a
throwaway Typer app exactly as the root app mounts them."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from strategy_test_helpers import SAMPLE_SYMBOLS
from typer.testing import CliRunner

from coinpilot.cli import strategies as strategies_cli
from coinpilot.cli.signals import signals_cmd
from coinpilot.data.store import sample_root
from coinpilot.domain.errors import UnknownStrategyError
from coinpilot.strategies import BUILTIN_STRATEGIES
from coinpilot.strategies.registry import unregister

WIDE = {"COLUMNS": "250"}

LEAKY_MODULE = '''
import numpy as np
import pandas as pd
from coinpilot.strategies.base import MarketData, Strategy, empty_signals


class PeekNext(Strategy):
    name = "peek_next"
    description = "reads the next close (deliberately leaky)"

    def prepare(self, data: MarketData) -> pd.DataFrame:
        close = data.candles["close"]
        nxt = close.shift(-1).to_numpy()
        out = empty_signals(len(close))
        with np.errstate(invalid="ignore"):
            out["signal"][nxt > close.to_numpy()] = 1
        return pd.DataFrame(out)
'''


@pytest.fixture
def app() -> typer.Typer:
    root = typer.Typer()
    root.add_typer(strategies_cli.app, name="strategies")
    root.command("signals")(signals_cmd)
    root.command("check-lookahead")(strategies_cli.check_lookahead_cmd)
    return root


@pytest.fixture
def leaky_dir(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "peek_next.py").write_text(LEAKY_MODULE)
    yield tmp_path
    unregister("peek_next")


def test_list_shows_every_builtin_with_timeframe_and_defaults(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["strategies", "list"], env=WIDE)
    assert result.exit_code == 0, result.output
    for name in BUILTIN_STRATEGIES:
        assert name in result.output
    assert "c_score  timeframe 15m · DIST levels" in result.output
    assert "atr_sl_mult=2.0" in result.output
    assert "reads 5m, 1h, 4h candles" in result.output


def test_list_includes_user_modules(app: typer.Typer, leaky_dir: Path) -> None:
    result = CliRunner().invoke(app, ["strategies", "list", "--module-dir", str(leaky_dir)], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "peek_next (user module)" in result.output


def test_check_lookahead_passes_a_builtin(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["check-lookahead", "c_score", "--symbol", "XRPUSDT", "-p", "adx_threshold=20"], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "c_score on XRPUSDT: 8640 bars, 24 cut points" in result.output
    assert "no look-ahead found" in result.output


def test_check_lookahead_fails_a_leaky_user_module_with_exit_code_1(app: typer.Typer, leaky_dir: Path) -> None:
    args = ["check-lookahead", "peek_next", "--module-dir", str(leaky_dir), "--symbol", "ETHUSDT", "--cuts", "10"]
    result = CliRunner().invoke(app, args, env=WIDE)
    assert result.exit_code == 1, result.output
    assert "LOOK-AHEAD" in result.output
    assert "signal" in result.output
    assert "cuts differ; first: cut at bar" in result.output


def test_check_lookahead_bad_input(app: typer.Typer) -> None:
    runner = CliRunner()
    bad_param = runner.invoke(app, ["check-lookahead", "c_score", "-p", "adx_threshold"], env=WIDE)
    assert bad_param.exit_code == 2
    assert "key=value" in bad_param.output
    unknown = runner.invoke(app, ["check-lookahead", "c_scor"], env=WIDE)
    assert isinstance(unknown.exception, UnknownStrategyError)
    assert "Did you mean 'c_score'" in str(unknown.exception)


def test_signals_default_runs_every_builtin_on_the_sample_in_seconds(app: typer.Typer) -> None:
    started = time.perf_counter()
    result = CliRunner().invoke(app, ["signals", "-n", "1"], env=WIDE)
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    summary = result.output.split("summary")[-1]
    for name in BUILTIN_STRATEGIES:
        assert name in summary
    for symbol in SAMPLE_SYMBOLS:
        assert symbol in summary
    assert "no data" not in summary
    assert f"{len(BUILTIN_STRATEGIES)} strategies × 6 symbols" in result.output
    assert elapsed < 15


def test_signals_filters_by_strategy_symbol_and_start(app: typer.Typer) -> None:
    args = ["signals", "--strategies", "c_score", "--symbols", "xrpusdt", "--start", "2025-03-01", "-n", "2"]
    result = CliRunner().invoke(app, args, env=WIDE)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "c_score (15m): last 2 signals per symbol" in out
    assert "LONG score" in out or "SHORT score" in out
    rows = [line for line in out.splitlines() if "│ XRPUSDT │ 2025-" in line]
    assert len(rows) == 2
    assert all("│ XRPUSDT │ 2025-03-" in line for line in rows)
    summary = [line for line in out.split("summary")[-1].splitlines() if "XRPUSDT" in line]
    assert len(summary) == 1
    assert "│ 2025-03-0" in summary[0]  # first signal shown is in early March, none before --start
    assert "BTCUSDT" not in out


def test_signals_builds_missing_timeframes_and_reports_missing_data(app: typer.Typer, tmp_path: Path) -> None:
    """A store with only 5m candles: 15m, 1h and 4h are resampled; a 1h-only symbol has no 5m."""
    src = sample_root() / "binance" / "futures"
    for symbol, files in (("SOLUSDT", ["5m.parquet"]), ("BTCUSDT", ["1h.parquet"])):
        (tmp_path / "binance" / "futures" / symbol).mkdir(parents=True)
        for f in files:
            shutil.copy(src / symbol / f, tmp_path / "binance" / "futures" / symbol / f)
    args = ["signals", "--store", str(tmp_path), "--strategies", "w_atr_rule,ref_ema_cross", "-n", "1"]
    result = CliRunner().invoke(app, args, env=WIDE)
    assert result.exit_code == 0, result.output
    summary = result.output.split("summary")[-1]
    sol = [line for line in summary.splitlines() if "SOLUSDT" in line]
    btc = [line for line in summary.splitlines() if "BTCUSDT" in line]
    assert len(sol) == 2
    assert all("no data" not in line for line in sol)
    assert len(btc) == 2
    assert all("no data" in line for line in btc)


def _summary_counts(output: str, strategy: str, symbol: str) -> tuple[int, int]:
    line = next(line for line in output.split("summary")[-1].splitlines() if strategy in line and symbol in line)
    cells = [c.strip() for c in line.split("│") if c.strip()]
    return int(cells[2]), int(cells[3])


def test_signals_reads_strategy_parameters_from_the_one_configuration(app: typer.Typer, tmp_path: Path) -> None:
    """`signals` runs what `backtest` would: config-file parameters, then --param on top."""
    base = ["signals", "-s", "c_score", "--symbols", "BTCUSDT", "-n", "0"]
    default = CliRunner().invoke(app, base, env=WIDE)
    assert default.exit_code == 0, default.output
    config = tmp_path / "coinpilot.yaml"
    config.write_text("strategies:\n  c_score:\n    params:\n      signal_threshold: 5\n")
    strict = CliRunner().invoke(app, base, env={**WIDE, "COINPILOT_CONFIG": str(config)})
    assert strict.exit_code == 0, strict.output
    loose = CliRunner().invoke(app, [*base, "-p", "signal_threshold=2"], env={**WIDE, "COINPILOT_CONFIG": str(config)})
    assert loose.exit_code == 0, loose.output
    n_default, n_strict, n_loose = (sum(_summary_counts(r.output, "c_score", "BTCUSDT"))
                                    for r in (default, strict, loose))
    assert n_strict < n_default < n_loose


@pytest.mark.parametrize(("args", "message"), [
    (["--last", "-1"], "--last -1"),
    (["--venue", "nowhere"], "unknown venue 'nowhere'"),
    (["--symbols", "../../x"], "--symbols"),
    (["--start", "2025-13-45"], "--start"),
    (["-p", "signal_threshold=abc", "-s", "c_score"], "signal_threshold"),
])
def test_signals_bad_options_are_one_line_errors(app: typer.Typer, args: list[str], message: str) -> None:
    from coinpilot.domain.errors import CoinpilotError

    result = CliRunner().invoke(app, ["signals", *args], env=WIDE)
    assert result.exit_code != 0
    assert isinstance(result.exception, CoinpilotError | typer.BadParameter | SystemExit), result.exception
    assert message in str(result.exception) + result.output
