"""Run freqtrade's backtester on ref_ema_cross offline and print its figures as one JSON line.

Runs inside bench/.peers-venv (bench/peers/setup.sh). What it does:

1. builds a throw-away user_data dir whose data/binance/futures/ links to the marketlab
   files (5m candles, 1h mark) and either links the real funding files (`--funding data`)
   or writes zero-rate copies of them (`--funding zero`: freqtrade in futures mode always
   applies the data's funding, so zero rates are the only way to switch it off);
2. copies ft_user_data/config.json and ft_user_data/RefEmaCross.py into it;
3. replaces ccxt's market download with the static list in markets.json and makes any other
   network request raise, so the run is offline and fails loudly instead of hanging;
4. runs `freqtrade backtesting --cache none` in this process (freqtrade.main.main), with
   its tables sent to stderr, and times its phases by wrapping freqtrade's own methods.

Figures: engine_s = indicators + signals + simulation loop + statistics
(`Backtesting.backtest_one_strategy` + `generate_backtest_stats`), which is what PEERS.md
calls freqtrade's engine time; loop_s = `Backtesting.backtest` alone; process_s = since
interpreter start; peak_rss_mb = this process's maximum RSS.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import functools
import importlib.metadata
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

_START = time.perf_counter()
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # bench/ for common.py (stdlib only)

import common  # noqa: E402

STRATEGY = "RefEmaCross"
FT_DIR = HERE / "ft_user_data"


class OfflineViolation(RuntimeError):
    """freqtrade or ccxt tried to reach the network during an offline benchmark."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=common.DEFAULT_DATA_DIR,
                        help="folder with <SYM>_USDT_USDT-5m-futures.feather and friends")
    parser.add_argument("--funding", choices=("data", "zero"), default="zero",
                        help="'data': the files' funding rates; 'zero': zero-rate copies")
    parser.add_argument("--symbols", nargs="+", default=list(common.SYMBOLS))
    parser.add_argument("--markets", type=Path, default=HERE / "markets.json")
    parser.add_argument("--trades-out", type=Path, default=None,
                        help="also write the trade list as CSV (../shared/bench/trades layout)")
    parser.add_argument("--keep-dir", action="store_true",
                        help="keep the temporary user_data dir and print its path on stderr")
    return parser.parse_args(argv)


def data_files(data_dir: Path, symbol: str) -> dict[str, Path]:
    """The three files freqtrade's futures backtest reads for one symbol."""
    stem = f"{symbol}_USDT_USDT"
    files = {
        "candles": data_dir / f"{stem}-5m-futures.feather",
        "mark": data_dir / f"{stem}-1h-mark.feather",
        "funding": data_dir / f"{stem}-1h-funding_rate.feather",
    }
    missing = [str(p) for p in files.values() if not p.exists()]
    if missing:
        raise SystemExit(f"run_freqtrade: missing data files: {', '.join(missing)}")
    return files


def write_zero_funding(src: Path, dst: Path) -> None:
    """Copy a funding file with every rate set to 0, keeping its timestamps and dtypes."""
    import pandas as pd

    frame = pd.read_feather(src)
    for column in ("open", "high", "low", "close"):
        frame[column] = 0.0
    frame.to_feather(dst)


def build_user_data(root: Path, args: argparse.Namespace) -> tuple[Path, Path]:
    """Lay out user_data/ for freqtrade and return (user_data dir, config path)."""
    user_data = root / "user_data"
    futures = user_data / "data" / "binance" / "futures"
    futures.mkdir(parents=True)
    (user_data / "strategies").mkdir()
    (user_data / "backtest_results").mkdir()
    for symbol in args.symbols:
        files = data_files(args.data_dir, symbol)
        for kind in ("candles", "mark"):
            (futures / files[kind].name).symlink_to(files[kind])
        funding_dst = futures / files["funding"].name
        if args.funding == "data":
            funding_dst.symlink_to(files["funding"])
        else:
            write_zero_funding(files["funding"], funding_dst)
    shutil.copy(FT_DIR / f"{STRATEGY}.py", user_data / "strategies" / f"{STRATEGY}.py")
    config = json.loads((FT_DIR / "config.json").read_text())
    config.pop("$comment", None)
    config["exchange"]["pair_whitelist"] = [f"{s}/USDT:USDT" for s in args.symbols]
    config_path = root / "config.json"
    config_path.write_text(json.dumps(config, indent=2))
    return user_data, config_path


def install_offline_patches(markets_file: Path) -> None:
    """Serve markets from a static file and forbid every other request.

    freqtrade loads the exchange's market list at start-up and has no offline switch;
    `Exchange._api_reload_markets` is the one coroutine that downloads it.
    """
    import ccxt
    import ccxt.async_support
    from freqtrade.exchange import exchange as ft_exchange

    static_markets = json.loads(markets_file.read_text())["markets"]

    async def offline_reload_markets(self: Any, reload: bool = False) -> None:
        self._api_async.set_markets(copy.deepcopy(static_markets))

    ft_exchange.Exchange._api_reload_markets = offline_reload_markets

    def refuse(self: Any, url: str, *args: Any, **kwargs: Any) -> Any:
        raise OfflineViolation(f"offline benchmark: ccxt tried to fetch {url}")

    async def refuse_async(self: Any, url: str, *args: Any, **kwargs: Any) -> Any:
        raise OfflineViolation(f"offline benchmark: ccxt tried to fetch {url}")

    ccxt.Exchange.fetch = refuse
    ccxt.async_support.Exchange.fetch = refuse_async


