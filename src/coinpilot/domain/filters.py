"""Exchange filters: the one place every layer rounds and validates prices and quantities.

`SymbolFilters` mirrors Binance's symbol filters (PRICE_FILTER, LOT_SIZE, MARKET_LOT_SIZE,
MIN_NOTIONAL, PERCENT_PRICE) and also covers Upbit, whose tick depends on the price band. The
simulator and the live exchange call the same `validate_order`, so a backtest rejects exactly the
orders the venue would reject, with the venue's error code and wording (`domain.rejections`).
Rounding is explicit about direction: a passive BUY limit floors, a SELL limit ceils (W14), and a
trigger price moves away from (or towards) the entry by choice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from coinpilot.domain.enums import OrderSide
from coinpilot.domain.money import (
    ZERO,
    Rounding,
    decimal_places,
    format_decimal,
    is_on_step,
    snap_to_step,
    to_decimal,
)
from coinpilot.domain.rejections import BINANCE_FUTURES, Check, RejectStyle, venue_message

__all__ = [
    "BINANCE_FUTURES",
    "Check",
    "LotSize",
    "PercentPrice",
    "PriceFilter",
    "RejectStyle",
    "Rounding",
    "SymbolFilters",
    "TickBand",
    "venue_message",
]

Number = Decimal | int | float | str


@dataclass(frozen=True, slots=True)
class TickBand:
    """Prices from `floor` up to the next band's floor move in steps of `tick`."""

    floor: Decimal
    tick: Decimal


@dataclass(frozen=True, slots=True)
class PriceFilter:
    """PRICE_FILTER. A zero tick/min/max disables that rule (Binance semantics).

    `bands`, when given, make the tick a function of the price (Upbit KRW). Every band floor must
    sit on its own tick, so rounding up from a lower band lands on a valid price of the next.
    """

    tick_size: Decimal = ZERO
    min_price: Decimal = ZERO
    max_price: Decimal = ZERO
    bands: tuple[TickBand, ...] = ()

    def __post_init__(self) -> None:
        floors = [b.floor for b in self.bands]
        if floors and (floors[0] != 0 or floors != sorted(set(floors))):
            raise ValueError(f"tick bands must start at 0 and ascend strictly, got {floors}")
        for band in self.bands:
            if band.tick <= 0 or band.floor % band.tick != 0:
                raise ValueError(f"tick band {band} has a floor off its own tick")


@dataclass(frozen=True, slots=True)
class LotSize:
    """LOT_SIZE or MARKET_LOT_SIZE. `max_qty` None means no venue maximum."""

    step_size: Decimal
    min_qty: Decimal
    max_qty: Decimal | None = None


@dataclass(frozen=True, slots=True)
class PercentPrice:
    """PERCENT_PRICE: BUY limit <= mark × up, SELL limit >= mark × down."""

    multiplier_up: Decimal
    multiplier_down: Decimal
    multiplier_decimal: int = 4


