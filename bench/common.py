"""Shared helpers for coinpilot's speed benchmarks: timing, peak memory, and the peer harness.

Standard library only, on purpose: the peer scripts (bench/peers/run_*.py) import this file
from inside bench/.peers-venv, where coinpilot itself is not installed, and the project side
(bench/backtest_speed.py) imports it from the project venv. Nothing here may import coinpilot,
freqtrade or vectorbt.

Figures dictionaries (what every peer script prints as one JSON line, and what
`peer_figures` returns per peer) use these keys:

    peer, version, bars, engine_s, bars_per_s, process_s, peak_rss_mb, trades, pnl

plus peer-specific extras. `engine_s` is the backtest itself (indicators, signals,
simulation, statistics); `process_s` is the whole process from interpreter start to exit,
imports and data loading included. Machines here are noisy: compare a peer with coinpilot
measured in the same run, as a ratio (`speed_ratios`), never against a figure from a file.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
PEERS_DIR = BENCH_DIR / "peers"
PEERS_VENV = Path(os.environ.get("COINPILOT_PEERS_VENV", BENCH_DIR / ".peers-venv"))
DEFAULT_DATA_DIR = REPO_DIR.parent / "shared" / "data" / "binance_um_futures" / "marketlab"
SYMBOLS: tuple[str, ...] = ("BTC", "ETH", "SOL", "XRP", "BNB", "DOGE")
PEER_SCRIPTS: Mapping[str, str] = {
    "freqtrade": "run_freqtrade.py",
    "vectorbt": "run_vectorbt.py",
}
# A cold freqtrade run takes ~1 min here; ten times that means something hangs (network?).
DEFAULT_TIMEOUT_S = 900.0


class PeerError(RuntimeError):
    """A peer run failed or printed no figures; the message says which and how to look."""


# --- memory and time -------------------------------------------------------------------


def maxrss_to_mb(ru_maxrss: int, platform: str = sys.platform) -> float:
    """Convert `ru_maxrss` to MiB: Linux reports KiB, macOS bytes (getrusage(2))."""
    divisor = 1024.0 * 1024.0 if platform == "darwin" else 1024.0
    return ru_maxrss / divisor


def peak_rss_mb_self() -> float:
    """Peak resident memory of this process so far, in MiB (no psutil needed)."""
    return maxrss_to_mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def process_age_s(stat_text: str | None = None, uptime_text: str | None = None) -> float | None:
    """Seconds since this process started (interpreter start, before any import).

    A script's own clock starts after Python boots and after its first imports, which is
    exactly the cost a "whole process" figure must include, so read the kernel's start
    time instead. Linux only; returns None elsewhere (callers then use their own clock).
    """
    try:
        if stat_text is None:
            stat_text = Path("/proc/self/stat").read_text()
        if uptime_text is None:
            uptime_text = Path("/proc/uptime").read_text()
    except OSError:
        return None
    # Field 2 (comm) may contain spaces and parentheses: split after the last ')'.
    fields_after_comm = stat_text[stat_text.rindex(")") + 2 :].split()
    start_ticks = int(fields_after_comm[19])  # field 22 overall: starttime
    ticks_per_s = os.sysconf("SC_CLK_TCK")
    return float(uptime_text.split()[0]) - start_ticks / ticks_per_s


@contextlib.contextmanager
def stopwatch() -> Iterator[dict[str, float]]:
    """Time a block with perf_counter; the yielded dict gets `seconds` on exit."""
    box: dict[str, float] = {}
    start = time.perf_counter()
    try:
        yield box
    finally:
        box["seconds"] = time.perf_counter() - start


def time_calls(fn: Callable[[], object], repeat: int) -> list[float]:
    """Run `fn` `repeat` times and return each wall time, so callers can drop the cold one."""
    if repeat < 1:
        raise ValueError(f"repeat must be >= 1, got {repeat}")
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def median_s(times: Sequence[float]) -> float:
    """Median of repeated timings: one noisy neighbour on a 2-core box skews a mean."""
    if not times:
        raise ValueError("no timings to summarise")
    return float(statistics.median(times))


# --- child processes ----------------------------------------------------------------------


@dataclass(frozen=True)
class ChildRun:
    """What one measured child process did, from the parent's side."""

    argv: tuple[str, ...]
    returncode: int
    wall_s: float
    peak_rss_mb: float
    cpu_user_s: float
    cpu_sys_s: float
    stdout: str
    stderr: str


