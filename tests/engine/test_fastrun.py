"""The fast-path glue (engine.fastrun) against the event engine, trade by trade, on the sample.

Parity: with a config the kernel fully models (`fast_setup(strict=True)` accepts it), the fast
path and `Backtest` must give the same trades: entry/exit times, side, prices, quantity, fees,
funding, net PnL (1e-9) and reasons. Checked on ref_ema_cross (reference preset) and on c_score
(reference preset; and with taker fees, slippage and funding switched on).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from coinpilot.data.store import CandleStore
from coinpilot.domain.errors import ConfigError
from coinpilot.domain.trade import Trade
from coinpilot.engine.backtest import Backtest, BacktestConfig
from coinpilot.engine.fastrun import FastRunner, fast_backtest, fast_setup
from coinpilot.engine.metrics import compute_metrics
from coinpilot.engine.presets import preset
from coinpilot.engine.profiles import EntryTiming, OppositeSignal
from coinpilot.exchanges.sim.config import SlippageModel
from coinpilot.risk.config import FixedRiskConfig, SizingConfig
from coinpilot.strategies.registry import create

SYMBOLS = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "BNBUSDT", "DOGEUSDT"]
LOOSE_C = {"signal_threshold": 2, "adx_threshold": 0, "volume_multiplier": 1.5}  # many trades




def _key(t: Trade) -> tuple[object, ...]:
    return (t.symbol, t.side.value, t.entry_time, t.exit_time, t.exit_reason.value, t.entry_reason)


def assert_same_trades(event: list[Trade], fast: list[Trade]) -> None:
    ev = sorted(event, key=lambda t: (t.symbol, t.entry_time))
    fa = sorted(fast, key=lambda t: (t.symbol, t.entry_time))
    assert len(ev) == len(fa)
    for a, b in zip(ev, fa, strict=True):
        assert _key(a) == _key(b), (a, b)
        for name in ("entry_price", "exit_price", "qty", "fees", "funding", "gross_pnl", "net_pnl"):
            assert abs(float(getattr(a, name)) - float(getattr(b, name))) <= 1e-9, (name, a, b)
        for name in ("initial_stop", "initial_target"):
            assert a.meta[name] == pytest.approx(b.meta[name], rel=1e-12, abs=1e-12), (name, a, b)


@pytest.mark.parametrize(("strategy", "params"), [("ref_ema_cross", {}), ("c_score", {}), ("c_score", LOOSE_C)])
def test_fast_path_and_event_engine_give_identical_trades_on_the_reference_preset(
    store: CandleStore, strategy: str, params: dict[str, object],
) -> None:
    cfg = preset("reference", strategy, SYMBOLS, params=params)
    event = Backtest(cfg, store).run()
    fast = fast_backtest(cfg, store, strict=True)
    assert len(event.trades) > 150
    assert_same_trades(event.trades, fast.trades)
    for name in ("trades", "profit_factor", "net_pnl", "max_drawdown_pct", "sharpe", "win_rate_pct"):
        assert getattr(fast.metrics, name) == pytest.approx(getattr(event.metrics, name), rel=1e-9, abs=1e-9)
    assert fast.validation is not None
    assert fast.validation.status == event.validation.status


def test_costs_slippage_and_funding_match_the_event_engine(store: CandleStore) -> None:
    cfg = preset("reference", "c_score", SYMBOLS)
    cfg = cfg.model_copy(update={"sim": cfg.sim.model_copy(update={
        "funding": "apply", "slippage": SlippageModel(bps=2.0), "taker_fee": Decimal("0.0005")})})
    event = Backtest(cfg, store).run().trades
    fast = fast_backtest(cfg, store, strict=True).trades
    assert sum(1 for t in fast if t.funding != 0) > 20  # the funding alignment is exercised
    assert_same_trades(event, fast)


def _close_and_reverse(cfg: BacktestConfig) -> BacktestConfig:
    return cfg.model_copy(update={"sim": cfg.sim.model_copy(update={"market_fill": "close"}),
                                  "execution": cfg.execution.model_copy(update={"on_opposite_signal": "reverse"})})


def test_close_fill_reversal_matches_the_event_engine(store: CandleStore) -> None:
    cfg = _close_and_reverse(preset("reference", "c_score", ["BNBUSDT"], start="2025-01-01", end="2025-01-04",
                                    params=LOOSE_C))
    fast = FastRunner(cfg, store, strict=True).result().trades
    assert any(t.exit_reason.value == "reverse" for t in fast)
    assert_same_trades(Backtest(cfg, store).run().trades, fast)


def test_fast_path_reverses_at_the_close_and_reenters_there(store: CandleStore) -> None:
    cfg = _close_and_reverse(preset("reference", "c_score", ["BNBUSDT"], start="2025-01-01", end="2025-01-04",
                                    params=LOOSE_C))
    trades = FastRunner(cfg, store, strict=True).result().trades
    reversed_ = [t for t in trades if t.exit_reason.value == "reverse"]
    assert reversed_
    for t in reversed_:
        nxt = next(u for u in trades if u.symbol == t.symbol and u.entry_time == t.exit_time)
        assert nxt.side is t.side.opposite
        assert nxt.entry_price == t.exit_price


def test_reference_preset_is_fully_modelled_and_realistic_lists_what_is_not() -> None:
    ref = fast_setup(preset("reference", "c_score", SYMBOLS), strict=True)
    assert ref.notes == ()
    assert ref.params.fee_rate == 0.0004
    assert ref.params.notional == 100.0
    assert ref.params.profile.entry_timing is EntryTiming.NEXT_OPEN
    real = fast_setup(preset("realistic", "c_score", SYMBOLS))
    assert real.params.profile.on_opposite is OppositeSignal.REVERSE
    assert real.params.profile.funding
    assert real.params.slippage_bps == real.params.exit_slippage_bps == 1.0
    text = " ".join(real.notes)
    for word in ("filters", "risk rules", "liquidation", "next open"):
        assert word in text
    with pytest.raises(ConfigError, match="risk rules"):
        fast_setup(preset("realistic", "c_score", SYMBOLS), strict=True)


def test_configs_the_kernel_cannot_express_are_refused() -> None:
    cfg = preset("reference", "c_score", SYMBOLS)
    closing = cfg.model_copy(update={"execution": cfg.execution.model_copy(update={"on_opposite_signal": "close"})})
    with pytest.raises(ConfigError, match="on_opposite_signal 'close'"):
        fast_setup(closing)
    risk = cfg.risk.model_copy(update={"sizing": SizingConfig(mode="fixed_risk", fixed_risk=FixedRiskConfig())})
    with pytest.raises(ConfigError, match="fixed_risk"):
        fast_setup(cfg.model_copy(update={"risk": risk}))


@pytest.mark.parametrize("params", [
    {}, LOOSE_C, {"signal_threshold": 3, "adx_threshold": 30, "volume_multiplier": 2.0, "atr_sl_mult": 1.0,
                  "atr_tp_mult": 4.0},
    {"signal_threshold": 2, "adx_threshold": 20, "volume_multiplier": 2.5, "atr_sl_mult": 1.5, "atr_tp_mult": 3.0},
])
def test_c_score_signals_rederived_from_cached_indicators_equal_prepare(store: CandleStore,
                                                                        params: dict[str, object]) -> None:
    runner = FastRunner(preset("reference", "c_score", ["XRPUSDT"]), store)
    runner.columns("XRPUSDT", runner.strategy("XRPUSDT", {"signal_threshold": 6}))  # cache other thresholds
    strategy = runner.strategy("XRPUSDT", params)
    cols = runner.columns("XRPUSDT", strategy)
    exact = strategy.prepare(runner.data("XRPUSDT").md)
    assert len(runner._prepared) == 1  # one indicator set served every threshold
    assert np.count_nonzero(cols.signal) > 0
    np.testing.assert_array_equal(cols.signal, exact["signal"].to_numpy())
    for name in ("stop", "target", "score"):
        np.testing.assert_array_equal(getattr(cols, name), exact[name].to_numpy())


def test_run_params_override_symbol_overrides_so_sweeps_reach_every_symbol(store: CandleStore) -> None:
    """P59: a sweep that did not reach the folds (or a symbol) changed nothing."""
    cfg = preset("reference", "c_score", ["XRPUSDT", "BTCUSDT"], params={"atr_sl_mult": 2.0},
                 symbol_params={"XRPUSDT": {"atr_sl_mult": 1.5, "adx_threshold": 20}})
    runner = FastRunner(cfg, store)
    assert runner.strategy("XRPUSDT").params.atr_sl_mult == 1.5  # type: ignore[attr-defined]
    swept = runner.strategy("XRPUSDT", {"atr_sl_mult": 1.0})
    assert swept.params.atr_sl_mult == 1.0
    assert swept.params.adx_threshold == 20
    a, b = (runner.run({"atr_sl_mult": m, **LOOSE_C}, symbols=["XRPUSDT"])[0][0].result for m in (1.0, 2.0))
    assert not np.array_equal(a.stop, b.stop)


def test_array_stats_equal_the_engine_metrics_of_the_same_trades(store: CandleStore) -> None:
    cfg = preset("realistic", "c_score", SYMBOLS, params=LOOSE_C)
    runner = FastRunner(cfg, store)
    window = (pd.Timestamp("2025-02-01", tz="UTC"), pd.Timestamp("2025-03-01", tz="UTC"))
    runs = runner.run(windows=(window,))[0]
    stats = runner.stats(runs, window)
    result = runner.result(runs, window, reasons=False)
    m = compute_metrics(result.trades, result.equity, result.initial_balance, result.timeframe)
    assert stats["trades"] == m.trades > 50
    for name in ("profit_factor", "net_pnl", "win_rate_pct", "max_drawdown_pct", "sharpe", "return_pct"):
        assert stats[name] == pytest.approx(getattr(m, name), rel=1e-9, abs=1e-9), name
    assert result.equity.index[0] == window[0] + pd.Timedelta(minutes=15)  # first bar close
    assert result.equity.index[-1] == window[1]


def test_a_window_starts_flat_with_warm_indicators_and_closes_at_its_end(store: CandleStore) -> None:
    runner = FastRunner(preset("reference", "c_score", ["ETHUSDT"], params=LOOSE_C), store)
    window = (pd.Timestamp("2025-02-10", tz="UTC"), pd.Timestamp("2025-02-20", tz="UTC"))
    (run,) = runner.run(windows=(window,))[0]
    trades = runner.trades([run])
    assert trades
    assert all(window[0] < t.entry_time and t.exit_time < window[1] for t in trades)
    # the indicators are those of the whole history: the first bars of the window can signal
    strategy = create("c_score", LOOSE_C)
    full = strategy.prepare(runner.data("ETHUSDT").md)
    lo = int(np.searchsorted(runner.data("ETHUSDT").times, window[0].value // 1_000_000))
    first = next(j for j in range(lo, lo + 500) if full["signal"].iloc[j] != 0)
    first_entry = pd.Timestamp(int(runner.data("ETHUSDT").times[first + 1]), unit="ms", tz="UTC")
    assert min(t.entry_time for t in trades) == first_entry


@pytest.mark.shared_data
def test_fast_path_matches_the_event_engine_on_14_months_of_real_data(marketlab_store: CandleStore) -> None:
    """c_score on 15m built from the marketlab 5m set (2024-12-31 → 2026-02-19): 12,912 trades."""
    cfg = preset("reference", "c_score", SYMBOLS, params=LOOSE_C)
    event = Backtest(cfg, marketlab_store).run().trades
    fast = FastRunner(cfg, marketlab_store, strict=True)
    trades = fast.trades(fast.run()[0], reasons=False)
    assert len(event) > 10_000
    assert_same_trades([replace(t, entry_reason="") for t in event], trades)