class PhaseTimer:
    """Wrap freqtrade methods to time its phases and keep the Backtesting object."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        # CPU time too: on a shared 2-core box wall time swings with the neighbours, while
        # the CPU time of this single-threaded loop barely moves.
        self.cpu_seconds: dict[str, float] = {}
        self.backtesting: Any = None
        self.bars = 0

    def wrap(self, owner: Any, name: str, phase: str) -> None:
        original = getattr(owner, name)

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            start, cpu_start = time.perf_counter(), time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[phase] = self.seconds.get(phase, 0.0) + time.perf_counter() - start
                cpu = time.process_time() - cpu_start
                self.cpu_seconds[phase] = self.cpu_seconds.get(phase, 0.0) + cpu

        setattr(owner, name, timed)

    def install(self) -> None:
        from freqtrade.optimize import backtesting as bt_module

        self.wrap(bt_module.Backtesting, "load_bt_data", "load_s")
        self.wrap(bt_module.Backtesting, "backtest_one_strategy", "strategy_s")
        self.wrap(bt_module.Backtesting, "backtest", "loop_s")
        self.wrap(bt_module, "generate_backtest_stats", "stats_s")

        original_start = bt_module.Backtesting.start
        timer = self

        def start(bt_self: Any) -> None:
            timer.backtesting = bt_self
            original_start(bt_self)

        bt_module.Backtesting.start = start

        original_load = bt_module.Backtesting.load_bt_data

        def load_bt_data(bt_self: Any) -> Any:
            data, timerange = original_load(bt_self)
            timer.bars = sum(len(frame) for frame in data.values())
            return data, timerange

        bt_module.Backtesting.load_bt_data = load_bt_data


def trade_rows(trades: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """freqtrade's trade dicts in the ../shared/bench/trades column layout."""
    rows = []
    for t in trades:
        rows.append({
            "pair": t["pair"].split("/")[0],
            "direction": "short" if t["is_short"] else "long",
            "open_time": str(t["open_date"])[:19].replace("T", " "),
            "open_price": t["open_rate"],
            "close_time": str(t["close_date"])[:19].replace("T", " "),
            "close_price": t["close_rate"],
            "exit_reason": {"stop_loss": "sl", "roi": "tp", "force_exit": "end"}.get(
                t["exit_reason"], t["exit_reason"]),
            "profit_abs": t["profit_abs"],
            "profit_ratio": t["profit_ratio"],
        })
    rows.sort(key=lambda r: (r["pair"], r["open_time"]))
    return rows


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="coinpilot-ft-"))
    try:
        user_data, config_path = build_user_data(root, args)
        install_offline_patches(args.markets)
        timer = PhaseTimer()
        timer.install()
        from freqtrade.main import main as freqtrade_main

        ft_argv = [
            "backtesting", "--config", str(config_path), "--userdir", str(user_data),
            "--strategy", STRATEGY, "--cache", "none", "--export", "trades",
            "--logfile", str(root / "freqtrade.log"),
        ]
        code: int | str | None = 0
        with contextlib.redirect_stdout(sys.stderr):
            try:
                freqtrade_main(ft_argv)
            except SystemExit as exc:
                code = exc.code
        if code not in (0, None) or timer.backtesting is None:
            log_tail = (root / "freqtrade.log").read_text()[-4000:] if (
                root / "freqtrade.log").exists() else ""
            print(f"run_freqtrade: freqtrade exited with {code}\n{log_tail}", file=sys.stderr)
            return 1
        result = timer.backtesting.results["strategy"][STRATEGY]
        trades = trade_rows(result["trades"])
        if args.trades_out is not None:
            common.write_trades_csv(args.trades_out, trades)
        per_pair: dict[str, int] = {}
        for row in trades:
            per_pair[row["pair"]] = per_pair.get(row["pair"], 0) + 1
        engine_s = timer.seconds["strategy_s"] + timer.seconds["stats_s"]
        age = common.process_age_s()
        figures = {
            "peer": "freqtrade",
            "version": importlib.metadata.version("freqtrade"),
            "funding": args.funding,
            "bars": timer.bars,
            "engine_s": round(engine_s, 3),
            "bars_per_s": round(common.bars_per_s(timer.bars, engine_s), 1),
            "engine_cpu_s": round(
                timer.cpu_seconds["strategy_s"] + timer.cpu_seconds["stats_s"], 3),
            "loop_s": round(timer.seconds["loop_s"], 3),
            "load_s": round(timer.seconds["load_s"], 3),
            "stats_s": round(timer.seconds["stats_s"], 3),
            "process_s": round(age if age is not None else time.perf_counter() - _START, 3),
            "peak_rss_mb": round(common.peak_rss_mb_self(), 1),
            "trades": int(result["total_trades"]),
            "trades_per_pair": per_pair,
            "pnl": round(float(result["profit_total_abs"]), 6),
            "funding_fees": round(sum(float(t.get("funding_fees") or 0.0)
                                      for t in result["trades"]), 6),
        }
    finally:
        if args.keep_dir:
            print(f"run_freqtrade: kept {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)
    common.emit_figures(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
