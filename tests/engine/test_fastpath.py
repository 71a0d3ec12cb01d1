"""The compiled bar loop (engine.fastpath) on hand-made candles: one test per rule.

Entries at 100 with stop 2 % and target 4 % (levels 98 / 104 for a long, 102 / 96 for a
short) unless a test says otherwise; QUIET bars touch neither level.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from test_fastpath_support import QUIET, T0, run, trades

from coinpilot.domain.enums import LevelMode, Side
from coinpilot.domain.errors import ConfigError, DataError
from coinpilot.domain.trade import ExitReason
from coinpilot.engine.fastpath import FastParams, Sizing, simulate, to_trades, trades_table
from coinpilot.engine.profiles import C41, FT_COMPAT, REFERENCE, OppositeSignal, get_profile

STOP_BAR = (100.0, 100.5, 97.0, 98.0)


def test_signal_enters_at_next_open_and_the_entry_bar_is_checked() -> None:
    result = run([QUIET, STOP_BAR, QUIET], {0: 1})
    assert trades(result) == [(1, 1, 1, 100.0, 98.0, "sl")]
    assert result.qty[0] == 1.0  # 100 USDT notional at 100
    assert result.pnl[0] == pytest.approx(1 * (98 - 100) - 0.0004 * 100 - 0.0004 * 98, abs=1e-12)
    assert result.fees[0] == pytest.approx(0.0004 * 100 + 0.0004 * 98, abs=1e-12)


def test_short_levels_mirror_the_long() -> None:
    result = run([QUIET, QUIET, (100, 102.5, 99.5, 102)], {0: -1}, )
    assert trades(result) == [(-1, 1, 2, 100.0, 102.0, "sl")]
    result = run([QUIET, QUIET, (100, 100.5, 95, 96), QUIET], {0: -1})
    assert trades(result) == [(-1, 1, 2, 100.0, 96.0, "tp")]


def test_gap_through_stop_fills_at_the_open_in_the_reference() -> None:
    result = run([QUIET, QUIET, (97, 99, 96, 98), QUIET], {0: 1})
    assert trades(result) == [(1, 1, 2, 100.0, 97.0, "sl")]


def test_gap_through_target_fills_at_the_open_in_the_reference() -> None:
    result = run([QUIET, QUIET, (105, 106, 104.5, 105), QUIET], {0: 1})
    assert trades(result) == [(1, 1, 2, 100.0, 105.0, "tp")]


def test_both_levels_in_one_candle_stop_wins() -> None:
    result = run([QUIET, QUIET, (100, 105, 97, 104), QUIET], {0: 1})
    assert trades(result) == [(1, 1, 2, 100.0, 98.0, "sl")]


def test_end_of_data_closes_at_the_last_bars_open() -> None:
    result = run([QUIET, QUIET, QUIET, (101, 101.5, 100.5, 101.2)], {0: 1})
    assert trades(result) == [(1, 1, 3, 100.0, 101.0, "end")]


def test_no_entry_on_the_last_bar() -> None:
    assert run([QUIET] * 3, {1: 1}).n_trades == 0
    allowed = run([QUIET] * 3, {1: 1}, profile=REFERENCE.with_(no_entry_last_bar=False))
    assert trades(allowed) == [(1, 2, 2, 100.0, 100.0, "end")]


def test_signal_while_in_a_position_is_dropped_not_queued() -> None:
    result = run([QUIET, QUIET, QUIET, QUIET, STOP_BAR, QUIET, QUIET], {0: 1, 2: -1})
    assert trades(result) == [(1, 1, 4, 100.0, 98.0, "sl")]


def test_signal_on_the_exit_bar_enters_at_the_next_open() -> None:
    result = run([QUIET, QUIET, QUIET, QUIET, STOP_BAR, QUIET, QUIET], {0: 1, 4: -1})
    assert trades(result) == [(1, 1, 4, 100.0, 98.0, "sl"), (-1, 5, 6, 100.0, 100.0, "end")]


def test_opposite_signal_reverses_at_the_close_when_asked() -> None:
    bars = [QUIET, QUIET, (100, 100.5, 99.5, 99.8), QUIET, QUIET]
    result = run(bars, {0: 1, 2: -1}, profile=REFERENCE.with_(on_opposite=OppositeSignal.REVERSE))
    assert trades(result) == [(1, 1, 2, 100.0, 99.8, "reverse"), (-1, 3, 4, 100.0, 100.0, "end")]
    assert result.exit_phase[0] == 1  # at the close of bar 2
    same_side = run(bars, {0: 1, 2: 1}, profile=REFERENCE.with_(on_opposite=OppositeSignal.REVERSE))
    assert trades(same_side) == [(1, 1, 4, 100.0, 100.0, "end")]


def test_time_limit_closes_at_the_open_after_n_bars() -> None:
    result = run([QUIET] * 6, {0: 1}, time_limit_bars=2)
    assert trades(result) == [(1, 1, 3, 100.0, 100.0, "time")]


def test_exit_signal_closes_at_the_next_open() -> None:
    result = run([QUIET] * 6, {0: 1}, exits={2: 1})
    assert trades(result) == [(1, 1, 3, 100.0, 100.0, "signal")]
    # an exit for the other side, or on a bar that also has an entry signal, does nothing
    assert trades(run([QUIET] * 6, {0: 1}, exits={2: -1}))[0][-1] == "end"
    assert trades(run([QUIET] * 6, {0: 1, 2: 1}, exits={2: 1}))[0][-1] == "end"


def test_c41_enters_at_the_signal_close_with_slippage_and_exits_at_the_level() -> None:
    # the signal bar's own low (97) came before the entry: only bars after it are checked
    bars = [(100, 100.5, 97, 100), QUIET, (97, 97.5, 96, 97), QUIET]
    result = run(bars, {0: 1}, profile=C41, slippage_bps=1.0)
    entry = 100 * (1 + 0.0001)
    assert trades(result) == [(1, 0, 2, entry, entry * (1 - 0.02), "sl")]
    assert result.entry_phase[0] == 1


def test_c41_reverses_at_the_close_and_reenters_there() -> None:
    result = run([QUIET] * 5, {0: 1, 2: -1}, profile=C41, slippage_bps=1.0)
    assert trades(result) == [
        (1, 0, 2, 100 * 1.0001, 100.0, "reverse"),
        (-1, 2, 4, 100 * (1 - 0.0001), 100.0, "end"),
    ]


def test_exit_slippage_is_adverse() -> None:
    result = run([QUIET, STOP_BAR, QUIET], {0: 1}, exit_slippage_bps=10.0)
    assert result.exit_price[0] == pytest.approx(98 * (1 - 0.001), abs=1e-12)
    short = run([QUIET, QUIET, QUIET], {0: -1}, slippage_bps=10.0)
    assert short.entry_price[0] == pytest.approx(100 * (1 - 0.001), abs=1e-12)


def test_equity_fraction_sizing_compounds_realised_pnl() -> None:
    bars = [QUIET, STOP_BAR, QUIET, QUIET]
    result = run(bars, {0: 1, 1: 1}, sizing=Sizing.EQUITY_FRACTION, initial_equity=1000.0,
                 equity_fraction=0.5, fee_rate=0.0)
    assert result.qty.tolist() == pytest.approx([5.0, 990 * 0.5 / 100])


@pytest.mark.parametrize(("mode", "stop", "target"), [(LevelMode.DIST, 2.0, 4.0), (LevelMode.PRICE, 98.0, 104.0)])
def test_dist_and_price_levels(mode: LevelMode, stop: float, target: float) -> None:
    result = run([QUIET, QUIET, (100, 104.5, 99, 104), QUIET], {0: 1}, level_mode=mode, stop=stop, target=target)
    assert trades(result) == [(1, 1, 2, 100.0, 104.0, "tp")]
    assert (result.stop[0], result.target[0]) == (98.0, 104.0)


def test_nan_levels_mean_no_stop_and_no_target() -> None:
    result = run([QUIET, STOP_BAR, (100, 110, 90, 100), QUIET], {0: 1}, stop=np.nan, target=np.nan)
    assert trades(result) == [(1, 1, 3, 100.0, 100.0, "end")]


def test_bad_inputs_raise_typed_errors() -> None:
    a = np.full(3, 100.0)
    sig = np.zeros(3, dtype=np.int8)
    params = FastParams()
    with pytest.raises(DataError, match="low has shape"):
        simulate(a, a, a[:2], a, np.arange(3), sig, sig, a, a, LevelMode.PCT, params)
    with pytest.raises(ConfigError, match="net ROI"):
        simulate(a, a, a, a, np.arange(3), sig, sig, a, a, LevelMode.DIST, FastParams(profile=FT_COMPAT))
    with pytest.raises(ConfigError, match="FundingSchedule"):
        simulate(a, a, a, a, np.arange(3), sig, sig, a, a, LevelMode.PCT, FastParams(profile=FT_COMPAT))
    with pytest.raises(ConfigError, match="fee_rate"):
        FastParams(fee_rate=-0.1)
    with pytest.raises(ConfigError, match="time_limit_bars"):
        FastParams(time_limit_bars=0)
    with pytest.raises(ConfigError, match="presets"):
        get_profile("backtrader")
    with pytest.raises(ConfigError, match="unknown profile switch"):
        REFERENCE.with_(stop_first=True)
    assert get_profile("ft-compat") is FT_COMPAT


def test_trades_table_uses_the_benchmark_csv_format() -> None:
    table = trades_table(run([QUIET, STOP_BAR, QUIET], {0: 1}))
    assert list(table.columns) == [
        "pair", "direction", "open_time", "open_price", "close_time", "close_price",
        "exit_reason", "profit_abs", "profit_ratio", "funding_fees", "amount",
    ]
    row = table.iloc[0]
    assert (row["pair"], row["direction"], row["exit_reason"]) == ("TEST", "long", "sl")
    assert row["open_time"] == row["close_time"] == "2025-01-01 00:05:00"
    assert row["profit_ratio"] == pytest.approx(row["profit_abs"] / 100)


def test_to_trades_builds_the_domain_journal() -> None:
    (trade,) = to_trades(run([QUIET, STOP_BAR, QUIET], {0: 1}), strategy="ref_ema_cross")
    assert trade.side is Side.LONG
    assert trade.exit_reason is ExitReason.STOP_LOSS
    assert trade.entry_time == pd.Timestamp(T0 + 300_000, unit="ms", tz="UTC")
    assert (trade.entry_price, trade.exit_price, trade.qty) == (Decimal("100.0"), Decimal("98.0"), Decimal("1.0"))
    assert trade.gross_pnl == Decimal("-2.0")
    assert trade.net_pnl == pytest.approx(trade.gross_pnl - trade.fees, abs=Decimal("1e-12"))
