"""Reset policies: how a halting rule ends, the same way in a backtest and in operation.

Why a policy per rule: a halt that only an operator can lift never ends inside a backtest, so
a strategy halted in its first month is idle for the rest of the period while its summary
still reads like a full test. A bot operator does not leave a symbol off for good after a bad
streak either: they cool off, clear the streak and resume. So each halting rule says how it
ends, as a duration (`30m`, `24h`, `7d`: the halt lifts that long after it tripped, with the
rule's history cleared as the manual reset clears it) or `manual` (it lasts until an operator
resets it: in a backtest, for the rest of the run). The risk manager applies the durations
from its clock (`RiskManager.on_time`).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Annotated

import pandas as pd
from pydantic import AfterValidator

MANUAL = "manual"
_DURATION = re.compile(r"^(\d+)\s*(m|h|d)$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def _check_policy(value: str) -> str:
    text = value.strip().lower()
    if text == MANUAL:
        return text
    match = _DURATION.match(text)
    if match is None or int(match.group(1)) == 0:
        raise ValueError(
            f"{value!r} is not a reset policy: write a positive duration such as '30m', '24h' "
            "or '7d', or 'manual' (until an operator resets it; in a backtest, the rest of the run)"
        )
    return f"{int(match.group(1))}{match.group(2)}"


ResetPolicy = Annotated[str, AfterValidator(_check_policy)]
"""A reset policy as written in the config: '<n>m', '<n>h', '<n>d' or 'manual'."""


@lru_cache(maxsize=32)
def reset_delay(policy: str) -> pd.Timedelta | None:
    """How long after tripping the halt lifts; None for 'manual'."""
    text = _check_policy(policy)
    if text == MANUAL:
        return None
    match = _DURATION.match(text)
    assert match is not None  # _check_policy accepted it
    return pd.Timedelta(timedelta(**{_UNITS[match.group(2)]: int(match.group(1))}))


def resume_time(since: datetime | pd.Timestamp | None, policy: str) -> pd.Timestamp | None:
    """When a halt that tripped at `since` lifts under `policy`; None when it never does alone."""
    delay = reset_delay(policy)
    if delay is None or since is None:
        return None
    start = pd.Timestamp(since)
    start = start.tz_localize("UTC") if start.tzinfo is None else start.tz_convert("UTC")
    return start + delay


def utc_text(t: datetime | pd.Timestamp) -> str:
    """'2025-01-28 14:05 UTC': the form every halt reason uses."""
    stamp = pd.Timestamp(t)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.strftime("%Y-%m-%d %H:%M UTC")


def lift_text(
    since: datetime | pd.Timestamp | None, policy: str, field: str, *, live: bool, operator_hint: str
) -> str:
    """What lifts a halt under its policy, for a refusal reason.

    `field` is the config path of the policy (e.g. 'kill_switch.reset_after'); `operator_hint`
    (an environment variable, a reset call) is only shown where it applies: a manual policy
    outside a backtest.
    """
    resume = resume_time(since, policy)
    if resume is not None:
        return f"resumes at {utc_text(resume)} ({field} {policy})"
    if not live:
        return f"stays on for the rest of the backtest ({field} {policy})"
    return f"stays on until an operator resets it ({field} {policy}): {operator_hint}"