@dataclass(frozen=True, slots=True)
class SymbolFilters:
    """All trading rules of one symbol, and the only code allowed to round for it."""

    symbol: str
    price: PriceFilter
    lot: LotSize
    market_lot: LotSize | None = None
    min_notional: Decimal = ZERO
    percent_price: PercentPrice | None = None
    price_precision: int | None = None
    quantity_precision: int | None = None
    max_num_orders: int | None = None
    max_num_algo_orders: int | None = None
    style: RejectStyle = field(default=BINANCE_FUTURES)

    # ----- prices -------------------------------------------------------------------------
    def tick_at(self, price: Number) -> Decimal:
        """The price increment valid at `price` (ZERO when the venue sets no grid)."""
        p = to_decimal(price, field="price")
        if self.price.bands:
            tick = self.price.bands[0].tick
            for band in self.price.bands:
                if p >= band.floor:
                    tick = band.tick
            return tick
        if self.price.tick_size > 0:
            return self.price.tick_size
        if self.price_precision is not None:  # tick disabled: pricePrecision is the grid
            return Decimal(1).scaleb(-self.price_precision)
        return ZERO

    def _anchor(self) -> Decimal:
        return ZERO if self.price.bands or self.price.tick_size == 0 else self.price.min_price

    def round_price(self, price: Number, mode: Rounding = Rounding.NEAREST) -> Decimal:
        """Snap a price onto the symbol's grid. Raises when a positive price snaps to zero."""
        p = to_decimal(price, field=f"{self.symbol} price")
        if p <= 0:
            raise self.style.error(
                Check.PRICE_NOT_POSITIVE, f"{self.symbol}: price {p} is not positive", bid_ask="bid"
            )
        tick = self.tick_at(p)
        if tick == 0:
            return p
        rounded = snap_to_step(p, tick, mode, anchor=self._anchor())
        if rounded <= 0:
            raise self.style.error(
                Check.PRICE_BELOW_MIN,
                f"{self.symbol}: price {p} rounds {mode.value} to {rounded} at tick {tick}",
                bid_ask="bid",
            )
        return rounded

    def round_limit_price(self, price: Number, side: OrderSide) -> Decimal:
        """Passive rounding: a BUY limit never pays more, a SELL limit never asks less (W14)."""
        return self.round_price(price, Rounding.DOWN if side is OrderSide.BUY else Rounding.UP)

    def round_trigger_price(
        self, price: Number, *, entry: Number, away_from_entry: bool = True
    ) -> Decimal:
        """Round a stop or target trigger relative to the position's entry.

        Away from entry (default) never tightens a stop by rounding; towards entry never widens
        the risk beyond what sizing assumed. A trigger equal to entry rounds to nearest.
        """
        p, e = to_decimal(price, field="trigger"), to_decimal(entry, field="entry")
        if p == e:
            return self.round_price(p, Rounding.NEAREST)
        below = p < e
        down = below if away_from_entry else not below
        return self.round_price(p, Rounding.DOWN if down else Rounding.UP)

    def is_price_on_tick(self, price: Decimal) -> bool:
        return is_on_step(price, self.tick_at(price), anchor=self._anchor())

    # ----- quantities ---------------------------------------------------------------------
    def lot_for(self, *, market: bool) -> LotSize:
        return self.market_lot if market and self.market_lot is not None else self.lot

    def floor_qty_to_step(self, qty: Number, *, market: bool = False) -> Decimal:
        """Floor to the step so size (and margin) is never exceeded.

        Raises InvalidQuantity when the input is not positive or a positive input floors to zero:
        a zero-sized order is a sizing bug, not something to send.
        """
        q = to_decimal(qty, field=f"{self.symbol} qty")
        lot = self.lot_for(market=market)
        if q <= 0:
            raise self.style.error(
                Check.QTY_NOT_POSITIVE, f"{self.symbol}: quantity {q} is not positive", bid_ask="bid"
            )
        anchor = lot.min_qty if q >= lot.min_qty else ZERO
        floored = snap_to_step(q, lot.step_size, Rounding.DOWN, anchor=anchor)
        if floored <= 0:
            raise self.style.error(
                Check.QTY_NOT_POSITIVE,
                f"{self.symbol}: quantity {q} floors to 0 at step {lot.step_size}; size up or skip",
                bid_ask="bid",
            )
        return floored

    def min_order_qty(self, price: Number, *, market: bool = False) -> Decimal:
        """Smallest valid quantity at `price`: at least minQty and the minimum notional."""
        p = to_decimal(price, field="price")
        lot = self.lot_for(market=market)
        needed = max(lot.min_qty, self.min_notional / p if p > 0 else lot.min_qty)
        return snap_to_step(needed, lot.step_size, Rounding.UP)

    # ----- validation ---------------------------------------------------------------------
    def validate_order(
        self,
        side: OrderSide,
        qty: Decimal,
        price: Decimal | None,
        *,
        is_market: bool = False,
        reference_price: Decimal | None = None,
        stop_price: Decimal | None = None,
        reduce_only: bool = False,
    ) -> None:
        """Refuse an order the venue would refuse, with its code and wording.

        `price` is the limit price (None for market orders). `reference_price` is the mark
        price: it prices market orders for MIN_NOTIONAL and bounds limits by PERCENT_PRICE
        (that check is skipped without it). `stop_price` is a trigger (STOP/TAKE_PROFIT kinds).
        """
        ba = "bid" if side is OrderSide.BUY else "ask"
        tag = f"{self.symbol} {side.value}"
        lot = self.lot_for(market=is_market)
        if qty <= 0:
            raise self.style.error(Check.QTY_NOT_POSITIVE, f"{tag}: quantity {qty}", bid_ask=ba)
        if self.quantity_precision is not None and decimal_places(qty) > self.quantity_precision:
            raise self.style.error(
                Check.QTY_PRECISION,
                f"{tag}: quantity {qty} has more than {self.quantity_precision} decimals; "
                "use floor_qty_to_step",
                bid_ask=ba,
            )
        if not is_market and price is not None:
            self._check_price(price, tag, ba, stop=False)
        if stop_price is not None:
            self._check_price(stop_price, tag, ba, stop=True)
        if qty < lot.min_qty:
            raise self.style.error(
                Check.QTY_BELOW_MIN, f"{tag}: quantity {qty} < minQty {lot.min_qty}", bid_ask=ba
            )
        if lot.max_qty is not None and lot.max_qty > 0 and qty > lot.max_qty:
            raise self.style.error(
                Check.QTY_ABOVE_MAX, f"{tag}: quantity {qty} > maxQty {lot.max_qty}", bid_ask=ba
            )
        if not is_on_step(qty, lot.step_size, anchor=lot.min_qty):
            raise self.style.error(
                Check.QTY_OFF_STEP,
                f"{tag}: quantity {qty} is off the step {lot.step_size}; use floor_qty_to_step",
                bid_ask=ba,
            )
        if not is_market and price is not None and reference_price is not None:
            self._check_percent_price(side, price, reference_price, tag, ba)
        self._check_notional(qty, price, tag, ba, is_market, reference_price, stop_price, reduce_only)

    def _check_price(self, p: Decimal, tag: str, ba: str, *, stop: bool) -> None:
        what = "stop price" if stop else "price"
        if p <= 0:
            check = Check.STOP_NOT_POSITIVE if stop else Check.PRICE_NOT_POSITIVE
            raise self.style.error(check, f"{tag}: {what} {p}", bid_ask=ba)
        if self.price_precision is not None and decimal_places(p) > self.price_precision:
            raise self.style.error(
                Check.PRICE_PRECISION,
                f"{tag}: {what} {p} has more than {self.price_precision} decimals; use round_price",
                bid_ask=ba,
            )
        pf = self.price
        if pf.min_price > 0 and p < pf.min_price:
            raise self.style.error(
                Check.PRICE_BELOW_MIN, f"{tag}: {what} {p} < minPrice {pf.min_price}", bid_ask=ba
            )
        if pf.max_price > 0 and p > pf.max_price:
            check = Check.STOP_ABOVE_MAX if stop else Check.PRICE_ABOVE_MAX
            raise self.style.error(check, f"{tag}: {what} {p} > maxPrice {pf.max_price}", bid_ask=ba)
        if not self.is_price_on_tick(p):
            raise self.style.error(
                Check.PRICE_OFF_TICK,
                f"{tag}: {what} {p} is off the tick {self.tick_at(p)}; use round_price",
                bid_ask=ba,
            )

    def _check_percent_price(
        self, side: OrderSide, price: Decimal, mark: Decimal, tag: str, ba: str
    ) -> None:
        pp = self.percent_price
        if pp is None:
            return
        if side is OrderSide.BUY and price > mark * pp.multiplier_up:
            raise self.style.error(
                Check.PRICE_ABOVE_MULTIPLIER_UP,
                f"{tag}: price {price} > mark {mark} × {pp.multiplier_up}",
                bid_ask=ba,
            )
        if side is OrderSide.SELL and price < mark * pp.multiplier_down:
            raise self.style.error(
                Check.PRICE_BELOW_MULTIPLIER_DOWN,
                f"{tag}: price {price} < mark {mark} × {pp.multiplier_down}",
                bid_ask=ba,
            )

    def _check_notional(
        self,
        qty: Decimal,
        price: Decimal | None,
        tag: str,
        ba: str,
        is_market: bool,
        reference_price: Decimal | None,
        stop_price: Decimal | None,
        reduce_only: bool,
    ) -> None:
        if self.min_notional <= 0 or (reduce_only and self.style.reduce_only_skips_min_notional):
            return
        basis = (reference_price or stop_price) if is_market else (price or stop_price)
        if basis is None:
            raise ValueError(
                f"{tag}: MIN_NOTIONAL needs a price; pass reference_price (the mark price) "
                "for market orders"
            )
        notional = qty * basis
        if notional < self.min_notional:
            raise self.style.error(
                Check.NOTIONAL_TOO_SMALL,
                f"{tag}: notional {qty} × {basis} = {notional} < {self.min_notional}",
                min_notional=format_decimal(self.min_notional),
                bid_ask=ba,
            )
