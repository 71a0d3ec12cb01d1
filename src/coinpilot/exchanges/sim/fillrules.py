"""Intrabar fill rules: what a stop and a take-profit do inside ONE candle.

This module is the single implementation of those rules. The compiled bar loop
(`engine.fastpath`) and the event-driven SimExchange both call it, so the two paths cannot
drift apart. The functions here are plain Python (the event engine calls them bar by bar and
never loads numba); `engine.fastpath_rules` compiles these very code objects with numba for the
compiled loop. Arguments are plain ints and floats, and the code keeps to what numba compiles,
so the API is the same from both sides.

A candle only tells us open, high, low and close, never the order in which high and low were
reached. The rules below make that assumption explicit:

- A level is *touched* when the candle's range reaches it, inclusively
  (long stop: `low <= stop`; long target: `high >= target`; shorts mirrored). A NaN level is
  never touched.
- When both levels are touched in the same candle, `Conflict` decides:
  STOP_FIRST (pessimistic, the reference), TARGET_FIRST (optimistic), or BAR_PATH. BAR_PATH
  assumes the price path open→low→high→close for a rising candle (close > open) and
  open→high→low→close for a falling one, and picks the level that path meets first; a level
  already crossed at the open is met first of all; a flat candle (close == open) falls back
  to the stop (pessimistic).
- A gap is an open already beyond a level. `StopGap`/`TargetGap` say where that fills:
  AT_OPEN (the reference: a market order cannot fill better than the first traded price),
  WHOLE_CANDLE (freqtrade: the open only when the whole candle is beyond the stop, otherwise
  the stop price itself, which is optimistic), CLAMP (freqtrade's ROI: the level clamped into
  [low, high]) and AT_LEVEL (the C41 backtester: always exactly at the level).

Sides are +1 (long) and −1 (short). Event codes: NO_EXIT 0, STOP 1, TARGET 2.

The tick helpers round a float price the way Python's `Decimal(repr(x)).quantize(...)` would
(freqtrade-compatible exit prices), without leaving compiled code.
"""

from __future__ import annotations

import math
from enum import IntEnum

NO_EXIT = 0
STOP = 1
TARGET = 2


class Conflict(IntEnum):
    """Which level wins when a candle touches both the stop and the target."""

    STOP_FIRST = 0
    TARGET_FIRST = 1
    BAR_PATH = 2


class StopGap(IntEnum):
    """Fill price of a stop whose candle opened beyond it."""

    AT_OPEN = 0
    WHOLE_CANDLE = 1
    AT_LEVEL = 2


class TargetGap(IntEnum):
    """Fill price of a take-profit whose candle opened beyond it."""

    AT_OPEN = 0
    CLAMP = 1
    AT_LEVEL = 2


class TickRounding(IntEnum):
    """Direction of `round_to_decimals` (on the decimal repr of the float)."""

    HALF_UP = 0  # nearest, ties away from zero (prices are positive)
    UP = 1  # towards +inf
    DOWN = 2  # towards −inf


def stop_touched(side: int, high: float, low: float, stop: float) -> bool:
    """True when the candle's range reaches the stop (inclusive); NaN never touches."""
    if side > 0:
        return low <= stop
    return high >= stop


def target_touched(side: int, high: float, low: float, target: float) -> bool:
    """True when the candle's range reaches the target (inclusive); NaN never touches."""
    if side > 0:
        return high >= target
    return low <= target


def stop_fill_price(side: int, open_: float, high: float, low: float, stop: float, gap: int) -> float:
    """Fill of a touched stop. The gap rule only matters when the open is beyond the stop."""
    if gap == 2:  # AT_LEVEL
        return stop
    if gap == 1:  # WHOLE_CANDLE: the open only when even the best price of the bar is beyond
        if side > 0:
            return open_ if stop > high else stop
        return open_ if stop < low else stop
    if side > 0:  # AT_OPEN
        return open_ if open_ <= stop else stop
    return open_ if open_ >= stop else stop


def target_fill_price(side: int, open_: float, high: float, low: float, target: float, gap: int) -> float:
    """Fill of a touched target. CLAMP keeps the level inside the candle's [low, high]."""
    if gap == 2:  # AT_LEVEL
        return target
    if gap == 1:  # CLAMP
        return min(max(target, low), high)
    if side > 0:  # AT_OPEN
        return open_ if open_ >= target else target
    return open_ if open_ <= target else target


