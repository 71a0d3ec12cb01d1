"""Fast tests of bench/common.py's pure helpers. Nothing here installs or runs a peer."""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]


def _load(name: str, path: Path) -> ModuleType:
    # bench/ is not a package and pytest changes cwd: import the files by path.
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


common = _load("bench_common", REPO / "bench" / "common.py")
run_peers = _load("bench_run_peers", REPO / "bench" / "peers" / "run_peers.py")


def test_maxrss_is_kib_on_linux_and_bytes_on_macos() -> None:
    assert common.maxrss_to_mb(2048, "linux") == 2.0
    assert common.maxrss_to_mb(3 * 1024 * 1024, "darwin") == 3.0


def test_process_age_reads_start_time_after_a_comm_with_spaces_and_parens() -> None:
    ticks = common.os.sysconf("SC_CLK_TCK")
    # starttime (field 22) = 10 s after boot, uptime 25.5 s: the process is 15.5 s old.
    fields = ["S", *["0"] * 18, str(10 * ticks), "0", "0"]
    stat = "1234 (python (my) x) " + " ".join(fields)
    assert common.process_age_s(stat, "25.50 100.0") == pytest.approx(15.5)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_process_age_of_this_process_is_positive_and_plausible() -> None:
    age = common.process_age_s()
    assert age is not None
    assert 0 < age < 24 * 3600


def test_parse_json_line_takes_the_last_json_object_and_skips_noise() -> None:
    out = "table | x\n{not json\n" + json.dumps({"a": 1}) + "\n[1, 2]\n" + json.dumps(
        {"bars": 5}) + "\ntrailing text\n"
    assert common.parse_json_line(out) == {"bars": 5}


def test_parse_json_line_without_figures_raises_peer_error() -> None:
    with pytest.raises(common.PeerError, match="no JSON figures"):
        common.parse_json_line("only logs\n[1]\n")


def test_emit_figures_round_trips_through_parse(capsys: pytest.CaptureFixture[str]) -> None:
    print("freqtrade table noise")
    common.emit_figures({"peer": "x", "bars": 3, "pnl": -1.5})
    assert common.parse_json_line(capsys.readouterr().out) == {"peer": "x", "bars": 3, "pnl": -1.5}


def test_bars_per_s_rejects_a_non_positive_duration() -> None:
    assert common.bars_per_s(1000, 0.5) == 2000.0
    with pytest.raises(ValueError, match="positive"):
        common.bars_per_s(1000, 0.0)


def test_time_calls_returns_one_timing_per_call_and_median() -> None:
    calls = []
    times = common.time_calls(lambda: calls.append(time.sleep(0.001)), repeat=3)
    assert len(calls) == 3
    assert len(times) == 3
    assert all(t >= 0.001 for t in times)
    assert common.median_s([3.0, 1.0, 100.0]) == 3.0
    with pytest.raises(ValueError, match="repeat"):
        common.time_calls(lambda: None, repeat=0)
    with pytest.raises(ValueError, match="no timings"):
        common.median_s([])


def test_stopwatch_records_elapsed_seconds() -> None:
    with common.stopwatch() as box:
        time.sleep(0.002)
    assert box["seconds"] >= 0.002


def test_run_child_measures_this_childs_own_peak_rss_and_output() -> None:
    # The child allocates ~60 MB and touches it; the parent must see that child's
    # own peak (os.wait4), not a smaller or an unrelated figure.
    code = "b = bytearray(60 * 1024 * 1024); print('{\"ok\": true}')"
    big = common.run_child([sys.executable, "-c", code])
    small = common.run_child([sys.executable, "-c", "print('hi')"])
    assert big.returncode == 0
    assert common.parse_json_line(big.stdout) == {"ok": True}
    assert big.peak_rss_mb > 60
    assert small.peak_rss_mb < big.peak_rss_mb - 40  # not inherited from the first child
    assert big.wall_s > 0


def test_run_child_peak_rss_does_not_inherit_the_parents_peak() -> None:
    # Linux carries a process's peak RSS across fork and exec: a peer started straight
    # from a benchmark that holds 300 MB would report >= 300 MB however small it is.
    ballast = bytearray(300 * 1024 * 1024)
    ballast[:: 4096] = b"x" * len(ballast[:: 4096])  # touch every page so it is resident
    run = common.run_child([sys.executable, "-c", "print('small')"])
    del ballast
    assert run.returncode == 0
    assert run.peak_rss_mb < 150


