"""Run ref_ema_cross through vectorbt's `Portfolio.from_signals` and print one JSON line.

Runs inside bench/.peers-venv (bench/peers/setup.sh). vectorbt cannot express the
reference semantics exactly (REFERENCE_STRATEGY.md part 1); the approximation, as in
../shared/bench/PEERS.md:

* one `from_signals` call per symbol, on every row of its file (BNB and DOGE have one
  bar more than the others, so a single wide frame would need NaN padding);
* EMA(9)/EMA(21) with TA-Lib, cross signals at the close, shifted one bar so that
  `price=open` fills them at the next bar's open;
* sl_stop 0.015 and tp_stop 0.03 measured from the fill price (`stop_entry_price="price"`),
  stops checked against high/low with a gap through the level filled at the open;
* fees 0.0004 per side, 100 USDT of value per entry, opposite signals while in a
  position ignored (not reversed), no accumulation;
* the index is made tz-naive (still UTC): with a tz-aware index vectorbt spends ~0.25 s
  per call turning it into Timestamp objects; `--keep-tz` keeps that slow path.

Known differences: vectorbt never exits on the entry bar, and it leaves positions open at
the end of the data (they are counted in `trades` and valued at the last close in `pnl`).

Engine time = signals + portfolio simulation + trade records, measured twice in this
process; the second (warm, numba already compiled) run is the figure, the first is
reported as `cold_engine_s`.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import sys
import time
from pathlib import Path
from typing import Any

_START = time.perf_counter()
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # bench/ for common.py (stdlib only)

import common  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import talib  # noqa: E402
import vectorbt as vbt  # noqa: E402

SL_STOP = 0.015
TP_STOP = 0.03
FEE = 0.0004
STAKE_USDT = 100.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=common.DEFAULT_DATA_DIR)
    parser.add_argument("--symbols", nargs="+", default=list(common.SYMBOLS))
    parser.add_argument("--trades-out", type=Path, default=None,
                        help="also write the trade list as CSV (../shared/bench/trades layout)")
    parser.add_argument("--keep-tz", action="store_true",
                        help="keep the files' tz-aware UTC index (vectorbt's slow path)")
    return parser.parse_args(argv)


def load_symbols(
    data_dir: Path, symbols: list[str], keep_tz: bool = False
) -> dict[str, pd.DataFrame]:
    """One OHLC frame per symbol, indexed by candle open time, every row of the file."""
    frames = {}
    for symbol in symbols:
        path = data_dir / f"{symbol}_USDT_USDT-5m-futures.feather"
        if not path.exists():
            raise SystemExit(f"run_vectorbt: missing data file {path}")
        frame = pd.read_feather(path).set_index("date")
        # A naive UTC index: vectorbt checks shapes through np.asarray(index), and a
        # tz-aware index turns that into 120k Timestamp objects (~0.25 s per call with
        # pandas 3). Dropping the zone changes no value and gives vectorbt its fast path.
        if not keep_tz:
            frame.index = pd.DatetimeIndex(frame.index).tz_convert(None)
        frames[symbol] = frame[["open", "high", "low", "close"]].astype("float64")
    return frames


def cross_signals(close: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Long/short entries at bar i for a cross at the close of bar i-1."""
    fast = talib.EMA(close, timeperiod=9)
    slow = talib.EMA(close, timeperiod=21)
    with np.errstate(invalid="ignore"):
        above = fast > slow
        below = fast < slow
        # NaN comparisons are False, so the warm-up rows never signal.
        up = above[1:] & (fast[:-1] <= slow[:-1])
        down = below[1:] & (fast[:-1] >= slow[:-1])
    # up[k] is the cross at the close of bar k+1; shifting one more bar trades it at the
    # open of bar k+2.
    longs = np.zeros(close.shape[0], dtype=bool)
    shorts = np.zeros(close.shape[0], dtype=bool)
    longs[2:] = up[:-1]
    shorts[2:] = down[:-1]
    return longs, shorts


_SIGNALS_S: list[float] = []  # time spent in cross_signals, per simulate_one call


