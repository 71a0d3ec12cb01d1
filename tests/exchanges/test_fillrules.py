"""Intrabar fill rules (exchanges.sim.fillrules): one candle, one position, every rule.

Long positions use stop 98 / target 104 around an entry of 100; shorts mirror them
(stop 102 / target 96). Each test builds the candle that exercises one rule.
"""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coinpilot.exchanges.sim.fillrules import (
    NO_EXIT,
    STOP,
    TARGET,
    Conflict,
    StopGap,
    TargetGap,
    TickRounding,
    count_decimals,
    first_touched,
    resolve_bar,
    resolve_touched,
    round_to_decimals,
    stop_fill_price,
    stop_touched,
    target_fill_price,
    target_touched,
)

LONG, SHORT = 1, -1
NAN = math.nan
REF = (Conflict.STOP_FIRST, StopGap.AT_OPEN, TargetGap.AT_OPEN)
FT = (Conflict.STOP_FIRST, StopGap.WHOLE_CANDLE, TargetGap.CLAMP)
C41 = (Conflict.STOP_FIRST, StopGap.AT_LEVEL, TargetGap.AT_LEVEL)


def test_quiet_candle_touches_nothing() -> None:
    assert resolve_bar(LONG, 100, 103, 99, 101, 98, 104, *REF)[0] == NO_EXIT
    assert resolve_bar(SHORT, 100, 101, 97, 99, 102, 96, *REF)[0] == NO_EXIT


def test_touch_is_inclusive_and_nan_never_touches() -> None:
    assert stop_touched(LONG, 103, 98.0, 98.0)
    assert target_touched(LONG, 104.0, 99, 104.0)
    assert stop_touched(SHORT, 102.0, 99, 102.0)
    assert target_touched(SHORT, 101, 96.0, 96.0)
    assert not stop_touched(LONG, 200, 1, NAN)
    assert not target_touched(SHORT, 200, 1, NAN)


def test_stop_inside_the_candle_fills_at_the_stop() -> None:
    assert resolve_bar(LONG, 100, 101, 97, 99, 98, 104, *REF) == (STOP, 98)
    assert resolve_bar(SHORT, 100, 103, 99, 101, 102, 96, *REF) == (STOP, 102)


def test_target_inside_the_candle_fills_at_the_target() -> None:
    assert resolve_bar(LONG, 100, 105, 99, 104, 98, 104, *REF) == (TARGET, 104)
    assert resolve_bar(SHORT, 100, 101, 95, 96, 102, 96, *REF) == (TARGET, 96)


def test_reference_gap_through_stop_fills_at_the_open() -> None:
    assert resolve_bar(LONG, 97, 99, 96, 98, 98, 104, *REF) == (STOP, 97)
    assert resolve_bar(SHORT, 103, 104, 101, 102, 102, 96, *REF) == (STOP, 103)


def test_reference_gap_through_target_fills_at_the_open() -> None:
    assert resolve_bar(LONG, 105, 106, 104.5, 105, 98, 104, *REF) == (TARGET, 105)
    assert resolve_bar(SHORT, 95, 95.5, 94, 95, 102, 96, *REF) == (TARGET, 95)


def test_ft_stop_gap_uses_the_open_only_when_the_whole_candle_is_beyond() -> None:
    # opened below the stop but the high came back above it: freqtrade fills at the stop
    assert resolve_bar(LONG, 97, 99, 96, 98, 98, 104, *FT) == (STOP, 98)
    # the whole candle below the stop: the open
    assert resolve_bar(LONG, 97, 97.5, 96, 97, 98, 104, *FT) == (STOP, 97)
    assert resolve_bar(SHORT, 103, 104, 101, 102, 102, 96, *FT) == (STOP, 102)
    assert resolve_bar(SHORT, 103, 104, 102.5, 103, 102, 96, *FT) == (STOP, 103)


def test_ft_target_gap_clamps_the_level_into_the_candle() -> None:
    # opened above the target and the low stayed above it: max(target, low) = low
    assert resolve_bar(LONG, 106, 107, 105, 106, 98, 104, *FT) == (TARGET, 105)
    # the low went below the target: exactly the target, not the open
    assert resolve_bar(LONG, 106, 107, 103, 106, 98, 104, *FT) == (TARGET, 104)
    assert resolve_bar(SHORT, 94, 95, 93, 94, 102, 96, *FT) == (TARGET, 95)


def test_c41_fills_exactly_at_the_level_even_through_a_gap() -> None:
    assert resolve_bar(LONG, 97, 97.5, 96, 97, 98, 104, *C41) == (STOP, 98)
    assert resolve_bar(LONG, 106, 107, 105, 106, 98, 104, *C41) == (TARGET, 104)


def test_both_touched_stop_first_is_the_pessimistic_default() -> None:
    assert resolve_bar(LONG, 100, 105, 97, 104, 98, 104, *REF) == (STOP, 98)
    assert resolve_bar(SHORT, 100, 103, 95, 96, 102, 96, *REF) == (STOP, 102)


