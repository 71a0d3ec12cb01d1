"""A whole backtest on a hedge-mode account trades exactly as on a one-way account: the engine
keeps one position per symbol either way; only the orders' positionSide/reduceOnly differ."""

from __future__ import annotations

from coinpilot.data.store import CandleStore, sample_root
from coinpilot.engine.backtest import Backtest
from coinpilot.engine.presets import preset


def test_hedge_mode_backtest_equals_one_way() -> None:
    cfg = preset("realistic", "c_score", ["BTCUSDT", "XRPUSDT"])
    results = []
    for hedge in (False, True):
        run_cfg = cfg.model_copy(update={"sim": cfg.sim.model_copy(update={"hedge_mode": hedge})})
        results.append(Backtest(run_cfg, CandleStore(sample_root())).run())
    one_way, hedged = results
    fields = ("symbol", "side", "entry_time", "entry_price", "exit_time", "exit_price", "qty", "net_pnl", "exit_reason")
    assert len(one_way.trades) > 10
    assert [tuple(getattr(t, f) for f in fields) for t in hedged.trades] == [
        tuple(getattr(t, f) for f in fields) for t in one_way.trades]
    assert hedged.validation is not None
    assert hedged.validation.status.value == "PASS"