def first_touched(
    side: int, open_: float, close: float, stop: float, target: float,
    stop_hit: bool, target_hit: bool, conflict: int,
) -> int:
    """Which touched level fills (STOP, TARGET or NO_EXIT) under the conflict rule."""
    if not stop_hit and not target_hit:
        return NO_EXIT
    if stop_hit and not target_hit:
        return STOP
    if target_hit and not stop_hit:
        return TARGET
    if conflict == 1:  # TARGET_FIRST
        return TARGET
    if conflict == 2:  # BAR_PATH
        # a level already crossed at the open is met before anything else
        if (side > 0 and open_ <= stop) or (side < 0 and open_ >= stop):
            return STOP
        if (side > 0 and open_ >= target) or (side < 0 and open_ <= target):
            return TARGET
        if close > open_:  # open→low→high→close: the low comes first
            return STOP if side > 0 else TARGET
        if close < open_:  # open→high→low→close: the high comes first
            return TARGET if side > 0 else STOP
    return STOP


def resolve_touched(
    side: int, open_: float, high: float, low: float, close: float, stop: float, target: float,
    stop_hit: bool, target_hit: bool, conflict: int, stop_gap: int, target_gap: int,
) -> tuple[int, float]:
    """(event, fill price) when the caller decided the touches itself.

    freqtrade's ROI is a profit-ratio test, not a price test, so ft-compat decides
    `target_hit` from the ratio and lets this function apply the shared conflict and gap rules.
    """
    event = first_touched(side, open_, close, stop, target, stop_hit, target_hit, conflict)
    if event == STOP:
        return STOP, stop_fill_price(side, open_, high, low, stop, stop_gap)
    if event == TARGET:
        return TARGET, target_fill_price(side, open_, high, low, target, target_gap)
    return NO_EXIT, math.nan


def resolve_bar(
    side: int, open_: float, high: float, low: float, close: float, stop: float, target: float,
    conflict: int, stop_gap: int, target_gap: int,
) -> tuple[int, float]:
    """(event, fill price) for a position with a stop and/or target (NaN: none) in one candle."""
    return resolve_touched(
        side, open_, high, low, close, stop, target,
        stop_touched(side, high, low, stop), target_touched(side, high, low, target),
        conflict, stop_gap, target_gap,
    )


def count_decimals(x: float) -> int:
    """Decimals of the shortest repr of x (what `repr` would print), capped at 12.

    A d-decimal representation exists when the float nearest to round(x·10^d)/10^d is x
    itself; both operands are exact integers below 2^53 for prices, so the division is
    correctly rounded and the test exact.
    """
    if not math.isfinite(x):
        return 0
    scale = 1.0
    for d in range(13):
        n = round(x * scale)
        if n / scale == x:
            return d
        scale *= 10.0
    return 12


def round_to_decimals(x: float, decimals: int, mode: int) -> float:
    """x rounded to `decimals` places as Decimal(repr(x)).quantize would do it.

    Floats such as 106120*1.015 = 107711.79999999999 are not on the 0.1 grid even though
    they print close to it; decimal rounding of the repr sees that (ROUND_DOWN gives
    107711.7), whereas float tricks like floor(x*10)/10 would see 1077118.0 and give 107711.8.
    The bracketing grid points are found in float, then compared exactly: the nearest float to
    an exact grid point k/10^d is fl(k/10^d), and no other float lies between the two.
    """
    if not math.isfinite(x):
        return x
    scale = 10.0**decimals
    k = float(round(x * scale))
    on_grid = k / scale
    if on_grid == x:
        return x
    lower = k - 1.0 if x < on_grid else k  # x lies strictly between lower and lower+1 (grid units)
    if mode == 1:  # UP
        return (lower + 1.0) / scale
    if mode == 2:  # DOWN
        return lower / scale
    midpoint = (2.0 * lower + 1.0) / (2.0 * scale)  # nearest float to the exact half-way point
    return (lower + 1.0) / scale if x >= midpoint else lower / scale
