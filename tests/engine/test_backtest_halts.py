"""A backtest carries its halts (result, halts.csv, validator) and sizes from its balance."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from functools import cache
from pathlib import Path

from coinpilot.data.store import CandleStore, sample_root
from coinpilot.engine.backtest import Backtest, BacktestConfig
from coinpilot.engine.presets import preset
from coinpilot.engine.results import BacktestResult, load_results, write_results
from coinpilot.exchanges.binance.rules import bundled_catalog

SYMBOLS = ["BTCUSDT", "XRPUSDT", "DOGEUSDT"]


def _run(cfg: BacktestConfig) -> BacktestResult:
    return Backtest(cfg, CandleStore(sample_root())).run()


def _with_balance(cfg: BacktestConfig, balance: str) -> BacktestConfig:
    return cfg.model_copy(update={"sim": cfg.sim.model_copy(update={"initial_balance": Decimal(balance)})})


@cache
def _realistic() -> BacktestResult:
    return _run(preset("realistic", "ref_ema_cross", SYMBOLS, end="2025-02-15"))


def _manual_halts() -> BacktestConfig:
    cfg = preset("realistic", "ref_ema_cross", SYMBOLS, end="2025-02-15")
    risk = cfg.risk.model_copy(update={
        "kill_switch": cfg.risk.kill_switch.model_copy(update={"reset_after": "manual"}),
        "losses": cfg.risk.losses.model_copy(update={"consecutive_reset_after": "manual"}),
    })
    return cfg.model_copy(update={"risk": risk})


def test_realistic_halts_lift_inside_the_run_and_are_carried_into_the_result() -> None:
    result = _realistic()
    assert result.halts, "the sample trips the kill switch / streak halt of ref_ema_cross"
    assert {h.rule for h in result.halts} <= {"kill_switch", "consecutive_losses"}
    lifted = [h for h in result.halts if h.end is not None]
    assert lifted
    assert all(h.end - h.start == h.duration(h.end) for h in lifted)
    assert any("resumes at" in h.reason for h in result.halts)
    # every refusal by a halting rule is counted by its halt
    refused = Counter(result.rejections["rule"])
    for rule in ("kill_switch", "consecutive_losses"):
        assert sum(h.refused for h in result.halts if h.rule == rule) == refused[rule]


def test_halts_csv_round_trips(tmp_path: Path) -> None:
    result = _realistic()
    paths = write_results(result, tmp_path / "run", report=False)
    assert paths.halts.is_file()
    assert load_results(paths.directory).halts == result.halts


def test_halts_that_never_lift_make_the_validation_warn() -> None:
    result = _run(_manual_halts())
    assert any(h.end is None for h in result.halts)
    assert result.validation is not None
    check = next(c for c in result.validation.checks if c.name == "halts_leave_time_to_trade")
    assert not check.passed
    assert "consecutive_losses" in check.detail
    assert result.validation.status.value != "PASS"


def test_a_small_balance_trades_where_the_minimums_allow_and_reports_the_rest() -> None:
    result = _run(_with_balance(preset("realistic", "ref_ema_cross", SYMBOLS, end="2025-01-20"), "100"))
    assert result.trades, "10 USDT positions clear XRP's and DOGE's 5 USDT minimum notional"
    assert {t.symbol for t in result.trades} <= {"XRPUSDT", "DOGEUSDT"}
    assert {"min_notional", "quantity_filter"} & set(result.rejections["rule"])  # BTC: 100 USDT minimum


def test_a_huge_balance_is_sized_into_the_venue_limits_not_like_a_small_one() -> None:
    cfg = preset("realistic", "ref_ema_cross", SYMBOLS, end="2025-01-20")
    small, huge = _run(cfg), _run(_with_balance(cfg, "1e15"))
    assert max(t.qty * t.entry_price for t in huge.trades) > 1000 * max(t.qty * t.entry_price for t in small.trades)
    catalog = bundled_catalog()
    for t in huge.trades:  # capped at the venue's largest market order, never beyond
        assert t.qty <= catalog.get("binance", "futures", t.symbol).filters.lot_for(market=True).max_qty