def test_run_child_reports_a_failing_exit_code_and_stderr() -> None:
    run = common.run_child([sys.executable, "-c", "import sys; sys.exit('boom')"])
    assert run.returncode == 1
    assert "boom" in run.stderr


def test_run_child_kills_a_child_that_outlives_its_timeout() -> None:
    start = time.perf_counter()
    run = common.run_child([sys.executable, "-c", "import time; time.sleep(30)"], timeout_s=0.5)
    assert run.returncode != 0
    assert time.perf_counter() - start < 10


def test_peer_command_passes_funding_only_to_freqtrade(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").touch()
    monkeypatch.setattr(common, "PEERS_VENV", venv)
    monkeypatch.setattr(common, "peer_python", lambda venv=venv: venv / "bin" / "python")
    ft = common.peer_command("freqtrade", funding=False, data_dir=tmp_path)
    assert ft[1].endswith("run_freqtrade.py")
    assert ft[-4:] == ["--data-dir", str(tmp_path), "--funding", "zero"]
    assert common.peer_command("freqtrade", funding=True, data_dir=None)[-2:] == [
        "--funding", "data"]
    vbt = common.peer_command("vectorbt", funding=True, data_dir=None)
    assert vbt[1].endswith("run_vectorbt.py")
    assert "--funding" not in vbt
    with pytest.raises(common.PeerError, match="unknown peer"):
        common.peer_command("zipline", funding=False, data_dir=None)


def test_peer_python_without_venv_says_to_run_setup(tmp_path: Path) -> None:
    with pytest.raises(common.PeerError, match=r"bench/peers/setup\.sh"):
        common.peer_python(tmp_path / "nope")


def test_speed_ratios_are_greater_than_one_when_we_are_better() -> None:
    ours = {"bars": 100, "bars_per_s": 1000.0, "process_s": 5.0, "peak_rss_mb": 200.0}
    peer = {"bars": 100, "bars_per_s": 250.0, "process_s": 20.0, "peak_rss_mb": 800.0}
    assert common.speed_ratios(ours, peer) == {
        "engine_speedup": 4.0, "process_speedup": 4.0, "rss_ratio": 4.0}


def test_speed_ratios_refuse_different_workloads() -> None:
    ours = {"bars": 100, "bars_per_s": 1.0, "process_s": 1.0, "peak_rss_mb": 1.0}
    with pytest.raises(ValueError, match="same workload"):
        common.speed_ratios(ours, {**ours, "bars": 99})


def _trade(**kw: object) -> dict[str, object]:
    row: dict[str, object] = {
        "pair": "BTC", "direction": "long", "open_time": "2025-01-01 00:00:00",
        "open_price": 100.0, "close_time": "2025-01-01 01:00:00", "close_price": 103.0,
        "exit_reason": "tp", "profit_abs": 2.9, "profit_ratio": 0.029,
    }
    row.update(kw)
    return row


def test_compare_trades_matches_on_entry_exit_time_and_price() -> None:
    ours = [_trade(), _trade(open_time="2025-01-02 00:00:00"), _trade(pair="ETH")]
    theirs = [
        _trade(close_price=103.0 + 1e-12),  # float noise: the same exit
        _trade(open_time="2025-01-02 00:00:00", close_price=103.1),  # one tick off
        _trade(pair="ETH", close_time="2025-01-01 02:00:00"),  # later exit
    ]
    assert common.compare_trades(ours, theirs) == {"same": 1, "only_ours": 2, "only_theirs": 2}


def test_trades_csv_round_trip_keeps_the_shared_layout(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    assert common.write_trades_csv(path, [_trade(extra="ignored"), _trade(pair="ETH")]) == 2
    rows = common.read_trades_csv(path)
    assert list(rows[0]) == list(common.TRADE_COLUMNS)
    assert common.compare_trades(rows, [_trade(), _trade(pair="ETH")])["same"] == 2


def test_format_table_has_one_row_per_run_and_dashes_for_missing() -> None:
    table = run_peers.format_table({
        "freqtrade/zero-funding": {"bars": 718346, "engine_s": 25.8, "bars_per_s": 27800.0,
                                   "process_s": 37.0, "peak_rss_mb": 962.0, "trades": 4759,
                                   "pnl": -465.55},
        "vectorbt": {"bars": 718346, "trades": 4755},
    })
    lines = table.splitlines()
    assert len(lines) == 3
    assert "718,346" in lines[1]
    assert "-465.55" in lines[1]
    assert lines[2].split()[0] == "vectorbt"
    assert "-" in lines[2].split()