def test_both_touched_target_first() -> None:
    rules = (Conflict.TARGET_FIRST, StopGap.AT_OPEN, TargetGap.AT_OPEN)
    assert resolve_bar(LONG, 100, 105, 97, 104, 98, 104, *rules) == (TARGET, 104)


def test_both_touched_bar_path_follows_the_candle_colour() -> None:
    rules = (Conflict.BAR_PATH, StopGap.AT_OPEN, TargetGap.AT_OPEN)
    # rising candle: open→low→high→close, the long's stop (below) comes first
    assert resolve_bar(LONG, 100, 105, 97, 104, 98, 104, *rules) == (STOP, 98)
    assert resolve_bar(SHORT, 100, 103, 95, 101, 102, 96, *rules) == (TARGET, 96)
    # falling candle: open→high→low→close, the long's target (above) comes first
    assert resolve_bar(LONG, 100, 105, 97, 99, 98, 104, *rules) == (TARGET, 104)
    assert resolve_bar(SHORT, 100, 103, 95, 99, 102, 96, *rules) == (STOP, 102)
    # flat candle: pessimistic
    assert resolve_bar(LONG, 100, 105, 97, 100, 98, 104, *rules) == (STOP, 98)


def test_bar_path_a_level_crossed_at_the_open_comes_first() -> None:
    rules = (Conflict.BAR_PATH, StopGap.AT_OPEN, TargetGap.AT_OPEN)
    # falling candle would pick the target, but the open is already below the stop
    assert resolve_bar(LONG, 97, 105, 96, 96.5, 98, 104, *rules) == (STOP, 97)
    # rising candle would pick the stop, but the open is already above the target
    assert resolve_bar(LONG, 105, 106, 97, 105.5, 98, 104, *rules) == (TARGET, 105)


def test_resolve_touched_lets_the_caller_decide_the_touch() -> None:
    # freqtrade's ROI decides target_hit from a profit ratio, not a price comparison
    assert resolve_touched(LONG, 100, 103, 99, 101, 98, 102.5, False, True, *FT) == (TARGET, 102.5)
    assert resolve_touched(LONG, 100, 103, 99, 101, 98, 102.5, False, False, *FT)[0] == NO_EXIT
    assert first_touched(LONG, 100, 101, 98, 104, True, True, Conflict.STOP_FIRST) == STOP


def test_single_fill_price_functions_match_resolve() -> None:
    assert stop_fill_price(LONG, 97, 99, 96, 98, StopGap.AT_OPEN) == 97
    assert stop_fill_price(LONG, 97, 99, 96, 98, StopGap.WHOLE_CANDLE) == 98
    assert target_fill_price(SHORT, 94, 95, 93, 96, TargetGap.CLAMP) == 95
    assert target_fill_price(SHORT, 94, 95, 93, 96, TargetGap.AT_OPEN) == 94


# ---- tick rounding on the decimal repr ----------------------------------------------------

def test_round_to_decimals_sees_the_float_below_the_grid() -> None:
    x = 106120 * 1.015  # 107711.79999999999, not on the 0.1 grid
    assert repr(x) == "107711.79999999999"
    assert round_to_decimals(x, 1, TickRounding.DOWN) == 107711.7
    assert round_to_decimals(x, 1, TickRounding.UP) == 107711.8
    assert round_to_decimals(x, 1, TickRounding.HALF_UP) == 107711.8


def test_round_to_decimals_keeps_values_on_the_grid_and_rounds_halves_up() -> None:
    assert round_to_decimals(727.35, 2, TickRounding.UP) == 727.35
    assert round_to_decimals(727.35, 2, TickRounding.DOWN) == 727.35
    assert round_to_decimals(0.125, 2, TickRounding.HALF_UP) == 0.13  # exact half: up
    assert round_to_decimals(2.675, 2, TickRounding.HALF_UP) == 2.68  # repr 2.675, binary below


def test_count_decimals_is_the_repr_length() -> None:
    assert [count_decimals(x) for x in (92759.3, 1.0, 0.08841, 3.5533, 100.0)] == [1, 0, 5, 4, 0]


@settings(max_examples=400, deadline=None)
@given(
    st.integers(min_value=1, max_value=10**9),
    st.integers(min_value=0, max_value=4),
    st.sampled_from([1.015, 0.985, 1.03, 0.97, 1.0308243, 0.9692]),
    st.integers(min_value=0, max_value=5),
)
def test_round_to_decimals_equals_decimal_quantize_of_repr(
    mantissa: int, exp: int, factor: float, decimals: int,
) -> None:
    x = (mantissa / 10**exp) * factor
    exact = Decimal(repr(x))
    q = Decimal(1).scaleb(-decimals)
    for mode, rounding in ((TickRounding.HALF_UP, ROUND_HALF_UP), (TickRounding.UP, ROUND_CEILING),
                           (TickRounding.DOWN, ROUND_FLOOR)):
        assert round_to_decimals(x, decimals, mode) == float(exact.quantize(q, rounding=rounding))


@pytest.mark.parametrize("x", [0.1, 1e-5, 12345.6789, 0.30000000000000004])
def test_count_decimals_matches_repr(x: float) -> None:
    exponent = Decimal(repr(x)).normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    assert count_decimals(x) == min(max(-exponent, 0), 12)
