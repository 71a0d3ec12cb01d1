"""The intrabar fill rules (`exchanges.sim.fillrules`) compiled with numba for the fast path.

fillrules is plain Python so that the event engine, which calls a rule per triggered order,
never pays numba's import (~0.2 s and ~55 MB per process). This module compiles the very
same code objects: each function is rebuilt over a copy of fillrules' globals in which the
other rules are the compiled versions, so a compiled rule calling another calls compiled
code. There is no second implementation to drift; tests/engine/test_fastpath_rules.py checks
the two sides agree on random candles.
"""

from __future__ import annotations

import types
from typing import Any

from numba import njit

from coinpilot.exchanges.sim import fillrules

_RULES = (
    "stop_touched", "target_touched", "stop_fill_price", "target_fill_price", "first_touched",
    "resolve_touched", "resolve_bar", "count_decimals", "round_to_decimals",
)


def _compile() -> dict[str, Any]:
    namespace = dict(vars(fillrules))  # constants and enums the rules read
    for name in _RULES:
        fn = getattr(fillrules, name)
        twin = types.FunctionType(fn.__code__, namespace, fn.__name__, fn.__defaults__, fn.__closure__)
        twin.__qualname__, twin.__doc__ = fn.__qualname__, fn.__doc__
        namespace[name] = njit(cache=True)(twin)  # compiled lazily, at the first call
    return {name: namespace[name] for name in _RULES}


_compiled = _compile()
stop_touched = _compiled["stop_touched"]
target_touched = _compiled["target_touched"]
stop_fill_price = _compiled["stop_fill_price"]
target_fill_price = _compiled["target_fill_price"]
first_touched = _compiled["first_touched"]
resolve_touched = _compiled["resolve_touched"]
resolve_bar = _compiled["resolve_bar"]
count_decimals = _compiled["count_decimals"]
round_to_decimals = _compiled["round_to_decimals"]
STOP, TARGET, NO_EXIT = fillrules.STOP, fillrules.TARGET, fillrules.NO_EXIT

__all__ = [
    "NO_EXIT", "STOP", "TARGET", "count_decimals", "first_touched", "resolve_bar", "resolve_touched",
    "round_to_decimals", "stop_fill_price", "stop_touched", "target_fill_price", "target_touched",
]