def simulate_one(frame: pd.DataFrame) -> Any:
    """Signals, portfolio and trade records of one symbol: the part that is timed."""
    start = time.perf_counter()
    entries, short_entries = cross_signals(frame["close"].to_numpy())
    _SIGNALS_S.append(time.perf_counter() - start)
    portfolio = vbt.Portfolio.from_signals(
        close=frame["close"],
        entries=entries,
        short_entries=short_entries,
        price=frame["open"],
        open=frame["open"],
        high=frame["high"],
        low=frame["low"],
        sl_stop=SL_STOP,
        tp_stop=TP_STOP,
        stop_entry_price="price",
        stop_exit_price="stoplimit",
        upon_opposite_entry="ignore",
        accumulate=False,
        size=STAKE_USDT,
        size_type="value",
        fees=FEE,
        init_cash=1e9,
        freq="5min",
        engine="numba",
    )
    # The structured record array (what vectorbt computes); `.records` would add a
    # DataFrame conversion on top.
    return portfolio.trades.values


def simulate(frames: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """One from_signals call per symbol: each symbol has its own bar count, and one wide
    frame would pad the shorter ones with a NaN row that leaves their last trade unvalued."""
    return {symbol: simulate_one(frame) for symbol, frame in frames.items()}


def trade_rows(symbol: str, records: Any, index: pd.Index) -> list[dict[str, Any]]:
    """vectorbt trade records in the ../shared/bench/trades layout."""
    rows = []
    stamps = pd.DatetimeIndex(index).strftime("%Y-%m-%d %H:%M:%S")
    for rec in records:
        is_short = int(rec["direction"]) == 1
        entry, exit_ = float(rec["entry_price"]), float(rec["exit_price"])
        open_trade = int(rec["status"]) == 0
        gained = (exit_ < entry) if is_short else (exit_ > entry)
        rows.append({
            "pair": symbol,
            "direction": "short" if is_short else "long",
            "open_time": stamps[int(rec["entry_idx"])],
            "open_price": entry,
            "close_time": stamps[int(rec["exit_idx"])],
            "close_price": exit_,
            # vectorbt does not record why a stop fired; the side of the move tells.
            "exit_reason": "open" if open_trade else ("tp" if gained else "sl"),
            "profit_abs": float(rec["pnl"]),
            "profit_ratio": float(rec["pnl"]) / STAKE_USDT,
        })
    return rows


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    frames = load_symbols(args.data_dir, args.symbols, keep_tz=args.keep_tz)
    bars = sum(len(frame) for frame in frames.values())
    timings = common.time_calls(lambda: simulate(frames), repeat=2)
    signals_s = sum(_SIGNALS_S[-len(frames):])  # the warm run's share of signal computation
    cpu_start = time.process_time()  # a wall-clock-independent check on a busy machine
    results = simulate(frames)  # a third, warm run: keeps the result, gives the CPU time
    warm_cpu = time.process_time() - cpu_start
    if args.trades_out is not None:
        rows = [row for symbol, records in results.items()
                for row in trade_rows(symbol, records, frames[symbol].index)]
        common.write_trades_csv(args.trades_out, rows)
    warm = timings[-1]
    age = common.process_age_s()
    common.emit_figures({
        "peer": "vectorbt",
        "version": importlib.metadata.version("vectorbt"),
        "engine": "numba",
        "tz_aware_index": args.keep_tz,
        "bars": bars,
        "engine_s": round(warm, 4),
        "signals_s": round(signals_s, 4),  # engine_s minus this is from_signals + records
        "cold_engine_s": round(timings[0], 3),
        "engine_cpu_s": round(warm_cpu, 4),
        "bars_per_s": round(common.bars_per_s(bars, warm), 1),
        "process_s": round(age if age is not None else time.perf_counter() - _START, 3),
        "peak_rss_mb": round(common.peak_rss_mb_self(), 1),
        "trades": sum(len(r) for r in results.values()),
        "open_at_end": sum(int((r["status"] == 0).sum()) for r in results.values()),
        "trades_per_pair": {s: len(r) for s, r in results.items()},
        # Open trades are valued at the symbol's last close, without an exit fee
        # (vectorbt's own convention).
        "pnl": round(sum(float(r["pnl"].sum()) for r in results.values()), 6),
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
