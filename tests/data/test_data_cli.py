"""`coinpilot data check | import | info` through typer's CliRunner."""

from __future__ import annotations

import gzip
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from coinpilot.cli.data import app
from coinpilot.data.check import check_paths
from coinpilot.data.store import CandleStore, sample_root
from coinpilot.domain.candles import SeriesKey

runner = CliRunner()
SIX = ("BTC", "ETH", "SOL", "XRP", "BNB", "DOGE")
HOURS = ("2025-01-14 13:00", "2025-01-14 15:00", "2025-01-29 01:00", "2025-01-29 02:00")


@pytest.mark.parametrize("command", [[], ["check"], ["import"], ["info"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output
    assert len(result.output) > 200


def test_check_default_sample_reports_the_documented_quirks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COINPILOT_DATA_DIR", str(tmp_path / "nothing"))  # so the sample is the store in use
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "no fatal problems" in out
    assert "FAIL" not in out
    assert out.count("zero_volume_flat") == 6
    assert out.count("2025-01-29 01:25 → 2025-01-29 01:30 (2 bars)") == 6
    for sym in SIX:
        block = out.split(f"{sym}USDT/1h.parquet vs ")[1].split("\n\n")[0]
        assert "4 of 2160 1h bars disagree" in block.splitlines()[0]
        assert [line.strip().split("  ")[0] for line in block.splitlines()[1:5]] == list(HOURS)
    assert " gap" not in out
    assert "ohlc_violation" not in out
    assert "open_candle" not in out


def write_kline_snapshot(path: Path, n: int) -> None:
    rows = ["timestamp,open,high,low,close,volume,quote_volume,trades,close_time"]
    t0 = 1_735_689_600_000
    rows += [f"{t0 + i * 3_600_000},10,11,9,10.5,5,52.5,7,{t0 + (i + 1) * 3_600_000 - 1}" for i in range(n)]
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt") as fh:
        fh.write("\n".join(rows) + "\n")


def test_check_exits_1_on_an_unusable_file_and_still_reports_the_others(tmp_path: Path) -> None:
    good = tmp_path / "futures" / "1h" / "BTCUSDT.csv.gz"
    write_kline_snapshot(good, 5)
    bad = tmp_path / "futures" / "ETH_USDT_USDT-1h-futures.feather"
    pd.DataFrame({"date": pd.date_range("2025-01-01", periods=3, freq="1h", tz="UTC"),
                  "open": [1.0, 2.0, -3.0], "high": 3.0, "low": 0.5, "close": 1.0, "volume": 1.0}).to_feather(bad)
    (tmp_path / "README.md").write_text("notes")
    result = runner.invoke(app, ["check", str(tmp_path)])
    assert result.exit_code == 1
    out = result.output
    assert "FAIL futures/ETH_USDT_USDT-1h-futures.feather" in out
    assert "non_positive_price" in out
    assert "2 (2025-01-01 02:00)" in out
    assert "ok   futures/1h/BTCUSDT.csv.gz" in out
    assert "open_candle" in out
    assert "skip README.md: not a data file" in out
    assert "FATAL problems found" in out


def test_check_as_of_flags_candles_closing_later(tmp_path: Path) -> None:
    src = tmp_path / "binance" / "futures" / "BTCUSDT"
    src.mkdir(parents=True)
    shutil.copy(sample_root() / "binance" / "futures" / "BTCUSDT" / "1h.parquet", src / "1h.parquet")
    result = runner.invoke(app, ["check", str(tmp_path), "--as-of", "2025-03-31T22:30"])
    assert result.exit_code == 0
    assert "open_candle: 2 candle(s) still open" in result.output


def test_import_then_info_and_idempotent_reimport(tmp_path: Path) -> None:
    source = tmp_path / "in" / "binance_um_futures" / "1h" / "SOLUSDT.csv.gz"
    write_kline_snapshot(source, 6)
    store = tmp_path / "store"
    first = runner.invoke(app, ["import", str(tmp_path / "in"), "--store", str(store)])
    assert first.exit_code == 0, first.output
    assert "binance/futures/SOLUSDT/1h: 5 rows read, 5 appended, 0 replaced, 0 unchanged" in first.output
    assert "open_candle" in first.output  # the snapshot's open last row was not stored
    again = runner.invoke(app, ["import", str(source), "--store", str(store)])
    assert "0 appended, 0 replaced, 5 unchanged (5 stored)" in again.output
    info = runner.invoke(app, ["info", "--store", str(store)])
    assert info.exit_code == 0
    assert "binance/futures/SOLUSDT/1h" in info.output
    assert "2025-01-01 04:00" in info.output


def test_import_overrides_and_failures(tmp_path: Path) -> None:
    source = tmp_path / "dump.csv"
    source.write_text("open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,"
                      "taker_buy_quote_volume,ignore\n1735689600000,1,2,0.5,1.5,3,1735689899999,4,5,1,2,0\n"
                      "1735689900000,1,2,0.5,1.5,3,1735690199999,4,5,1,2,0\n")
    store = tmp_path / "store"
    failed = runner.invoke(app, ["import", str(source), "--store", str(store)])
    assert failed.exit_code == 1
    assert "cannot infer symbol, market" in failed.output
    ok = runner.invoke(app, ["import", str(source), "--store", str(store), "--symbol", "ethusdt",
                             "--market", "futures", "--timeframe", "5m"])
    assert ok.exit_code == 0, ok.output
    assert CandleStore(store).keys() == [SeriesKey("binance", "futures", "ETHUSDT", "5m")]


def test_store_defaults_to_the_configured_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COINPILOT_DATA_DIR", str(tmp_path / "configured"))
    source = tmp_path / "binance_um_futures" / "1h" / "BTCUSDT.csv.gz"
    write_kline_snapshot(source, 3)
    assert runner.invoke(app, ["import", str(source)]).exit_code == 0
    assert (tmp_path / "configured" / "binance" / "futures" / "BTCUSDT" / "1h.parquet").exists()
    info = runner.invoke(app, ["info"])
    assert "binance/futures/BTCUSDT/1h" in info.output


def test_check_store_option(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", "--store", str(sample_root())])
    assert result.exit_code == 0
    assert "24 series" in result.output


@pytest.mark.slow
@pytest.mark.shared_data
def test_check_whole_shared_dir_reports_documented_quirks_and_nothing_false(shared_dir: Path) -> None:
    result = runner.invoke(app, ["check", str(shared_dir)])
    assert result.exit_code == 0, result.output[-3000:]
    out = result.output
    data_files = [p for p in shared_dir.rglob("*") if p.is_file() and not p.name.endswith((".md", ".json"))]
    for p in data_files:  # every file is looked at
        assert re.search(rf"^(ok  |FAIL) {re.escape(str(p.relative_to(shared_dir)))} ", out, re.M), p
    assert "skip SOURCES.md: not a data file" in out
    assert "skip upbit/upbit_api_http_responses_ccxt_static.json: not a data file" in out
    seconds = float(re.search(r"in ([0-9.]+) s:", out).group(1))  # type: ignore[union-attr]
    assert seconds < 60

    # the same facts, structurally: which issues exist where
    check = check_paths([shared_dir])
    codes: dict[str, set[str]] = {}
    for f in check.files:
        assert f.error is None, f.error
        for s in f.series:
            for issue in s.report.issues:
                codes.setdefault(issue.code, set()).add(str(f.path.relative_to(shared_dir)))
    assert set(codes) == {"zero_volume_flat", "open_candle", "funding_time_jitter"}
    marketlab_5m = {f"binance_um_futures/marketlab/{s}_USDT_USDT-5m-futures.feather" for s in SIX}
    assert codes["zero_volume_flat"] == marketlab_5m
    assert all(p.startswith("binance_um_futures/gravestone/") and "/oi_" not in p and "/funding/" not in p
               for p in codes["open_candle"])
    assert len(codes["open_candle"]) == 36  # 12 symbols x 1h/4h/1d snapshots
    for f in check.files:
        rel = str(f.path.relative_to(shared_dir))
        if rel in marketlab_5m:
            issue = f.series[0].report.get("zero_volume_flat")
            assert issue is not None
            assert [(str(r.start), r.bars) for r in issue.ranges] == [
                ("2025-01-29 01:25:00+00:00", 2), ("2025-08-29 06:20:00+00:00", 3)]

    disagreeing = {(Path(c.lower_label).relative_to(shared_dir).as_posix(), Path(c.higher_label).relative_to(shared_dir).as_posix()):
                   [str(m.open_time) for m in c.mismatches] for c in check.comparisons if c.mismatches or c.uncomparable}
    for sym in SIX:
        key = (f"binance_um_futures/marketlab/{sym}_USDT_USDT-5m-futures.feather",
               f"binance_um_futures/marketlab/{sym}_USDT_USDT-1h-futures.feather")
        assert disagreeing.pop(key) == [f"{h}:00+00:00" for h in HOURS]
    # Not in SOURCES.md but real (raw rows read by hand): freqtrade's XRP test fixtures mix
    # sources (their 1h has 5 decimals, their 5m 4; their "8h-mark" carries traded volume), and
    # Binance's own 1d BNB kline of 2024-03-28 has 0.06% more volume than its six 4h klines.
    ft = "binance_um_futures/freqtrade_testdata/XRP_USDT_USDT-"
    assert len(disagreeing.pop((f"{ft}5m-futures.feather", f"{ft}1h-futures.feather"))) == 100
    assert len(disagreeing.pop((f"{ft}1h-mark.feather", f"{ft}8h-mark.feather"))) == 4
    gs = "binance_um_futures/gravestone/"
    assert disagreeing.pop((f"{gs}4h/BNBUSDT.csv.gz", f"{gs}1d/BNBUSDT.csv.gz")) == ["2024-03-28 00:00:00+00:00"]
    assert disagreeing == {}


def test_missing_path_is_a_failure_not_a_crash(tmp_path: Path) -> None:
    for command in (["check"], ["import", "--store", str(tmp_path / "s")]):
        result = runner.invoke(app, [*command, str(tmp_path / "absent")])
        assert result.exit_code == 1
        assert "no such file or directory" in result.output


def test_long_issue_lists_say_how_many_more(tmp_path: Path) -> None:
    src = tmp_path / "binance" / "futures" / "BTCUSDT"
    src.mkdir(parents=True)
    frame = pd.read_parquet(sample_root() / "binance" / "futures" / "BTCUSDT" / "5m.parquet").iloc[:100]
    frame.loc[::5, "volume"] = 0.0  # 20 zero-volume bars with moving prices
    frame.to_parquet(src / "5m.parquet")
    out = runner.invoke(app, ["check", str(tmp_path)]).output
    assert "zero_volume_moving" in out
    assert "(+14 more)" in out
