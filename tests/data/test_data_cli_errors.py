"""`coinpilot data ...` with bad options, bad files and bad stores: one line each, never a traceback.

Bad option values go through the real entry point (`coinpilot.cli.main.main`), which turns a
CoinpilotError into one `error:` line and exit code 2; per-file problems of an import or check
are FAIL lines, the other files still go through, and the exit code is 1.
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from coinpilot.cli.data import app
from coinpilot.cli.main import main
from coinpilot.data.store import CandleStore, sample_root
from coinpilot.domain.candles import SeriesKey

runner = CliRunner()
T0_MS = 1_735_689_600_000  # 2025-01-01 00:00 UTC
HOUR_MS = 3_600_000


def run_main(args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    """Exit code and stderr of `coinpilot data ARGS` run in-process, on a wide terminal."""
    monkeypatch.setenv("COLUMNS", "400")
    monkeypatch.setattr(sys, "argv", ["coinpilot", "data", *args])
    with pytest.raises(SystemExit) as stop:
        main()
    captured = capsys.readouterr()
    return int(stop.value.code or 0), captured.err


def snapshot(path: Path, n: int = 6, *, unit_ms: float = 1.0, start_ms: int = T0_MS) -> None:
    """A REST klines snapshot CSV with epoch times written in the given unit (1 = ms)."""
    rows = ["timestamp,open,high,low,close,volume,quote_volume,trades,close_time"]
    for i in range(n):
        open_ms = start_ms + i * HOUR_MS
        close_ms = open_ms + HOUR_MS - (1000 if unit_ms < 1 else 1)
        rows.append(f"{int(open_ms * unit_ms)},10,11,9,10.5,5,52.5,7,{int(close_ms * unit_ms)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt") as fh:
        fh.write("\n".join(rows) + "\n")


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "in" / "futures" / "1h" / "BTCUSDT.csv.gz"
    snapshot(path)
    return path


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--venue", "kraken"], "--venue 'kraken': unknown venue; use one of binance, upbit"),
        (["--market", "options"], "--market 'options': unknown market; use one of futures, spot"),
        (["--venue", "upbit", "--market", "futures"], "--venue/--market upbit futures: not a known market; known: binance futures, binance spot, upbit spot"),
        (["--symbol", "../../../../tmp/x"], "--symbol '../../../../tmp/x': invalid symbol"),
        (["--symbol", "BTC/USDT"], "--symbol 'BTC/USDT': invalid symbol"),
        (["--timeframe", "7x"], "--timeframe '7x': use a number and a unit m/h/d/w"),
        (["--as-of", "yesterday-ish"], "--as-of 'yesterday-ish': not a time"),
        (["--as-of", "2025-13-45"], "--as-of '2025-13-45': not a time"),
    ],
)
def test_bad_import_options_are_one_line_naming_option_value_and_allowed(
    options: list[str], expected: str, source: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, err = run_main(["import", str(source), "--store", str(tmp_path / "store"), *options], capsys, monkeypatch)
    assert code == 2
    assert err.startswith("error: ")
    assert expected in err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    assert not (tmp_path / "store").exists()  # nothing was started
    assert not [p for p in tmp_path.rglob("*.parquet")]


@pytest.mark.parametrize("command", [["import", "IN"], ["info"], ["check"]])
def test_a_store_option_that_is_a_file_is_one_line(
    command: list[str], source: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    file = tmp_path / "store.txt"
    file.write_text("not a folder")
    args = [str(source) if a == "IN" else a for a in command]
    code, err = run_main([*args, "--store", str(file)], capsys, monkeypatch)
    assert code == 2
    assert f"--store {file}: is a file" in err
    assert len(err.strip().splitlines()) == 1, err


def test_bad_as_of_in_check_is_one_line(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, err = run_main(["check", str(sample_root()), "--as-of", "tomorrow at noon"], capsys, monkeypatch)
    assert code == 2
    assert "--as-of 'tomorrow at noon': not a time" in err


def test_directory_import_reports_each_bad_file_and_imports_the_rest(tmp_path: Path) -> None:
    folder = tmp_path / "in" / "futures" / "1h"
    snapshot(folder / "BTCUSDT.csv.gz")
    snapshot(folder / "NSUSDT.csv.gz", unit_ms=1e6)  # nanoseconds: converted
    snapshot(folder / "SECUSDT.csv.gz", unit_ms=1e-3)  # seconds: converted
    snapshot(folder / "FARUSDT.csv.gz", unit_ms=1e9)  # no epoch unit fits
    snapshot(folder / "OLDUSDT.csv.gz", start_ms=0)  # 1970 in ms: a unit mix-up, not data
    (folder / "JUNKUSDT.csv.gz").write_bytes(b"\x00\x01 not gzip")
    store = tmp_path / "store"
    result = runner.invoke(app, ["import", str(tmp_path / "in"), "--store", str(store), "--as-of", "2030-01-01"])
    assert result.exit_code == 1, result.output
    out = result.output
    assert "imported 3 of 6 file(s)" in out
    assert "3 file(s) failed" in out
    fails = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert len(fails) == 3
    assert any("FARUSDT.csv.gz" in f and "too large for any epoch unit" in f for f in fails)
    assert any("OLDUSDT.csv.gz" in f and "outside 2009..2100" in f and "read as epoch s" in f for f in fails)
    assert any("JUNKUSDT.csv.gz" in f for f in fails)
    assert "Traceback" not in out
    loaded = CandleStore(store)
    for symbol in ("BTCUSDT", "NSUSDT", "SECUSDT"):
        frame = loaded.load(SeriesKey("binance", "futures", symbol, "1h"))
        assert frame["open_time"].iloc[0] == pd.Timestamp("2025-01-01", tz="UTC")
        assert len(frame) == 5  # the snapshot's open last row dropped


def test_check_of_a_directory_with_a_bad_file_reports_it_and_checks_the_rest(tmp_path: Path) -> None:
    snapshot(tmp_path / "futures" / "1h" / "BTCUSDT.csv.gz")
    snapshot(tmp_path / "futures" / "1h" / "NSUSDT.csv.gz", unit_ms=1e6)
    snapshot(tmp_path / "futures" / "1h" / "OLDUSDT.csv.gz", start_ms=0)
    result = runner.invoke(app, ["check", str(tmp_path)])
    assert result.exit_code == 1
    assert "ok   futures/1h/BTCUSDT.csv.gz" in result.output
    assert "ok   futures/1h/NSUSDT.csv.gz" in result.output
    assert "FAIL futures/1h/OLDUSDT.csv.gz" in result.output
    assert "FATAL problems found in 1 file(s)" in result.output


def test_hourly_file_named_5m_is_refused_on_import(tmp_path: Path) -> None:
    times = pd.date_range("2025-01-01", periods=48, freq="1h", tz="UTC")
    price = np.linspace(100, 120, 48)
    frame = pd.DataFrame({"date": times, "open": price, "high": price + 1, "low": price - 1, "close": price, "volume": 1.0})
    path = tmp_path / "futures" / "BTC_USDT_USDT-5m-futures.feather"
    path.parent.mkdir(parents=True)
    frame.to_feather(path)
    result = runner.invoke(app, ["import", str(path), "--store", str(tmp_path / "store")])
    assert result.exit_code == 1
    assert "bars are 1h apart in 47 of 47 steps, not 5m" in result.output
    assert not (tmp_path / "store" / "binance").exists()


def test_info_and_check_say_which_store_is_in_use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COINPILOT_DATA_DIR", str(tmp_path / "empty"))
    info = runner.invoke(app, ["info"])
    assert info.exit_code == 0, info.output
    assert f"store in use: bundled sample ({sample_root()}): data_dir {tmp_path / 'empty'} does not exist" in info.output
    assert "binance/futures/BTCUSDT/5m" in info.output  # what a backtest would read
    check = runner.invoke(app, ["check"])
    assert "store in use: bundled sample" in check.output
    snapshot(tmp_path / "in" / "futures" / "1h" / "BTCUSDT.csv.gz")
    assert runner.invoke(app, ["import", str(tmp_path / "in")]).exit_code == 0
    info = runner.invoke(app, ["info"])
    assert f"store in use: {tmp_path / 'empty'} (data_dir from the config)" in info.output


def test_info_lists_an_unreadable_file_and_goes_on(tmp_path: Path) -> None:
    store = CandleStore(tmp_path)
    store.upsert(SeriesKey("binance", "futures", "BTCUSDT", "1h"), pd.read_parquet(
        sample_root() / "binance" / "futures" / "BTCUSDT" / "1h.parquet").iloc[:10], as_of="2030-01-01")
    store.upsert(SeriesKey("binance", "futures", "ETHUSDT", "1h"), pd.read_parquet(
        sample_root() / "binance" / "futures" / "ETHUSDT" / "1h.parquet").iloc[:10], as_of="2030-01-01")
    bad = tmp_path / "binance" / "futures" / "BTCUSDT" / "1h.parquet"
    bad.write_bytes(b"garbage" * 20)
    result = runner.invoke(app, ["info", "--store", str(tmp_path)])
    assert result.exit_code == 1
    assert f"binance/futures/BTCUSDT/1h  unreadable: {bad} cannot be read" in result.output
    assert "binance/futures/ETHUSDT/1h  2025-01-01 00:00 → 2025-01-01 09:00" in result.output
    assert "1 of 2 series cannot be used" in result.output


def test_reimport_repairs_a_corrupt_store_file(tmp_path: Path, source: Path) -> None:
    store = tmp_path / "store"
    assert runner.invoke(app, ["import", str(source), "--store", str(store)]).exit_code == 0
    file = store / "binance" / "futures" / "BTCUSDT" / "1h.parquet"
    file.write_bytes(b"garbage")
    again = runner.invoke(app, ["import", str(source), "--store", str(store)])
    assert again.exit_code == 0, again.output
    assert f"replaced unreadable {file}" in again.output
    assert len(CandleStore(store).load(SeriesKey("binance", "futures", "BTCUSDT", "1h"))) == 5


def test_check_of_a_store_removes_a_dead_writers_temp_file(tmp_path: Path, source: Path) -> None:
    store = tmp_path / "store"
    assert runner.invoke(app, ["import", str(source), "--store", str(store)]).exit_code == 0
    stray = store / "binance" / "futures" / "BTCUSDT" / ".1h.parquet.deadbeef.tmp"
    stray.write_bytes(b"half")
    result = runner.invoke(app, ["check", "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert f"removed {stray}" in result.output
    assert not stray.exists()
