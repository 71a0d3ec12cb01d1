"""A finished backtest as one object, and its folder on disk (write and load back).

A results folder holds everything needed to read, compare and re-run a backtest without the
process that produced it:

    run.json            run id, strategy, initial balance, timeframe
    config.json         the run configuration as given (re-run from it)
    trades.csv          the journal: Trade fields, money as exact decimal strings, meta as JSON
    trades_peer.csv     the same trades in the peers' columns (bench/REFERENCE_STRATEGY.md)
    equity.csv          equity per bar close incl. unrealised PnL (+ open positions if known)
    funding.csv         funding ledger (time, symbol, amount)
    rejections.csv      orders refused by risk or the exchange (time, symbol, rule, reason)
    halts.csv           halting rules' periods (rule, key, start, end, reason, refused)
    metrics.json        Metrics; inf is written "Infinity" (C46), numpy scalars as Python (P70)
    validation.json     C44 checks and overall status
    report.html         self-contained interactive report

Candles are not stored (they live in the candle store); a loaded result has none.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coinpilot.domain.enums import Side
from coinpilot.domain.timeframe import Timeframe
from coinpilot.domain.trade import TRADE_COLUMNS, ExitReason, Trade
from coinpilot.engine.jsonsafe import from_jsonable, iso_utc, to_jsonable
from coinpilot.engine.metrics import Metrics, ResultError, as_trades_frame, compute_metrics
from coinpilot.engine.report import write_report
from coinpilot.engine.validator import ValidationReport, validate_backtest
from coinpilot.risk.halts import HALT_COLUMNS, HaltPeriod

FUNDING_COLUMNS = ("time", "symbol", "amount")
REJECTION_COLUMNS = ("time", "symbol", "rule", "reason")
PEER_COLUMNS = (
    "pair", "direction", "open_time", "open_price", "close_time", "close_price", "exit_reason",
    "profit_abs", "profit_ratio", "funding_fees", "amount",
)
_QUOTES = ("USDT", "USDC", "FDUSD", "BUSD")


def empty_frame(columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})


def _ledger(frame: pd.DataFrame | None, columns: Sequence[str], name: str) -> pd.DataFrame:
    if frame is None:
        return empty_frame(columns)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ResultError(f"{name}: missing columns {missing} (need {list(columns)})")
    out = frame.reset_index(drop=True).copy()
    out["time"] = pd.to_datetime(out["time"], utc=True)
    return out


@dataclass(frozen=True, slots=True)
class BacktestResult:
    """Everything one backtest produced. Build it with `build_result`, which computes metrics."""

    run_id: str
    trades: list[Trade]
    equity: pd.Series
    initial_balance: float
    timeframe: Timeframe
    metrics: Metrics
    config: dict[str, Any] = field(default_factory=dict)
    strategy: str = ""
    validation: ValidationReport | None = None
    exposure: pd.Series | None = None
    funding: pd.DataFrame = field(default_factory=lambda: empty_frame(FUNDING_COLUMNS))
    rejections: pd.DataFrame = field(default_factory=lambda: empty_frame(REJECTION_COLUMNS))
    candles: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: per symbol, the strategy's plot columns (Strategy.plot_columns) row for row with candles
    indicators: dict[str, pd.DataFrame] = field(default_factory=dict)
    plot_columns: dict[str, str] = field(default_factory=dict)
    halts: tuple[HaltPeriod, ...] = ()

    @property
    def label(self) -> str:
        return self.strategy or self.run_id


def build_result(
    *,
    run_id: str,
    trades: Sequence[Trade] | pd.DataFrame,
    equity: pd.Series,
    initial_balance: float,
    timeframe: Timeframe | str,
    config: Mapping[str, Any] | None = None,
    strategy: str = "",
    exposure: pd.Series | None = None,
    funding: pd.DataFrame | None = None,
    rejections: pd.DataFrame | None = None,
    candles: Mapping[str, pd.DataFrame] | None = None,
    hedge_mode: bool = False,
    indicators: Mapping[str, pd.DataFrame] | None = None,
    plot_columns: Mapping[str, str] | None = None,
    halts: Sequence[HaltPeriod] | None = None,
) -> BacktestResult:
    """Assemble a result from the engine's outputs: computes metrics and runs the validator.

    `halts` (the risk manager's record; None when the engine keeps none) feeds the
    validator's halted-time check over the run's symbols.
    """
    trade_list = trades_from_frame(trades) if isinstance(trades, pd.DataFrame) else list(trades)
    tf = Timeframe.parse(timeframe)
    # the float trades frame once for both (as_trades_frame of that frame gives it back)
    frame = as_trades_frame(trade_list)
    metrics = compute_metrics(frame, equity, initial_balance, tf, exposure=exposure)
    symbols = list(candles or ()) or list((config or {}).get("symbols") or ())
    validation = validate_backtest(
        frame, equity, initial_balance, metrics=metrics, hedge_mode=hedge_mode, halts=halts,
        symbols=symbols or None,
    )
    return BacktestResult(
        run_id=run_id, trades=trade_list, equity=equity.astype("float64"),
        initial_balance=float(initial_balance), timeframe=tf, metrics=metrics,
        config=dict(config or {}), strategy=strategy, validation=validation, exposure=exposure,
        funding=_ledger(funding, FUNDING_COLUMNS, "funding ledger"),
        rejections=_ledger(rejections, REJECTION_COLUMNS, "rejections"),
        candles=dict(candles or {}), halts=tuple(halts or ()),
        indicators=dict(indicators or {}), plot_columns=dict(plot_columns or {}),
    )


def halts_frame(halts: Sequence[HaltPeriod]) -> pd.DataFrame:
    """halts.csv: one row per halt, ISO UTC times, `end` empty while it lasted to the end."""
    rows = [{
        "rule": h.rule, "key": h.key, "start": iso_utc(pd.DatetimeIndex([h.start]))[0],
        "end": "" if h.end is None else iso_utc(pd.DatetimeIndex([h.end]))[0],
        "reason": h.reason, "refused": h.refused,
    } for h in halts]
    return pd.DataFrame(rows, columns=list(HALT_COLUMNS))


def halts_from_frame(frame: pd.DataFrame) -> tuple[HaltPeriod, ...]:
    """halts.csv back into HaltPeriods (read with dtype=str, keep_default_na=False)."""
    missing = [c for c in HALT_COLUMNS if c not in frame.columns]
    if missing:
        raise ResultError(f"halts: missing columns {missing} (need {list(HALT_COLUMNS)})")
    return tuple(
        HaltPeriod(
            rule=str(r["rule"]), key=str(r["key"]), start=pd.Timestamp(r["start"]).tz_convert("UTC"),
            end=pd.Timestamp(r["end"]).tz_convert("UTC") if r["end"] else None,
            reason=str(r["reason"]), refused=int(r["refused"] or 0),
        )
        for r in frame.to_dict("records")
    )


def make_run_id(
    config: Mapping[str, Any], strategy: str = "", when: pd.Timestamp | None = None
) -> str:
    """'<strategy>-<UTC time>-<config hash>': sortable, and equal configs share the hash."""
    stamp = (when or pd.Timestamp.now(tz="UTC")).tz_convert("UTC").strftime("%Y%m%dT%H%M%SZ")
    canon = json.dumps(to_jsonable(dict(config)), sort_keys=True, separators=(",", ":"))
    return f"{strategy or 'run'}-{stamp}-{hashlib.sha256(canon.encode()).hexdigest()[:8]}"


def base_asset(symbol: str) -> str:
    """'BTCUSDT' → 'BTC', 'KRW-BTC' → 'BTC', 'BTC/USDT:USDT' → 'BTC' (the peers' `pair`)."""
    if "/" in symbol:
        return symbol.split("/")[0]
    if symbol.startswith("KRW-"):
        return symbol[4:]
    for quote in _QUOTES:
        if symbol.endswith(quote) and len(symbol) > len(quote):
            return symbol[: -len(quote)]
    return symbol


def _peer_time(ts: pd.Timestamp) -> str:
    return pd.Timestamp(ts).tz_convert("UTC").strftime("%Y-%m-%d %H:%M:%S")


def peer_trades_frame(trades: Sequence[Trade]) -> pd.DataFrame:
    """Trades in the column layout the peer engines' trade lists use (for parity diffs).

    profit_ratio = net PnL / entry notional (the reference's definition, not freqtrade's).
    """
    rows = [
        {
            "pair": base_asset(t.symbol),
            "direction": t.side.value,
            "open_time": _peer_time(t.entry_time),
            "open_price": float(t.entry_price),
            "close_time": _peer_time(t.exit_time),
            "close_price": float(t.exit_price),
            "exit_reason": t.exit_reason.value,
            "profit_abs": float(t.net_pnl),
            "profit_ratio": float(t.net_pnl / t.notional) if t.notional else 0.0,
            "funding_fees": float(t.funding),
            "amount": float(t.qty),
        }
        for t in trades
    ]
    return pd.DataFrame(rows, columns=list(PEER_COLUMNS))


def _journal_frame(trades: Sequence[Trade]) -> pd.DataFrame:
    """The trades.csv layout: exact Decimal text, ISO UTC times, meta as sorted JSON.
    Built column by column (times in one vectorised pass) rather than row dicts."""
    columns: dict[str, Any] = {}
    for c in TRADE_COLUMNS:
        values = [getattr(t, c) for t in trades]
        if c in ("entry_time", "exit_time"):
            columns[c] = iso_utc(pd.DatetimeIndex(values)) if values else []
        elif c in ("side", "exit_reason"):
            columns[c] = [v.value for v in values]
        else:
            columns[c] = [str(v) if isinstance(v, Decimal) else v for v in values]
    columns["meta"] = [json.dumps(to_jsonable(t.meta), sort_keys=True) for t in trades]
    return pd.DataFrame(columns, columns=[*TRADE_COLUMNS, "meta"])


def trades_from_frame(frame: pd.DataFrame) -> list[Trade]:
    """Trades back from a journal frame (trades.csv read as strings, or trades_frame floats)."""
    missing = [c for c in TRADE_COLUMNS if c not in frame.columns]
    if missing:
        raise ResultError(f"trade journal: missing columns {missing}")
    out = []
    for rec in frame.to_dict("records"):
        meta = rec.get("meta", "{}")
        money = {
            c: Decimal(str(rec[c]))
            for c in ("entry_price", "exit_price", "qty", "gross_pnl", "fees", "funding", "net_pnl")
        }
        out.append(Trade(
            symbol=str(rec["symbol"]), side=Side(rec["side"]), strategy=_text(rec["strategy"]),
            entry_time=pd.Timestamp(rec["entry_time"]).tz_convert("UTC"),
            exit_time=pd.Timestamp(rec["exit_time"]).tz_convert("UTC"),
            exit_reason=ExitReason(rec["exit_reason"]), entry_reason=_text(rec["entry_reason"]),
            trade_id=_text(rec["trade_id"]), **money,
            meta=from_jsonable(json.loads(meta)) if isinstance(meta, str) and meta else {},
        ))
    return out


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


@dataclass(frozen=True, slots=True)
class ResultPaths:
    directory: Path
    run: Path
    config: Path
    trades: Path
    trades_peer: Path
    equity: Path
    funding: Path
    rejections: Path
    halts: Path
    metrics: Path
    validation: Path
    report: Path

    @classmethod
    def in_dir(cls, directory: Path) -> ResultPaths:
        names = {
            "run": "run.json", "config": "config.json", "trades": "trades.csv",
            "trades_peer": "trades_peer.csv", "equity": "equity.csv", "funding": "funding.csv",
            "rejections": "rejections.csv", "halts": "halts.csv", "metrics": "metrics.json",
            "validation": "validation.json", "report": "report.html",
        }
        return cls(directory=directory, **{k: directory / v for k, v in names.items()})


def _dump_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(to_jsonable(data), indent=2, sort_keys=True, allow_nan=False))


def _equity_frame(result: BacktestResult) -> pd.DataFrame:
    frame = pd.DataFrame({"time": iso_utc(result.equity.index), "equity": result.equity.to_numpy()})
    if result.exposure is not None:
        frame["exposure"] = pd.Series(result.exposure).to_numpy().astype(np.int64)
    return frame


def _ledger_csv(frame: pd.DataFrame, path: Path) -> None:
    out = frame.copy()
    out["time"] = iso_utc(pd.to_datetime(out["time"], utc=True)) if len(out) else out["time"]
    out.to_csv(path, index=False)


def write_results(
    result: BacktestResult, out_dir: Path | str, *, report: bool = True
) -> ResultPaths:
    """Write the results folder (see module docstring); returns where each file went."""
    paths = ResultPaths.in_dir(Path(out_dir))
    paths.directory.mkdir(parents=True, exist_ok=True)
    run = {"run_id": result.run_id, "strategy": result.strategy,
           "initial_balance": result.initial_balance, "timeframe": result.timeframe.name}
    _dump_json(paths.run, run)
    _dump_json(paths.config, result.config)
    _journal_frame(result.trades).to_csv(paths.trades, index=False)
    peer_trades_frame(result.trades).to_csv(paths.trades_peer, index=False)
    _equity_frame(result).to_csv(paths.equity, index=False)
    _ledger_csv(result.funding, paths.funding)
    _ledger_csv(result.rejections, paths.rejections)
    halts_frame(result.halts).to_csv(paths.halts, index=False)
    _dump_json(paths.metrics, result.metrics.as_dict())
    if result.validation is not None:
        _dump_json(paths.validation, result.validation.as_dict())
    if report:
        write_report(result, paths.report)
    return paths


def _read_json(path: Path) -> Any:
    if not path.is_file():
        raise ResultError(f"results folder incomplete: {path} is missing")
    return json.loads(path.read_text())


def _read_csv(path: Path, **kwargs: Any) -> pd.DataFrame:
    if not path.is_file():
        raise ResultError(f"results folder incomplete: {path} is missing")
    return pd.read_csv(path, **kwargs)


def load_results(directory: Path | str) -> BacktestResult:
    """Read a folder written by `write_results` back into a BacktestResult (without candles)."""
    paths = ResultPaths.in_dir(Path(directory))
    run = _read_json(paths.run)
    journal = _read_csv(paths.trades, dtype=str, keep_default_na=False)
    equity_frame = _read_csv(paths.equity)
    index = pd.DatetimeIndex(pd.to_datetime(equity_frame["time"], utc=True), name=None)
    equity = pd.Series(equity_frame["equity"].to_numpy(dtype="float64"), index=index)
    exposure = None
    if "exposure" in equity_frame.columns:
        exposure = pd.Series(equity_frame["exposure"].to_numpy(dtype=np.int64), index=index)
    halts: tuple[HaltPeriod, ...] = ()
    if paths.halts.is_file():  # folders written before halts were recorded have none
        halts = halts_from_frame(pd.read_csv(paths.halts, dtype=str, keep_default_na=False))
    validation = None
    if paths.validation.is_file():
        validation = ValidationReport.from_dict(_read_json(paths.validation))
    return BacktestResult(
        run_id=str(run["run_id"]), trades=trades_from_frame(journal), equity=equity,
        initial_balance=float(run["initial_balance"]),
        timeframe=Timeframe.parse(run["timeframe"]),
        metrics=Metrics.from_dict(from_jsonable(_read_json(paths.metrics))),
        config=_read_json(paths.config), strategy=str(run.get("strategy", "")),
        validation=validation, exposure=exposure,
        funding=_ledger(_read_csv(paths.funding), FUNDING_COLUMNS, str(paths.funding)),
        rejections=_ledger(_read_csv(paths.rejections), REJECTION_COLUMNS, str(paths.rejections)),
        halts=halts,
    )


__all__ = [
    "FUNDING_COLUMNS", "PEER_COLUMNS", "REJECTION_COLUMNS", "BacktestResult", "ResultError",
    "ResultPaths", "base_asset", "build_result", "empty_frame", "halts_frame", "halts_from_frame",
    "load_results",
    "make_run_id", "peer_trades_frame", "trades_from_frame", "write_results",
]
