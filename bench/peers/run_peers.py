"""Install the peers if needed, run them one after the other, and print their figures.

Standard library only: run it with any Python 3.11 (`python3 bench/peers/run_peers.py`);
each peer runs in bench/.peers-venv through bench/common.py's `peer_figures`.

    python3 bench/peers/run_peers.py                      # freqtrade (zero funding) + vectorbt
    python3 bench/peers/run_peers.py --funding both       # freqtrade with and without funding
    python3 bench/peers/run_peers.py --which vectorbt --json-out /tmp/peers.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/ for common.py

import common

COLUMNS = (
    ("bars", "{:,}"),
    ("engine_s", "{:.3f}"),
    ("engine_cpu_s", "{:.3f}"),
    ("bars_per_s", "{:,.0f}"),
    ("process_s", "{:.1f}"),
    ("process_s_outside", "{:.1f}"),
    ("cpu_s_outside", "{:.1f}"),
    ("peak_rss_mb", "{:.0f}"),
    ("trades", "{}"),
    ("pnl", "{:.2f}"),
)


def format_table(runs: dict[str, dict[str, Any]]) -> str:
    """A plain-text table of figures, one row per run."""
    header = ["run", *[name for name, _ in COLUMNS]]
    rows = [header]
    for label, figures in runs.items():
        rows.append([label, *[
            fmt.format(figures[name]) if name in figures else "-" for name, fmt in COLUMNS
        ]])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--which", nargs="+", default=list(common.PEER_SCRIPTS),
                        choices=sorted(common.PEER_SCRIPTS))
    parser.add_argument("--funding", choices=("zero", "data", "both"), default="zero",
                        help="freqtrade's funding: zero-rate files, the data's, or both runs")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--json-out", type=Path, default=None)
    args = parser.parse_args(argv)

    common.ensure_peers_installed()
    runs: dict[str, dict[str, Any]] = {}
    for peer in args.which:
        modes = ["zero", "data"] if args.funding == "both" else [args.funding]
        if peer != "freqtrade":
            modes = modes[:1]  # funding means nothing to vectorbt: one run is enough
        for mode in modes:
            label = f"{peer}/{mode}-funding" if peer == "freqtrade" else peer
            print(f"running {label} ...", file=sys.stderr, flush=True)
            runs[label] = common.run_peer(peer, funding=mode == "data", data_dir=args.data_dir)
    print(format_table(runs))
    if args.json_out is not None:
        args.json_out.write_text(json.dumps(runs, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
