"""Speed of C's 324-set sweep (SPEC C48) over 6 symbols × 14 months; target < 60 s on 2 cores.

Usage:  uv run python bench/sweep_speed.py [--workers 2] [--start-method fork] [--dask tcp://host:8786] [--single]
                                            [--preset realistic|reference] [--store DIR]

Workload: c_score on 15m candles resampled from the marketlab 5m futures set
(../shared/data/binance_um_futures/marketlab, 2024-12-31 → 2026-02-19, 6 perpetuals), the C48
grid SL {1.0,1.5,2.0} × TP {2,3,4} × signal {3,4,5} × ADX {0,20,25,30} × volume {1.5,2,2.5},
each set judged by a 3/1-month walk-forward (10 folds: each train and test window, plus the
whole period), ranked by out-of-sample profit factor.

The shared feather files are first imported into a temporary candle store (untimed: a one-off
`coinpilot data import`). The timed figure is the whole `run_grid` call as a user runs it:
starting the worker processes, each worker reading the store, resampling 5m → 15m and
computing the indicators once, the 324 × 6 × 21 window simulations and their metrics, and the
ranking. Printed: seconds, parameter sets per second, and the top rows as a sanity check.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "binance_um_futures" / "marketlab"
SYMBOLS = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "BNBUSDT", "DOGEUSDT"]
START, END = "2024-12-31", "2026-02-20"
TARGET_S = 60.0


def build_store(root: Path) -> None:
    """Import the marketlab 5m candles and funding rates (what `coinpilot data import` does)."""
    from coinpilot.data.importers import load_file
    from coinpilot.data.store import CandleStore

    store = CandleStore(root)
    files = sorted(DATA.glob("*-5m-futures.feather")) + sorted(DATA.glob("*-1h-funding_rate.feather"))
    for path in files:
        for series in load_file(path):
            store.save(series.key, series.frame)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--start-method", default=None, choices=("forkserver", "fork", "spawn"),
                        help="local pool start method (default forkserver: safe, ~2 s to start)")
    parser.add_argument("--dask", default=None, help="Dask scheduler address instead of local processes")
    parser.add_argument("--preset", default="realistic", choices=("realistic", "reference"))
    parser.add_argument("--single", action="store_true", help="whole period only, no walk-forward")
    parser.add_argument("--min-trades", type=int, default=30, help="rank sets with fewer OOS trades last")
    parser.add_argument("--store", type=Path, default=None, help="an existing store holding the 6 symbols")
    args = parser.parse_args()
    logging.getLogger("distributed").setLevel(logging.WARNING)

    from coinpilot.data.store import CandleStore
    from coinpilot.engine.executors import make_executor
    from coinpilot.engine.presets import preset
    from coinpilot.engine.sweep import C48_GRID, expand_grid, run_grid
    from coinpilot.engine.walkforward import make_folds

    with tempfile.TemporaryDirectory(prefix="coinpilot-sweep-bench-") as tmp:
        root = args.store
        if root is None:
            if not DATA.is_dir():
                raise SystemExit(f"needs the shared data set at {DATA}")
            root = Path(tmp)
            t0 = time.perf_counter()
            build_store(root)
            print(f"imported the marketlab 5m set into a temporary store in {time.perf_counter() - t0:.1f} s (untimed)")
        store = CandleStore(root)
        cfg = preset(args.preset, "c_score", SYMBOLS, start=START, end=END)
        folds = [] if args.single else make_folds(START, END, train_months=3, test_months=1, timeframe="15m")
        n = len(expand_grid(C48_GRID))
        t0 = time.perf_counter()
        with make_executor(args.workers, args.dask, args.start_method) as executor:
            result = run_grid(cfg, store, C48_GRID, folds=folds, executor=executor, min_trades=args.min_trades)
        seconds = time.perf_counter() - t0
    print(f"c_score, C48 grid: {n} parameter sets × {len(SYMBOLS)} symbols, 15m from 5m, {START} → {END}, "
          f"{len(folds) or 'no'} walk-forward folds, preset {args.preset}, on {result.executor}")
    print(f"total {seconds:.1f} s = {n / seconds:.1f} sets/s (evaluation alone {result.seconds:.1f} s); "
          f"target < {TARGET_S:.0f} s: {'met' if seconds < TARGET_S else 'MISSED'}")
    cols = [*result.params, "trades", "profit_factor", "net_pnl", "full_profit_factor", "pf_ratio"]
    print(result.table[cols].head(5).to_string(index=False))


if __name__ == "__main__":
    main()
