"""Simulation profiles: named sets of semantic switches for the bar simulators.

Two engines that disagree on "what happens when a candle gaps through the stop" produce
different trade lists from the same signals. A profile names every such choice, so a run
says which semantics it used and a parity test can pin them. Presets:

- `reference`: shared/bench/REFERENCE_STRATEGY.md part 1 (reproduced by backtesting.py):
  entry at the next open, opposite signals dropped while in a position, stop first, gaps
  fill at the open, no rounding, no funding.
- `ft_compat`: part 2, what freqtrade 2026.9 does: the target is a *net* ROI (after both
  fees and accrued funding, strict `>` on the ratio rounded to 8 decimals), the stop is
  rounded to a tick inferred per calendar month from the candles (towards the entry), every
  exit price is rounded half-up to that tick, a gapped stop fills at the open only when the
  whole candle is beyond it, a gapped ROI fills at `min(max(roi, low), high)`, an opposite
  signal re-enters at the open of the candle in which the trade exited (a look-ahead), and
  funding is paid at every funding timestamp while a trade is open.
- `c41`: the seed's event-driven backtester (SPEC C41/C13): entry at the signal candle's
  close (slippage applies through FastParams), levels from the slipped entry, stop first,
  exits exactly at the level, and an opposite signal closes at the close and re-enters.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from enum import IntEnum
from typing import Any

from coinpilot.domain.errors import ConfigError
from coinpilot.exchanges.sim.fillrules import Conflict, StopGap, TargetGap


class EntryTiming(IntEnum):
    """When a signal of bar t fills."""

    NEXT_OPEN = 0  # open of bar t+1 (the reference)
    SIGNAL_CLOSE = 1  # close of bar t itself (C41: "entry = close ± slippage")


class OppositeSignal(IntEnum):
    """What an opposite entry signal does to an open position."""

    IGNORE = 0  # dropped, not queued (the reference)
    REVERSE = 1  # close at the signal bar's close, then enter the other way (C13/C41)


class TargetKind(IntEnum):
    """How the strategy's target offset is read."""

    PRICE = 0  # a price level from the entry fill (ExitLevel.price)
    NET_ROI = 1  # freqtrade minimal_roi: net profit ratio after fees and funding (PCT only)


@dataclass(frozen=True, slots=True)
class SimProfile:
    """Semantic switches shared by the compiled bar loop and the event-driven simulator.

    Fields:
        entry_timing, on_opposite: see EntryTiming / OppositeSignal.
        conflict, stop_gap, target_gap: intrabar rules (exchanges.sim.fillrules).
        target_kind: PRICE or freqtrade's NET_ROI.
        tick_rounding: infer the tick per calendar month from the candles' decimals (kept for
            a trade's life), round the stop towards the entry and every exit to the nearest tick.
        reenter_same_candle: freqtrade rule 8, an opposite pending signal re-enters at the open
            of the candle where the trade exited by stop/target (a look-ahead; ft_compat only).
        funding: apply funding at funding timestamps while a position is open.
        no_entry_last_bar: never open on a symbol's last bar (it could only be force-closed).
    """

    name: str
    entry_timing: EntryTiming = EntryTiming.NEXT_OPEN
    on_opposite: OppositeSignal = OppositeSignal.IGNORE
    conflict: Conflict = Conflict.STOP_FIRST
    stop_gap: StopGap = StopGap.AT_OPEN
    target_gap: TargetGap = TargetGap.AT_OPEN
    target_kind: TargetKind = TargetKind.PRICE
    tick_rounding: bool = False
    reenter_same_candle: bool = False
    funding: bool = False
    no_entry_last_bar: bool = True

    def with_(self, **changes: Any) -> SimProfile:
        """A copy with some switches changed (e.g. ft_compat without funding)."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ConfigError(f"unknown profile switch(es) {unknown}; known: {sorted(known)}")
        return replace(self, **changes)


REFERENCE = SimProfile(name="reference")

FT_COMPAT = SimProfile(
    name="ft_compat",
    stop_gap=StopGap.WHOLE_CANDLE,
    target_gap=TargetGap.CLAMP,
    target_kind=TargetKind.NET_ROI,
    tick_rounding=True,
    reenter_same_candle=True,
    funding=True,
)

C41 = SimProfile(
    name="c41",
    entry_timing=EntryTiming.SIGNAL_CLOSE,
    on_opposite=OppositeSignal.REVERSE,
    stop_gap=StopGap.AT_LEVEL,
    target_gap=TargetGap.AT_LEVEL,
)

PRESETS: dict[str, SimProfile] = {p.name: p for p in (REFERENCE, FT_COMPAT, C41)}


def get_profile(name: str | SimProfile) -> SimProfile:
    """The preset called `name` (a SimProfile passes through), or ConfigError listing presets."""
    if isinstance(name, SimProfile):
        return name
    key = name.strip().lower().replace("-", "_")
    try:
        return PRESETS[key]
    except KeyError:
        raise ConfigError(
            f"unknown simulation profile {name!r}; presets: {', '.join(sorted(PRESETS))}"
        ) from None
