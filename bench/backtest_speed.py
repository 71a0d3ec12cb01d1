"""coinpilot's backtest speed and memory next to freqtrade and vectorbt, in one run.

Usage:  uv run python bench/backtest_speed.py [--no-peers] [--repeat 3] [--json-out FILE]

Workload: `ref_ema_cross` (../shared/bench/REFERENCE_STRATEGY.md, reference preset) over the 6
marketlab 5m perpetuals (718,346 bars). Figures printed:
- event engine: the strategy's indicators and signals (`prepare`) plus `Backtest(...).run()`
  — the code that also runs paper and live — timed warm
  (median of --repeat runs in this process after one warm-up) and cold (first run), data
  already loaded, as seconds and bars/s; trades and PnL as a check against the reference;
- fast path: the numba kernel for all 6 symbols, warm (median of 7), bars/s;
- process: the whole `coinpilot backtest` command (imports, data load, simulation, results and
  HTML report), wall seconds and peak RSS, measured from outside with bench/common.run_child;
- peers (unless --no-peers): freqtrade (zero-rate funding, as the reference has none) and
  vectorbt, run one after the other in their own venv, and the ratios coinpilot/peer.
The machine is shared and noisy: compare ratios measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

import structlog

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import peer_figures, run_child, speed_ratios  # noqa: E402

from coinpilot.data.importers import load_file  # noqa: E402
from coinpilot.data.store import CandleStore  # noqa: E402
from coinpilot.engine.backtest import Backtest, prepare_all  # noqa: E402
from coinpilot.engine.presets import preset  # noqa: E402

SHARED = HERE.parent.parent / "shared" / "data" / "binance_um_futures" / "marketlab"
SYMBOLS = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "BNBUSDT", "DOGEUSDT"]


def build_store(root: Path) -> CandleStore:
    store = CandleStore(root)
    for symbol in SYMBOLS:
        base = symbol[:-4]
        for name in (f"{base}_USDT_USDT-5m-futures.feather", f"{base}_USDT_USDT-1h-funding_rate.feather"):
            for series in load_file(SHARED / name, as_of=None):
                store.save(series.key, series.frame)
    return store


def event_engine(store: CandleStore, repeat: int) -> dict[str, float]:
    cfg = preset("reference", "ref_ema_cross", SYMBOLS)
    times = []
    result = None
    for _ in range(repeat + 1):
        bt = Backtest(cfg, store)  # loads the candles (the peers' load is outside engine_s too)
        start = time.perf_counter()
        # indicators and signals are inside the peers' engine_s, so inside ours as well
        bt.prepared = prepare_all(bt.strategies, bt.data)
        result = bt.run()
        times.append(time.perf_counter() - start)
    assert result is not None
    bars = sum(len(md.candles) for md in bt.data.values())
    warm = statistics.median(times[1:])
    return {"bars": bars, "cold_s": times[0], "engine_s": warm, "bars_per_s": bars / warm,
            "trades": len(result.trades), "pnl": round(sum(float(t.net_pnl) for t in result.trades), 2),
            "events": int(result.config.get("events", 0))}


def fast_path(store: CandleStore) -> dict[str, float]:
    from coinpilot.engine.fastpath import BarInputs, FastParams, simulate_many
    from coinpilot.strategies.marketdata import market_data_for
    from coinpilot.strategies.registry import create

    strategy = create("ref_ema_cross")
    mds = {symbol: market_data_for(strategy, store, symbol) for symbol in SYMBOLS}  # loaded once
    inputs = {s: BarInputs.from_frames(md.candles, strategy.prepare(md), strategy.level_mode, None) for s, md in mds.items()}
    params = FastParams()
    simulate_many(inputs, params)  # compile or load the cache
    times = []
    for _ in range(7):
        start = time.perf_counter()
        results = simulate_many(inputs, params)
        times.append(time.perf_counter() - start)
    bars = sum(len(i.open) for i in inputs.values())
    warm = statistics.median(times)
    # the kernel alone is what PEERS.md's compiled-loop limit measures; vectorbt's figure also
    # computes its EMAs and crosses, so the same run with prepare() is printed beside it
    with_signals = []
    for _ in range(5):
        start = time.perf_counter()
        fresh = {s: BarInputs.from_frames(md.candles, strategy.prepare(md), strategy.level_mode, None)
                 for s, md in mds.items()}
        simulate_many(fresh, params)
        with_signals.append(time.perf_counter() - start)
    return {"bars": bars, "engine_s": warm, "bars_per_s": bars / warm,
            "with_signals_s": statistics.median(with_signals),
            "trades": sum(r.n_trades for r in results.values()),
            "pnl": round(sum(r.total_pnl for r in results.values()), 2)}


def whole_process(store: CandleStore, out: Path, report: bool) -> dict[str, float]:
    exe = Path(sys.executable).parent / "coinpilot"
    argv = [str(exe), "backtest", "--profile", "reference", "--strategy", "ref_ema_cross",
            "--symbols", ",".join(SYMBOLS), "--store", str(store.root), "--out", str(out), "--quiet"]
    if not report:
        argv.append("--no-report")
    run = run_child(argv)
    if run.returncode != 0:
        raise RuntimeError(f"coinpilot backtest failed: {run.stderr[-2000:]}")
    return {"process_s": run.wall_s, "peak_rss_mb": run.peak_rss_mb}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-peers", action="store_true", help="measure coinpilot only")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    if not SHARED.is_dir():
        print(f"needs {SHARED}", file=sys.stderr)
        return 1
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    figures: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="coinpilot-bench-") as tmp:
        store = build_store(Path(tmp) / "store")
        figures["event_engine"] = event_engine(store, args.repeat)
        figures["fast_path"] = fast_path(store)
        proc = whole_process(store, Path(tmp) / "out", report=True)
        proc_nr = whole_process(store, Path(tmp) / "out2", report=False)
        figures["event_engine"].update(proc)
        figures["event_engine"]["process_no_report_s"] = proc_nr["process_s"]
        figures["fast_path"].update(proc)
    if not args.no_peers:
        peers = peer_figures(("freqtrade", "vectorbt"), funding=False)
        figures.update(peers)
        figures["ratios"] = {
            "event_vs_freqtrade": speed_ratios(figures["event_engine"], peers["freqtrade"]),
            "fast_vs_vectorbt": speed_ratios(figures["fast_path"], peers["vectorbt"]),
        }
    _print(figures)
    if args.json_out:
        args.json_out.write_text(json.dumps(figures, indent=2, default=str))
    return 0


def _print(figures: dict[str, dict[str, float]]) -> None:
    rows = [("tool", "engine s", "bars/s", "process s", "peak RSS MB", "trades", "PnL")]
    for name in ("event_engine", "fast_path", "freqtrade", "vectorbt"):
        f = figures.get(name)
        if not f:
            continue
        rows.append((name, f"{f['engine_s']:.3f}", f"{f['bars_per_s']:,.0f}", f"{f.get('process_s', float('nan')):.1f}",
                     f"{f.get('peak_rss_mb', float('nan')):.0f}", str(f.get("trades")), str(f.get("pnl"))))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)))
    ev = figures["event_engine"]
    print(f"event engine: cold run {ev['cold_s']:.2f} s, {ev['events']} events; "
          f"process without report {ev['process_no_report_s']:.1f} s")
    fp = figures["fast_path"]
    line = (f"fast path with its signals (prepare + kernel, as vectorbt's figure): {fp['with_signals_s']:.3f} s, "
            f"{fp['bars'] / fp['with_signals_s']:,.0f} bars/s")
    vbt = figures.get("vectorbt")
    if vbt:
        line += f" = {vbt['engine_s'] / fp['with_signals_s']:.1f}x vectorbt's signals + portfolio"
        if vbt.get("signals_s") is not None:
            portfolio_s = vbt["engine_s"] - vbt["signals_s"]
            line += (f"; kernel alone {portfolio_s / fp['engine_s']:.1f}x vectorbt's from_signals alone "
                     f"({portfolio_s:.3f} s)")
    print(line)
    for label, ratio in figures.get("ratios", {}).items():
        print(label, {k: round(v, 1) for k, v in ratio.items()})


if __name__ == "__main__":
    raise SystemExit(main())
