"""Rebuild the bundled sample in sample/ from ../shared/data (run from the repo root).

The sample is a byte-faithful slice: rows are selected by date, never edited. See
sample/PROVENANCE.md for sources.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
OUT = Path(__file__).resolve().parents[1] / "sample"
SYMBOLS = ("BTC", "ETH", "SOL", "XRP", "BNB", "DOGE")
START, END = pd.Timestamp("2025-01-01", tz="UTC"), pd.Timestamp("2025-04-01", tz="UTC")


def _slice(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.rename(columns={"date": "open_time"})
    frame["open_time"] = frame["open_time"].astype("datetime64[ms, UTC]")
    keep = (frame["open_time"] >= START) & (frame["open_time"] < END)
    return frame.loc[keep].reset_index(drop=True)


def main() -> int:
    src = SHARED / "binance_um_futures" / "marketlab"
    if not src.exists():
        print(f"shared data not found at {src}", file=sys.stderr)
        return 1
    for sym in SYMBOLS:
        dest = OUT / "binance" / "futures" / f"{sym}USDT"
        dest.mkdir(parents=True, exist_ok=True)
        for tf in ("5m", "1h"):
            frame = _slice(pd.read_feather(src / f"{sym}_USDT_USDT-{tf}-futures.feather"))
            frame.to_parquet(dest / f"{tf}.parquet", index=False, compression="zstd")
        mark = _slice(pd.read_feather(src / f"{sym}_USDT_USDT-1h-mark.feather"))
        mark.to_parquet(dest / "mark-1h.parquet", index=False, compression="zstd")
        fund = _slice(pd.read_feather(src / f"{sym}_USDT_USDT-1h-funding_rate.feather"))
        fund = pd.DataFrame({"funding_time": fund["open_time"], "rate": fund["open"]})
        fund.to_parquet(dest / "funding.parquet", index=False, compression="zstd")
    print(f"sample written to {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
