"""Halt periods: when a halting rule stopped entries, for how long, and what it refused.

Why a record of its own: a halt changes a backtest's result more than any parameter (a kill
switch that never lifts can idle a strategy for most of the period), so the summary, the
report and the validator must show each one where the result is, not only as rejected-signal
rows. The risk manager opens a period when a rule trips and closes it when the rule lifts
(its reset policy, the UTC day roll, or an operator's reset); `end` None means it lasted to
the end of the run.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(slots=True)
class HaltPeriod:
    """One halt: `rule` (a risk.types.Rule value), `key` the symbol, 'strategy|symbol' or
    'account' it applies to, `start`/`end` in UTC (`end` None: until the run ended), `reason`
    as the rule gave it, `refused` the entry signals it refused while on."""

    rule: str
    key: str
    start: pd.Timestamp
    end: pd.Timestamp | None
    reason: str
    refused: int = 0

    def duration(self, run_end: pd.Timestamp) -> pd.Timedelta:
        """How long entries were stopped, counting an open halt up to `run_end`."""
        return (self.end if self.end is not None else run_end) - self.start


HALT_COLUMNS = ("rule", "key", "start", "end", "reason", "refused")
