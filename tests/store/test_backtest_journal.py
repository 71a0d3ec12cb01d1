"""A backtest's journal lands in the SQL store exactly, and saving twice does not duplicate."""

from __future__ import annotations

from pathlib import Path

from coinpilot.data.store import CandleStore, sample_root
from coinpilot.engine.backtest import Backtest
from coinpilot.engine.presets import preset
from coinpilot.store.journal import load_trades, money, save_backtest


def test_backtest_trades_round_trip_through_the_database(tmp_path: Path) -> None:
    cfg = preset("realistic", "c_score", ["BTCUSDT", "XRPUSDT"], end="2025-02-01")
    result = Backtest(cfg, CandleStore(sample_root())).run()
    assert result.trades
    url = f"sqlite:///{tmp_path / 'journal.db'}"
    save_backtest(result, url)
    save_backtest(result, url)  # idempotent
    stored = load_trades(url, result.run_id)
    assert len(stored) == len(result.trades)
    by_key = {(t.symbol, t.entry_time.to_pydatetime()): t for t in result.trades}
    for row in stored:
        trade = by_key[(row["symbol"], row["entry_time"])]
        assert row["net_pnl"] == money(trade.net_pnl)  # exact Decimal at the column scale, no float
        assert row["exit_reason"] == trade.exit_reason.value


def test_halts_are_journalled_as_risk_events(tmp_path: Path) -> None:
    from sqlalchemy import select

    from coinpilot.store.engine import create_engine_from_url, session_scope
    from coinpilot.store.models import RiskEvent

    cfg = preset("realistic", "ref_ema_cross", ["BTCUSDT", "XRPUSDT"], end="2025-02-01")
    result = Backtest(cfg, CandleStore(sample_root())).run()
    assert result.halts
    url = f"sqlite:///{tmp_path / 'journal.db'}"
    save_backtest(result, url)
    engine = create_engine_from_url(url)
    try:
        with session_scope(engine) as session:
            rows = session.scalars(select(RiskEvent).where(RiskEvent.decision == "halted")).all()
            stored = sorted((r.rule, r.detail["key"], r.detail["refused"]) for r in rows)
    finally:
        engine.dispose()
    assert stored == sorted((h.rule, h.key, h.refused) for h in result.halts)
