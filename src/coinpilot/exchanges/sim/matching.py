"""Which resting orders a candle triggers, at what price, and in which order they fill.

The touch and gap rules are `fillrules`, the same functions the compiled fast path runs, so
both paths cannot drift: a level the open has already passed fills at the open (gap);
otherwise at the level. Resting limit orders fill at their own price as makers.
When several orders trigger in one candle, 'stop_first' fills the position's protective stops
(adverse side) before its targets and limits, which is the pessimistic assumption; the
reference benchmark uses it.
"""

from __future__ import annotations

from coinpilot.domain.enums import OrderSide
from coinpilot.domain.orders import Order, OrderType
from coinpilot.domain.records import record
from coinpilot.exchanges.sim import fillrules


@record
class TriggerHit:
    order: Order
    price: float
    taker: bool
    adverse: bool  # a stop (protects a position) rather than a target or resting limit
    seq: int  # submission order among the resting orders, so same-class hits fill oldest first


_STOP_AT_OPEN = int(fillrules.StopGap.AT_OPEN)
_TARGET_AT_OPEN = int(fillrules.TargetGap.AT_OPEN)

_stop_touched = fillrules.stop_touched
_stop_fill_price = fillrules.stop_fill_price
_target_touched = fillrules.target_touched
_target_fill_price = fillrules.target_fill_price


def _stop_fill(sell: bool, level: float, o: float, h: float, lo: float) -> float | None:
    """A protective stop's fill in this bar (a sell stop protects a long), or None."""
    side = 1 if sell else -1
    if not _stop_touched(side, h, lo, level):
        return None
    return float(_stop_fill_price(side, o, h, lo, level, _STOP_AT_OPEN))


def _target_fill(sell: bool, level: float, o: float, h: float, lo: float) -> float | None:
    """A take-profit's fill in this bar (a sell target closes a long), or None."""
    side = 1 if sell else -1
    if not _target_touched(side, h, lo, level):
        return None
    return float(_target_fill_price(side, o, h, lo, level, _TARGET_AT_OPEN))


def order_trigger(
    order: Order, o: float, h: float, lo: float, trailing_extreme: float | None, seq: int
) -> TriggerHit | None:
    """The fill this order would get in a candle (open o, high h, low lo), or None if the
    candle does not reach it. `seq` is the order's rank in submission order: it must not be
    a memory address (`id`), which made the fill order of two stops hit in one candle depend
    on what the process had allocated before."""
    req = order.request
    sell = req.side is OrderSide.SELL
    if req.type is OrderType.LIMIT:
        assert req.price is not None
        level = float(req.price)
        touched = lo <= level if not sell else h >= level
        return TriggerHit(order, level, False, False, seq) if touched else None
    if req.type is OrderType.TRAILING_STOP_MARKET:
        assert trailing_extreme is not None
        rate = float(req.callback_rate or 0) / 100
        act = float(req.price) if req.price is not None else None
        if act is not None and ((sell and trailing_extreme < act) or (not sell and trailing_extreme > act)):
            return None
        level = trailing_extreme * (1 - rate) if sell else trailing_extreme * (1 + rate)
        price = _stop_fill(sell, level, o, h, lo)
        return None if price is None else TriggerHit(order, price, True, True, seq)
    assert req.stop_price is not None
    level = float(req.stop_price)
    if req.type is OrderType.STOP_MARKET:
        price = _stop_fill(sell, level, o, h, lo)
        return None if price is None else TriggerHit(order, price, True, True, seq)
    # take-profit kinds: a sell TP closes a long above the market, a buy TP a short below
    price = _target_fill(sell, level, o, h, lo)
    if price is None:
        return None
    if req.type is OrderType.TAKE_PROFIT and req.price is not None:
        gapped = price == o and o != level
        limit = float(req.price)
        if not gapped:
            return TriggerHit(order, limit, False, False, seq)
        return TriggerHit(order, o, True, False, seq)
    return TriggerHit(order, price, True, False, seq)


def sort_hits(hits: list[TriggerHit], same_bar: str) -> list[TriggerHit]:
    """Fill order within one candle under the configured same-bar rule."""
    stops_first = same_bar == "stop_first"
    return sorted(hits, key=lambda h: (0 if h.adverse == stops_first else 1, h.seq))