# Why a launcher: on Linux a process's peak RSS survives exec(), and a freshly forked child
# starts with its parent's RSS (with vfork it *is* the parent's memory). So a peer started
# straight from a benchmark process that already holds coinpilot and its data would report
# that process's peak, not its own, both from outside (wait4) and inside (RUSAGE_SELF).
# This small interpreter (python -S, ~10 MB) forks the real command instead and reports
# the grandchild's rusage, so the floor of the figure is the launcher's size, not ours.
_LAUNCHER = """
import json, os, sys, time
report, argv = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
with open(report, "w") as fh:
    json.dump({"wall_s": wall, "maxrss": usage.ru_maxrss, "utime": usage.ru_utime,
               "stime": usage.ru_stime}, fh)
sys.exit(os.waitstatus_to_exitcode(status) % 256)
"""


def run_child(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> ChildRun:
    """Run a command and measure its wall time, peak RSS and CPU time from outside.

    The command runs under a small launcher (see `_LAUNCHER`) that measures it with
    os.wait4: the rusage of exactly that process, unlike getrusage(RUSAGE_CHILDREN) whose
    ru_maxrss is the maximum over every child ever waited for. Output goes to temporary
    files rather than pipes so a chatty child cannot block; on timeout the whole process
    group is killed.
    """
    with (
        tempfile.TemporaryDirectory(prefix="coinpilot-bench-") as tmp,
        tempfile.TemporaryFile("w+") as out,
        tempfile.TemporaryFile("w+") as err,
    ):
        report = Path(tmp) / "rusage.json"
        launcher = [sys.executable, "-S", "-c", _LAUNCHER, str(report), *argv]
        start = time.perf_counter()
        proc = subprocess.Popen(
            launcher,
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,  # its own process group, so a timeout kills both
        )
        try:
            returncode = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            returncode = proc.wait()
        outside_wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        usage = json.loads(report.read_text()) if report.exists() else None
        return ChildRun(
            argv=tuple(argv),
            returncode=returncode,
            wall_s=usage["wall_s"] if usage else outside_wall,
            peak_rss_mb=maxrss_to_mb(usage["maxrss"]) if usage else float("nan"),
            cpu_user_s=usage["utime"] if usage else float("nan"),
            cpu_sys_s=usage["stime"] if usage else float("nan"),
            stdout=out.read(),
            stderr=err.read(),
        )


def parse_json_line(stdout: str) -> dict[str, Any]:
    """Return the last line of `stdout` that is a JSON object.

    Peer scripts print their figures as one JSON line at the end; anything a library
    printed before it (tables, warnings) is ignored.
    """
    for line in reversed(stdout.splitlines()):
        text = line.strip()
        if not text.startswith("{"):
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    raise PeerError("no JSON figures line in the output (the peer script printed no result)")


def emit_figures(figures: Mapping[str, Any]) -> None:
    """Print the figures line that `parse_json_line` reads (peer scripts call this last)."""
    sys.stdout.write(json.dumps(dict(figures), sort_keys=True) + "\n")
    sys.stdout.flush()


def bars_per_s(bars: int, seconds: float) -> float:
    """Throughput; a zero or negative duration is a measuring bug, not infinite speed."""
    if seconds <= 0:
        raise ValueError(f"duration must be positive to compute bars/s, got {seconds}")
    return bars / seconds


# --- the peer harness ------------------------------------------------------------------


def peer_python(venv: Path = PEERS_VENV) -> Path:
    """The peers venv's interpreter, or a PeerError that says how to create it."""
    python = venv / "bin" / "python"
    if not python.exists():
        raise PeerError(f"peer venv missing at {venv}: run `bash bench/peers/setup.sh` first")
    return python


def ensure_peers_installed() -> None:
    """Run bench/peers/setup.sh (idempotent: a no-op when the lock is unchanged)."""
    proc = subprocess.run(
        ["bash", str(PEERS_DIR / "setup.sh")], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise PeerError(f"bench/peers/setup.sh failed ({proc.returncode}):\n{proc.stderr[-4000:]}")


def peer_command(
    which: str, *, funding: bool, data_dir: Path | None, extra: Iterable[str] = ()
) -> list[str]:
    """The argv that runs one peer script inside the peers venv."""
    if which not in PEER_SCRIPTS:
        raise PeerError(f"unknown peer {which!r}; known: {', '.join(sorted(PEER_SCRIPTS))}")
    argv = [str(peer_python()), str(PEERS_DIR / PEER_SCRIPTS[which])]
    if data_dir is not None:
        argv += ["--data-dir", str(data_dir)]
    if which == "freqtrade":
        argv += ["--funding", "data" if funding else "zero"]
    argv += list(extra)
    return argv


def run_peer(
    which: str,
    *,
    funding: bool = False,
    data_dir: Path | None = None,
    extra: Iterable[str] = (),
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> dict[str, Any]:
    """Run one peer in its own process and return its figures plus the parent's view.

    The parent's wall time and RSS (`*_outside`) include interpreter start-up and exit,
    and serve as a cross-check of what the script reports about itself.
    """
    run = run_child(
        peer_command(which, funding=funding, data_dir=data_dir, extra=extra), timeout_s=timeout_s
    )
    if run.returncode != 0:
        raise PeerError(
            f"{which} exited with {run.returncode}; last stderr lines:\n{run.stderr[-4000:]}"
        )
    try:
        figures = parse_json_line(run.stdout)
    except PeerError as exc:
        raise PeerError(f"{which}: {exc}; stderr tail:\n{run.stderr[-2000:]}") from exc
    figures["process_s_outside"] = round(run.wall_s, 3)
    figures["peak_rss_mb_outside"] = round(run.peak_rss_mb, 1)
    figures["cpu_s_outside"] = round(run.cpu_user_s + run.cpu_sys_s, 3)
    return figures


def peer_figures(
    which: Sequence[str] = ("freqtrade", "vectorbt"),
    funding: bool = False,
    *,
    data_dir: Path | None = None,
    install: bool = True,
) -> dict[str, dict[str, Any]]:
    """Run each peer once, one after the other, and return `{peer: figures}`.

    `funding=False` feeds freqtrade zero-rate funding files, which is the only way to
    compare it with an engine that has no funding (freqtrade always applies the data's
    funding in futures mode). vectorbt has no funding model; its figures are the same either
    way. Runs are sequential on purpose: on 2 cores, two peers at once measure contention.
    """
    if install:
        ensure_peers_installed()
    return {name: run_peer(name, funding=funding, data_dir=data_dir) for name in which}


def speed_ratios(ours: Mapping[str, Any], peer: Mapping[str, Any]) -> dict[str, float]:
    """How coinpilot compares with one peer measured in the same run; > 1 means we are better.

    engine_speedup = our bars/s over theirs; process_speedup = their whole-process seconds
    over ours; rss_ratio = their peak RSS over ours (so > 1 means we use less memory).
    """
    ratios: dict[str, float] = {}
    if ours.get("bars") != peer.get("bars"):
        raise ValueError(
            f"not the same workload: ours has {ours.get('bars')} bars, peer {peer.get('bars')}"
        )
    ratios["engine_speedup"] = float(ours["bars_per_s"]) / float(peer["bars_per_s"])
    ratios["process_speedup"] = float(peer["process_s"]) / float(ours["process_s"])
    ratios["rss_ratio"] = float(peer["peak_rss_mb"]) / float(ours["peak_rss_mb"])
    return ratios


# --- trade lists ----------------------------------------------------------------------------

TRADE_COLUMNS: tuple[str, ...] = (
    "pair",
    "direction",
    "open_time",
    "open_price",
    "close_time",
    "close_price",
    "exit_reason",
    "profit_abs",
    "profit_ratio",
)


def write_trades_csv(path: Path, rows: Iterable[Mapping[str, Any]]) -> int:
    """Write trades in the column layout of ../shared/bench/trades/*.csv; returns the count."""
    count = 0
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(TRADE_COLUMNS), extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def _trade_key(row: Mapping[str, Any], price_tol: float) -> tuple[str, str, str, str, int]:
    # Prices are compared on a grid of price_tol: two floats that differ in the last
    # bits (1e-12) are the same exit, a one-tick difference is not.
    close = round(float(row["close_price"]) / price_tol)
    return (str(row["pair"]), str(row["direction"]), str(row["open_time"]),
            str(row["close_time"]), close)


def compare_trades(
    ours: Iterable[Mapping[str, Any]],
    theirs: Iterable[Mapping[str, Any]],
    price_tol: float = 1e-9,
) -> dict[str, int]:
    """Count trades identical in entry, exit time and exit price between two lists."""
    a = {_trade_key(r, price_tol) for r in ours}
    b = {_trade_key(r, price_tol) for r in theirs}
    return {"same": len(a & b), "only_ours": len(a - b), "only_theirs": len(b - a)}


def read_trades_csv(path: Path) -> list[dict[str, str]]:
    """Read a trade list written by `write_trades_csv` or one from ../shared/bench/trades."""
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))
