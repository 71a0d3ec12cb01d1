"""The compiled fill rules (engine.fastpath_rules) and the plain ones the event engine calls
(exchanges.sim.fillrules) are one code: they must agree on any candle."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from coinpilot.engine import fastpath_rules as compiled
from coinpilot.exchanges.sim import fillrules as plain

prices = st.floats(min_value=1.0, max_value=200.0, allow_nan=False)
levels = st.one_of(prices, st.just(math.nan))


@settings(max_examples=300, deadline=None)
@given(side=st.sampled_from([1, -1]), o=prices, a=prices, b=prices, c=prices, stop=levels, target=levels,
       conflict=st.sampled_from(list(plain.Conflict)), stop_gap=st.sampled_from(list(plain.StopGap)),
       target_gap=st.sampled_from(list(plain.TargetGap)))
def test_resolve_bar_same_in_python_and_numba(side: int, o: float, a: float, b: float, c: float, stop: float,
                                               target: float, conflict: int, stop_gap: int, target_gap: int) -> None:
    high, low = max(o, a, b, c), min(o, a, b, c)
    args = (side, o, high, low, c, stop, target, int(conflict), int(stop_gap), int(target_gap))
    event, price = compiled.resolve_bar(*args)
    want_event, want_price = plain.resolve_bar(*args)
    assert event == want_event
    assert price == want_price or (math.isnan(price) and math.isnan(want_price))


@settings(max_examples=300, deadline=None)
@given(x=st.floats(min_value=1e-6, max_value=1e6, allow_nan=False), decimals=st.integers(0, 8),
       mode=st.sampled_from(list(plain.TickRounding)))
def test_tick_rounding_same_in_python_and_numba(x: float, decimals: int, mode: int) -> None:
    assert compiled.count_decimals(x) == plain.count_decimals(x)
    got, want = compiled.round_to_decimals(x, decimals, int(mode)), plain.round_to_decimals(x, decimals, int(mode))
    assert got == want


def test_the_compiled_rules_are_numba_dispatchers_over_the_same_code() -> None:
    for name in ("stop_touched", "resolve_touched", "resolve_bar", "round_to_decimals"):
        fn = getattr(compiled, name)
        assert fn.py_func.__code__ is getattr(plain, name).__code__
