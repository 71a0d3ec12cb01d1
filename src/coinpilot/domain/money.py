"""Decimal helpers for prices, quantities and amounts that cross the exchange boundary.

Research code works in float64; anything sent to an exchange or written to the store is a
`Decimal`. These helpers convert once, carefully, and snap values to a step grid. They are the
arithmetic under `SymbolFilters`: callers round through the filters (the instrument decides the
grid), never through these functions directly.
"""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum

from coinpilot.domain.errors import NonFiniteValueError

ZERO = Decimal(0)


class Rounding(StrEnum):
    """Which way a value moves onto its grid. NEAREST breaks ties away from zero."""

    DOWN = "down"
    UP = "up"
    NEAREST = "nearest"

    @property
    def decimal_mode(self) -> str:
        return {Rounding.DOWN: ROUND_FLOOR, Rounding.UP: ROUND_CEILING}.get(self, ROUND_HALF_UP)


def to_decimal(value: Decimal | int | float | str, *, field: str = "value") -> Decimal:
    """Convert without inheriting binary float noise.

    A float goes through its shortest repr (`0.1` becomes Decimal("0.1"), not
    0.1000000000000000055...), which is what a human or a strategy meant. NaN and infinities are
    refused: an order sized from a NaN is a bug upstream, never something to round.
    """
    if isinstance(value, bool):
        raise NonFiniteValueError(f"{field}: expected a number, got the bool {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise NonFiniteValueError(f"{field}: {value!r} is not a finite number")
        result = Decimal(repr(value))
    else:
        try:
            result = Decimal(str(value).strip())
        except InvalidOperation:
            raise NonFiniteValueError(f"{field}: {value!r} is not a decimal number") from None
    if not result.is_finite():
        raise NonFiniteValueError(f"{field}: {value!r} is not a finite number")
    return result


def decimal_places(value: Decimal) -> int:
    """Digits after the point once trailing zeros are dropped ("0.10" has 1, "100" has 0)."""
    exponent = value.normalize().as_tuple().exponent
    assert isinstance(exponent, int)  # finite values only
    return max(0, -exponent)


def snap_to_step(
    value: Decimal, step: Decimal, rounding: Rounding, *, anchor: Decimal = ZERO
) -> Decimal:
    """Move `value` onto the grid anchor + k × step (k an integer).

    Binance defines its grids relative to the filter minimum ((price − minPrice) % tickSize),
    hence `anchor`. The result carries the step's exponent so it prints without noise.
    """
    if step <= 0:
        raise ValueError(f"step must be positive, got {step}")
    units = ((value - anchor) / step).quantize(Decimal(1), rounding=rounding.decimal_mode)
    snapped = anchor + units * step
    return snapped.quantize(step) if decimal_places(step) >= decimal_places(snapped) else snapped


def is_on_step(value: Decimal, step: Decimal, *, anchor: Decimal = ZERO) -> bool:
    """True when value − anchor is a whole number of steps (exact Decimal remainder)."""
    if step <= 0:
        return True
    return (value - anchor) % step == 0


def format_decimal(value: Decimal) -> str:
    """Plain positional text as exchanges expect ("0.00001", never "1E-5"); no trailing zeros."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text
