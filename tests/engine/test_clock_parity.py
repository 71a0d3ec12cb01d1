"""Backtest (sparse clock) and paper replay (dense clock: every candle fed in turn) run the same
Bot / RiskManager / OrderManager / SimExchange code and must give identical trades."""

from __future__ import annotations

import pytest

from coinpilot.data.store import CandleStore, sample_root
from coinpilot.engine.backtest import Backtest
from coinpilot.engine.presets import preset


def _trades(strategy: str, profile: str, clock: str) -> list[tuple[object, ...]]:
    cfg = preset(profile, strategy, ["BTCUSDT", "XRPUSDT"], clock=clock, start="2025-01-01", end="2025-02-15")
    result = Backtest(cfg, CandleStore(sample_root())).run()
    return [(t.symbol, t.side, t.entry_time, t.entry_price, t.exit_time, t.exit_price, t.exit_reason, t.net_pnl)
            for t in result.trades]


@pytest.mark.parametrize(("strategy", "profile"), [("ref_ema_cross", "reference"), ("c_score", "realistic"),
                                                   ("u_rsi", "realistic")])
def test_sparse_and_dense_clocks_give_identical_trades(strategy: str, profile: str) -> None:
    sparse = _trades(strategy, profile, "sparse")
    dense = _trades(strategy, profile, "dense")
    assert len(sparse) > 3
    assert sparse == dense
