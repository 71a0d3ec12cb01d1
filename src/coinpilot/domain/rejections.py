"""How venues word order rejections: one (code, message) per check, declared as data.

`SymbolFilters.validate_order` decides *whether* an order breaks a rule; a `RejectStyle` says how
the venue reports it, so the simulator raises what the real exchange would: Binance USDⓈ-M codes
and messages (official error-code table; -4164 and -4003 worded as the live API sends them
today) here, Upbit's error names in `coinpilot.exchanges.upbit.rules`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from coinpilot.domain.errors import InvalidPrice, InvalidQuantity, NotionalTooSmall, OrderRejected

_SEP = " — "  # between the venue's own message and our detail (see venue_message)


class Check(StrEnum):
    """Every reason `validate_order` can refuse an order."""

    QTY_NOT_POSITIVE = "qty_not_positive"
    QTY_PRECISION = "qty_precision"
    QTY_BELOW_MIN = "qty_below_min"
    QTY_ABOVE_MAX = "qty_above_max"
    QTY_OFF_STEP = "qty_off_step"
    PRICE_NOT_POSITIVE = "price_not_positive"
    PRICE_PRECISION = "price_precision"
    PRICE_BELOW_MIN = "price_below_min"
    PRICE_ABOVE_MAX = "price_above_max"
    PRICE_OFF_TICK = "price_off_tick"
    STOP_NOT_POSITIVE = "stop_not_positive"
    STOP_ABOVE_MAX = "stop_above_max"
    PRICE_ABOVE_MULTIPLIER_UP = "price_above_multiplier_up"
    PRICE_BELOW_MULTIPLIER_DOWN = "price_below_multiplier_down"
    NOTIONAL_TOO_SMALL = "notional_too_small"

    @property
    def error_class(self) -> type[OrderRejected]:
        if self is Check.NOTIONAL_TOO_SMALL:
            return NotionalTooSmall
        return InvalidQuantity if self.value.startswith("qty") else InvalidPrice


@dataclass(frozen=True, slots=True)
class RejectStyle:
    """How a venue words each rejection: (code, message template) per Check.

    Templates may use {min_notional} and {bid_ask} ("bid" for BUY, "ask" for SELL). Declared as
    data so the simulator, the live adapter and the local protocol server agree word for word.
    """

    name: str
    messages: Mapping[Check, tuple[int | None, str]]
    reduce_only_skips_min_notional: bool = False

    def error(self, check: Check, detail: str, **fmt: str) -> OrderRejected:
        code, template = self.messages[check]
        return check.error_class(f"{template.format(**fmt)}{_SEP}{detail}", code=code)


BINANCE_FUTURES = RejectStyle(
    name="binance-futures",
    messages={
        Check.QTY_NOT_POSITIVE: (-4003, "Quantity less than or equal to zero."),
        Check.QTY_PRECISION: (-1111, "Precision is over the maximum defined for this asset."),
        Check.QTY_BELOW_MIN: (-4004, "Quantity less than min quantity."),
        Check.QTY_ABOVE_MAX: (-4005, "Quantity greater than max quantity."),
        Check.QTY_OFF_STEP: (-4023, "Qty not increased by step size."),
        Check.PRICE_NOT_POSITIVE: (-4001, "Price less than 0."),
        Check.PRICE_PRECISION: (-1111, "Precision is over the maximum defined for this asset."),
        Check.PRICE_BELOW_MIN: (-4013, "Price less than min price."),
        Check.PRICE_ABOVE_MAX: (-4002, "Price greater than max price."),
        Check.PRICE_OFF_TICK: (-4014, "Price not increased by tick size."),
        Check.STOP_NOT_POSITIVE: (-4006, "Stop price less than zero."),
        Check.STOP_ABOVE_MAX: (-4007, "Stop price greater than max price."),
        Check.PRICE_ABOVE_MULTIPLIER_UP: (-4016, "Price is higher than mark price multiplier cap."),
        Check.PRICE_BELOW_MULTIPLIER_DOWN: (
            -4024,
            "Price is lower than mark price multiplier floor.",
        ),
        Check.NOTIONAL_TOO_SMALL: (
            -4164,
            "Order's notional must be no smaller than {min_notional} (unless you choose reduce only).",
        ),
    },
    reduce_only_skips_min_notional=True,
)


def venue_message(err: OrderRejected) -> str:
    """The venue's own wording of a rejection raised here (what its API would put in `msg`)."""
    return str(err).split(_SEP, 1)[0]
