"""Writes a finished backtest into the operational database (runs, trades, risk events).

The same tables hold paper and live journals later, so a dashboard or report reads backtests
and live trading alike. Saving the same run twice replaces it (a rerun never duplicates rows).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import delete, insert, select

from coinpilot.engine.jsonsafe import to_jsonable
from coinpilot.engine.results import BacktestResult
from coinpilot.store import migrate
from coinpilot.store.engine import create_engine_from_url, session_scope
from coinpilot.store.models import RiskEvent, Run, TradeRecord

_DB_PLACES = Decimal("1e-18")  # NUMERIC(38,18): the column's own scale


def money(value: Decimal) -> Decimal:
    """Round to the column scale; sim fills carry more digits than any venue reports."""
    return value.quantize(_DB_PLACES)


def _utc(value: Any) -> datetime:
    return pd.Timestamp(value).tz_convert("UTC").to_pydatetime()


def save_backtest(result: BacktestResult, url: str, *, venue: str = "binance") -> str:
    """Create/upgrade the schema at `url`, then store the run, its trades, its rejections and its
    halts (risk_events with decision 'halted': start as time, end/reason/refused in detail)."""
    migrate.upgrade(url)
    engine = create_engine_from_url(url)
    try:
        with session_scope(engine) as session:
            if session.scalar(select(Run.id).where(Run.id == result.run_id)) is not None:
                session.execute(delete(TradeRecord).where(TradeRecord.run_id == result.run_id))
                session.execute(delete(RiskEvent).where(RiskEvent.run_id == result.run_id))
                session.execute(delete(Run).where(Run.id == result.run_id))
                session.flush()
            start = result.equity.index[0] if len(result.equity) else pd.Timestamp.now(tz="UTC")
            end = result.equity.index[-1] if len(result.equity) else start
            session.add(Run(id=result.run_id, kind="backtest", status="completed", name=result.strategy,
                            started_at=_utc(start), ended_at=_utc(end), config=to_jsonable(result.config)))
            session.flush()
            leverage = result.config.get("leverage")
            lev = int(leverage) if leverage else None
            rows = [{
                "run_id": result.run_id, "venue": venue, "symbol": t.symbol, "side": t.side.value,
                "strategy": t.strategy, "entry_time": _utc(t.entry_time), "exit_time": _utc(t.exit_time),
                "entry_price": money(t.entry_price), "exit_price": money(t.exit_price), "qty": money(t.qty),
                "gross_pnl": money(t.gross_pnl), "fees": money(t.fees), "funding": money(t.funding),
                "net_pnl": money(t.net_pnl), "exit_reason": t.exit_reason.value,
                "entry_reason": t.entry_reason or None, "leverage": lev,
                "ml_probability": t.meta.get("probability") if isinstance(t.meta, dict) else None,
                "meta": to_jsonable(t.meta),
            } for t in result.trades]
            if rows:  # one executemany: thousands of trades in a fraction of a second
                session.execute(insert(TradeRecord), rows)
            rejections = result.rejections
            # one conversion for the column, not one Timestamp per row
            times: list[datetime] = (list(pd.DatetimeIndex(pd.to_datetime(rejections["time"], utc=True)).to_pydatetime())
                                     if len(rejections) else [])
            events: list[dict[str, Any]] = [{
                "run_id": result.run_id, "time": when, "rule": str(row["rule"]),
                "symbol": str(row["symbol"]) or None, "decision": "rejected",
                "detail": {"reason": str(row["reason"]), "side": str(row.get("side", "")),
                           "strategy": str(row.get("strategy", ""))},
            } for when, row in zip(times, rejections.to_dict("records"), strict=True)]
            events += [{
                "run_id": result.run_id, "time": _utc(h.start), "rule": h.rule,
                "symbol": h.key if h.key != "account" else None, "decision": "halted",
                "detail": {"key": h.key, "end": None if h.end is None else _utc(h.end).isoformat(),
                           "reason": h.reason, "refused": h.refused},
            } for h in result.halts]
            if events:  # one executemany too: a tripped kill switch rejects every later signal
                session.execute(insert(RiskEvent), events)
    finally:
        engine.dispose()
    return result.run_id


def load_trades(url: str, run_id: str) -> list[dict[str, Any]]:
    """The stored journal of one run, oldest first (exact decimals)."""
    engine = create_engine_from_url(url)
    try:
        with session_scope(engine) as session:
            rows = session.scalars(
                select(TradeRecord).where(TradeRecord.run_id == run_id).order_by(TradeRecord.entry_time, TradeRecord.symbol)
            ).all()
            return [{"symbol": r.symbol, "side": r.side, "entry_time": r.entry_time, "exit_time": r.exit_time,
                     "entry_price": r.entry_price, "exit_price": r.exit_price, "qty": r.qty,
                     "net_pnl": r.net_pnl, "exit_reason": r.exit_reason} for r in rows]
    finally:
        engine.dispose()


__all__ = ["load_trades", "money", "save_backtest"]
