"""Speed of the fast path on the 6-symbol 5m benchmark set (shared/bench/PEERS.md).

Usage:  uv run python bench/fastpath_speed.py [--profile reference|ft_compat] [--repeat 7]

Signals come from the registered strategy `ref_ema_cross` (coinpilot.strategies.registry),
computed once outside the timing. Printed figures:
- compile: first call of `simulate` in this process (JIT compile, or loading numba's cache
  when an earlier run left one; run with NUMBA_CACHE_DIR=$(mktemp -d) for a true cold start),
- warm: median over --repeat runs of `simulate` for all 6 symbols (the Python wrapper's
  array checks and output allocation included), and of the bare kernel alone,
as seconds and bars per second, plus trades and total PnL as a sanity check.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

from coinpilot.domain.timeframe import Timeframe
from coinpilot.engine.fastpath import FastParams, simulate
from coinpilot.engine.fastpath_ft import funding_schedule
from coinpilot.engine.profiles import get_profile
from coinpilot.strategies.base import MarketData
from coinpilot.strategies.registry import create

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "binance_um_futures" / "marketlab"
SYMBOLS = ("BNB", "BTC", "DOGE", "ETH", "SOL", "XRP")


def _ms(frame: pd.DataFrame) -> np.ndarray:
    return frame["date"].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[ms]").astype(np.int64)


def load(symbol: str, with_funding: bool) -> dict[str, object]:
    raw = pd.read_feather(DATA / f"{symbol}_USDT_USDT-5m-futures.feather")
    candles = pd.DataFrame({"open_time": raw["date"].astype("datetime64[ms, UTC]")})
    for col in ("open", "high", "low", "close", "volume"):
        candles[col] = raw[col].astype(np.float64)
    strategy = create("ref_ema_cross")
    prepared = strategy.prepare(MarketData(symbol=f"{symbol}USDT", timeframe=Timeframe.parse("5m"), candles=candles))
    funding = None
    if with_funding:
        rates = pd.read_feather(DATA / f"{symbol}_USDT_USDT-1h-funding_rate.feather")
        mark = pd.read_feather(DATA / f"{symbol}_USDT_USDT-1h-mark.feather")
        funding = funding_schedule(_ms(rates), rates["open"].to_numpy(), _ms(mark), mark["open"].to_numpy())
    return {
        "open_": raw["open"].to_numpy(np.float64), "high": raw["high"].to_numpy(np.float64),
        "low": raw["low"].to_numpy(np.float64), "close": raw["close"].to_numpy(np.float64),
        "times_ms": _ms(raw), "signal": prepared["signal"].to_numpy(np.int8),
        "exit_": prepared["exit"].to_numpy(np.int8), "stop_off": prepared["stop"].to_numpy(np.float64),
        "target_off": prepared["target"].to_numpy(np.float64), "level_mode": strategy.level_mode,
        "funding": funding,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="reference")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    if not DATA.is_dir():
        raise SystemExit(f"needs the shared data set at {DATA}")
    profile = get_profile(args.profile)
    params = FastParams(profile=profile)
    inputs = {s: load(s, profile.funding) for s in SYMBOLS}
    bars = sum(len(v["open_"]) for v in inputs.values())  # type: ignore[arg-type]

    t0 = time.perf_counter()
    simulate(**inputs[SYMBOLS[0]], params=params)  # type: ignore[arg-type]
    compile_s = time.perf_counter() - t0

    runs = []
    results = {}
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        results = {s: simulate(**v, params=params, symbol=s) for s, v in inputs.items()}  # type: ignore[arg-type]
        runs.append(time.perf_counter() - t0)
    warm = statistics.median(runs)
    trades = sum(r.n_trades for r in results.values())
    pnl = sum(r.total_pnl for r in results.values())
    print(f"profile {profile.name}: {len(SYMBOLS)} symbols, {bars:,} bars; signals from "
          "coinpilot.strategies.registry.create('ref_ema_cross').prepare(...)")
    print(f"first call (compile or cache load): {compile_s:.2f} s")
    print(f"warm simulate(), median of {args.repeat}: {warm * 1e3:.1f} ms = {bars / warm / 1e6:.1f} M bars/s")
    print(f"trades {trades}, total PnL {pnl:.2f} USDT")


if __name__ == "__main__":
    main()
