from __future__ import annotations

from decimal import Decimal

import pytest

from coinpilot.domain.errors import NonFiniteValueError
from coinpilot.domain.money import (
    Rounding,
    decimal_places,
    format_decimal,
    is_on_step,
    snap_to_step,
    to_decimal,
)


def test_float_converts_through_shortest_repr_not_binary_expansion() -> None:
    assert to_decimal(0.1) == Decimal("0.1")
    assert to_decimal(2.470853) == Decimal("2.470853")
    assert to_decimal("50000.10") == Decimal("50000.10")
    assert to_decimal(7) == Decimal(7)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "NaN", "abc", True, Decimal("Infinity")])
def test_non_numbers_are_refused(bad: object) -> None:
    with pytest.raises(NonFiniteValueError):
        to_decimal(bad, field="price")  # type: ignore[arg-type]


def test_decimal_places_ignores_trailing_zeros() -> None:
    assert decimal_places(Decimal("0.10")) == 1
    assert decimal_places(Decimal("100")) == 0
    assert decimal_places(Decimal("1E+2")) == 0
    assert decimal_places(Decimal("0.00000001")) == 8


def test_format_decimal_never_uses_exponents() -> None:
    assert format_decimal(Decimal("1E-5")) == "0.00001"
    assert format_decimal(Decimal("1E+2")) == "100"
    assert format_decimal(Decimal("5.0")) == "5"
    assert format_decimal(Decimal("-0")) == "0"


def test_snap_respects_anchor_and_direction() -> None:
    step = Decimal("0.5")
    assert snap_to_step(Decimal("1.3"), step, Rounding.DOWN) == Decimal("1.0")
    assert snap_to_step(Decimal("1.3"), step, Rounding.UP) == Decimal("1.5")
    assert snap_to_step(Decimal("1.25"), step, Rounding.NEAREST) == Decimal("1.5")  # ties away
    # grid anchored at 0.2: ..., 1.2, 1.7, ...
    assert snap_to_step(Decimal("1.3"), step, Rounding.DOWN, anchor=Decimal("0.2")) == Decimal("1.2")
    assert is_on_step(Decimal("1.7"), step, anchor=Decimal("0.2"))
    assert not is_on_step(Decimal("1.5"), step, anchor=Decimal("0.2"))
    with pytest.raises(ValueError, match="step must be positive"):
        snap_to_step(Decimal(1), Decimal(0), Rounding.DOWN)
