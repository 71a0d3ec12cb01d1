"""The freqtrade-compatible profile (REFERENCE_STRATEGY.md part 2) on hand-made candles,
and its input builders: funding join, monthly tick inference, ROI trigger."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_fastpath_support import QUIET, STEP, T0, run, trades

from coinpilot.domain.errors import DataError
from coinpilot.engine.fastpath_ft import (
    FundingSchedule,
    funding_schedule,
    monthly_price_decimals,
    net_roi_trigger,
)
from coinpilot.engine.fastpath_kernel import net_roi_price, net_roi_ratio
from coinpilot.engine.profiles import FT_COMPAT, REFERENCE

FT_NOFUND = FT_COMPAT.with_(funding=False)
F = 0.0004
TICK2 = (100.0, 100.5, 99.5, 100.01)  # shows 2 decimals: the inferred tick is 0.01


def test_roi_is_a_net_ratio_and_the_exit_is_rounded_to_the_tick() -> None:
    # 4 % net of both fees sits at 100 * 1.04 * 1.0004 / 0.9996 = 104.08323...
    assert net_roi_price(1, 1.0, 100.0, 0.04, F, 0.0) == pytest.approx(104.083233, abs=1e-6)
    not_yet = run([TICK2, QUIET, (100, 104.08, 99.5, 104), QUIET], {0: 1}, profile=FT_NOFUND)
    assert trades(not_yet)[0][-1] == "end"  # high 104.08 is a 3.9968 % net ratio
    hit = run([TICK2, QUIET, (100, 104.09, 99.5, 104), QUIET], {0: 1}, profile=FT_NOFUND)
    assert trades(hit) == [(1, 1, 2, 100.0, 104.08, "tp")]  # 104.0833 rounded half-up
    reference = run([TICK2, QUIET, (100, 104.09, 99.5, 104), QUIET], {0: 1})
    assert trades(reference) == [(1, 1, 2, 100.0, 104.0, "tp")]  # a plain price level


def test_roi_gap_clamps_to_the_candle_low_not_the_open() -> None:
    result = run([TICK2, QUIET, (106, 107, 105, 106), QUIET], {0: 1}, profile=FT_NOFUND)
    assert trades(result) == [(1, 1, 2, 100.0, 105.0, "tp")]


def test_stop_is_rounded_to_the_tick_towards_the_entry() -> None:
    # entry 100.03: stop 98.0294 rounds UP to 98.03, so a low of 98.03 triggers it
    bars = [TICK2, (100.03, 100.5, 99.5, 100), (100, 100.5, 98.03, 99), QUIET]
    ft = run(bars, {0: 1}, profile=FT_NOFUND)
    assert trades(ft) == [(1, 1, 2, 100.03, 98.03, "sl")]
    assert trades(run(bars, {0: 1}))[0][-1] == "end"  # the reference stop 98.0294 is not touched


def test_stop_gap_fills_at_the_stop_unless_the_whole_candle_is_beyond() -> None:
    partly = run([TICK2, QUIET, (97, 99, 96, 98), QUIET], {0: 1}, profile=FT_NOFUND)
    assert trades(partly)[0][4] == 98.0
    wholly = run([TICK2, QUIET, (97, 97.5, 96, 97), QUIET], {0: 1}, profile=FT_NOFUND)
    assert trades(wholly)[0][4] == 97.0


def test_opposite_signal_reenters_in_the_exit_candle_rule_8() -> None:
    bars = [TICK2, QUIET, QUIET, (100, 100.5, 97, 98), QUIET, QUIET]
    ft = run(bars, {0: 1, 2: -1}, profile=FT_NOFUND)
    # the short opens at bar 3's open, before the long's stop fill in that same bar
    assert trades(ft) == [(1, 1, 3, 100.0, 98.0, "sl"), (-1, 3, 5, 100.0, 100.0, "end")]
    assert trades(run(bars, {0: 1, 2: -1})) == [(1, 1, 3, 100.0, 98.0, "sl")]
    same_side = run(bars, {0: 1, 2: 1}, profile=FT_NOFUND)
    assert same_side.n_trades == 1


def test_funding_is_paid_at_each_timestamp_while_open_and_moves_the_roi() -> None:
    # events before the entry bar, at it (inclusive), during, and after the data
    times = T0 + STEP * np.array([0, 1, 3, 10])
    schedule = FundingSchedule(times, np.array([0.1, 0.1, 0.1, 0.1]))  # rate 0.001 × mark 100
    long = run([TICK2, QUIET, QUIET, QUIET, QUIET], {0: 1}, profile=FT_COMPAT, funding=schedule)
    assert long.funding[0] == pytest.approx(-0.2)  # longs pay a positive rate
    assert long.pnl[0] == pytest.approx(-0.0004 * 100 * 2 - 0.2)
    short = run([TICK2, QUIET, QUIET, QUIET, QUIET], {0: -1}, profile=FT_COMPAT, funding=schedule)
    assert short.funding[0] == pytest.approx(0.2)
    # received funding brings the ROI price closer to the entry (a short's rises)
    assert net_roi_price(-1, 1.0, 100.0, 0.04, F, 0.2) > net_roi_price(-1, 1.0, 100.0, 0.04, F, 0.0)
    ratio = net_roi_ratio(-1, 1.0, 100.0, net_roi_price(-1, 1.0, 100.0, 0.04, F, 0.2), F, 0.2)
    assert ratio == pytest.approx(0.04, abs=1e-12)


def test_funding_schedule_joins_rates_with_the_mark_at_the_same_hour() -> None:
    hour = 3_600_000
    f_times = np.array([0, 8 * hour + 11, 16 * hour])  # a millisecond offset, and a missing mark
    rates = np.array([0.0001, -0.0002, 0.0003])
    m_times = np.arange(0, 10) * hour
    marks = np.arange(10, dtype=np.float64) + 100.0
    s = funding_schedule(f_times, rates, m_times, marks)
    assert s.times_ms.tolist() == [0, 8 * hour]
    assert s.per_unit.tolist() == [0.0001 * 100.0, -0.0002 * 108.0]
    with pytest.raises(DataError, match="differ in length"):
        funding_schedule(f_times, rates[:2], m_times, marks)
    with pytest.raises(DataError, match="increasing"):
        funding_schedule(f_times[::-1], rates, m_times, marks)


def test_tick_is_inferred_per_calendar_month() -> None:
    jan31 = 1_738_281_600_000  # 2025-01-31 00:00 UTC
    feb1 = 1_738_368_000_000
    times = np.array([jan31, jan31 + STEP, feb1, feb1 + STEP])
    opens = np.array([100.0, 100.25, 100.5, 100.125])
    flat = np.full(4, 100.0)
    assert monthly_price_decimals(opens, flat, flat, flat, times).tolist() == [2, 2, 3, 3]


def test_roi_trigger_is_the_smallest_ratio_that_rounds_above_roi() -> None:
    (t,) = net_roi_trigger(np.array([0.03]))
    assert float(f"{t:.8f}") > 0.03
    assert float(f"{math.nextafter(t, -math.inf):.8f}") <= 0.03
    assert np.isnan(net_roi_trigger(np.array([np.nan]))[0])


def test_reference_and_ft_differ_only_where_the_profile_says() -> None:
    bars = [TICK2, QUIET, QUIET, QUIET]
    assert trades(run(bars, {0: 1}, profile=REFERENCE)) == trades(run(bars, {0: 1}, profile=FT_NOFUND))
