"""Rebuild the bundled sample in sample/ from ../shared/data (run from the repo root).

The sample is a faithful slice: rows are selected by date, never edited. Each source file goes
through the same importer as `coinpilot data import`, and the build stops if the importer had
to fix anything (sort, de-duplicate, drop an open candle, round a funding time), because then
the slice would no longer be the source rows. See sample/PROVENANCE.md.

    uv run python scripts/build_sample.py [--out DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from coinpilot.data.importers import load_file
from coinpilot.data.report import Severity
from coinpilot.data.store import CandleStore

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
OUT = Path(__file__).resolve().parents[1] / "sample"
SYMBOLS = ("BTC", "ETH", "SOL", "XRP", "BNB", "DOGE")
START, END = pd.Timestamp("2025-01-01", tz="UTC"), pd.Timestamp("2025-04-01", tz="UTC")
FILES = ("5m-futures", "1h-futures", "1h-mark", "1h-funding_rate")


def _slice(frame: pd.DataFrame) -> pd.DataFrame:
    time_col = frame.columns[0]
    keep = (frame[time_col] >= START) & (frame[time_col] < END)
    return frame.loc[keep].reset_index(drop=True)


def main(argv: list[str] | None = None) -> int:
    """Build the sample; returns the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="sample root to write (default: sample/)")
    args = parser.parse_args(argv)
    src = SHARED / "binance_um_futures" / "marketlab"
    if not src.exists():
        print(f"shared data not found at {src}", file=sys.stderr)
        return 1
    store = CandleStore(args.out)
    for sym in SYMBOLS:
        for suffix in FILES:
            path = src / f"{sym}_USDT_USDT-{suffix}.feather"
            for series in load_file(path):
                edited = [i.code for i in series.report.issues if i.severity is Severity.FIXED]
                if edited:
                    print(f"{path}: the importer changed rows ({edited}); refusing to build", file=sys.stderr)
                    return 1
                store.save(series.key, _slice(series.frame))
    print(f"sample written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
