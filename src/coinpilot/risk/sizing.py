"""Position sizing: how much to buy once every rule said yes.

One mode per strategy (config `sizing.mode`):
- fixed_notional: a constant notional (the reference benchmark, e.g. 100 USDT).
- balance_fraction: notional = wallet balance × fraction (the realistic preset: 10 %);
  leverage does not multiply it, it only lowers the margin the position ties up.
- fixed_risk (W13): qty = risk_amount / |entry − stop|, scaled down when its margin would
  exceed the available balance.
- dynamic_margin (C29/C30): per-symbol share = available / n_symbols; ratio =
  clamp(max − (share − base_share) × decay, min, max); notional = share × ratio × leverage.
  Share and base are both per-symbol, so the ratio compares like with like (P18).
- kelly (U12): f* = (W − (1 − W) / R) × fraction; notional = available × f* × leverage
  (leverage is 1 on spot); f* <= 0 means no trade.

Then, for every mode, the symbol's own filters decide (P104: never a hard-coded minimum):
the quantity is floored to the step (so margin is never exceeded), capped at the venue's
maximum, and checked against minQty and the minimum notional; the leverage must be allowed
by the tier of the resulting notional (or is reduced to the tier's maximum when configured).
"""

from __future__ import annotations

from decimal import Decimal

from coinpilot.domain.enums import EntryType, OrderSide, Side
from coinpilot.domain.errors import InvalidQuantity, LeverageError, NotionalTooSmall, OrderRejected
from coinpilot.domain.intent import Intent
from coinpilot.domain.money import to_decimal
from coinpilot.domain.records import record
from coinpilot.risk.config import SizingConfig
from coinpilot.risk.types import GateVerdict, MarketView, Rule

ZERO = Decimal(0)
# verdict names, read once (an Enum's .value is a Python-level property call)
_MIN_NOTIONAL, _QUANTITY, _SIZING = Rule.MIN_NOTIONAL.value, Rule.QUANTITY.value, Rule.SIZING.value
_LEVERAGE, _MARGIN = Rule.LEVERAGE.value, Rule.MARGIN.value


@record
class SizedEntry:
    qty: Decimal
    notional: Decimal
    price: Decimal
    leverage: int
    margin: Decimal
    mode: str


@record
class SizingFailure:
    rule: Rule
    reason: str


@record
class SizingInputs:
    """The account numbers sizing reads (already net of entries approved but not yet filled)."""

    available: Decimal
    base_balance: Decimal
    n_symbols: int
    leverage: int
    wallet_balance: Decimal | None = None  # balance_fraction sizes from it (None: available)


def entry_price(intent: Intent, market: MarketView) -> Decimal:
    """The price the size is computed at: the limit price for limit entries, else the last."""
    if intent.entry_type is EntryType.LIMIT and intent.limit_price is not None:
        return to_decimal(intent.limit_price, field=f"{intent.symbol} limit_price")
    return market.last_price


def dynamic_margin_ratio(
    share: Decimal, base_share: Decimal, max_ratio: Decimal, min_ratio: Decimal, decay: Decimal
) -> Decimal:
    """C29. The per-symbol max is a hard cap: when it sits below min it still wins."""
    raw = max_ratio - (share - base_share) * decay
    return min(max(raw, min_ratio), max_ratio)


def kelly_fraction(win_rate: float, payoff_ratio: float, fraction: float) -> Decimal:
    """U12: fractional Kelly, e.g. (0.65 − 0.35 / 1.2) × 0.5 = 0.17916..."""
    w, r, f = (Decimal(str(x)) for x in (win_rate, payoff_ratio, fraction))
    return (w - (1 - w) / r) * f


def _target_qty(
    intent: Intent,
    market: MarketView,
    price: Decimal,
    acct: SizingInputs,
    lev: int,
    cfg: SizingConfig,
) -> tuple[Decimal, str] | SizingFailure:
    """The unrounded quantity the mode asks for, and how it got there."""
    mode = cfg.mode
    if mode == "fixed_notional":
        n = cfg.fixed_notional.notional
        return n / price, f"fixed notional {n}"
    if mode == "balance_fraction":
        fraction = Decimal(str(cfg.balance_fraction.fraction))
        balance = acct.available if acct.wallet_balance is None else acct.wallet_balance
        n = balance * fraction
        return n / price, f"{fraction:.2%} of balance {balance:.2f} = notional {n:.2f}"
    if mode == "fixed_risk":
        if intent.stop is None:
            return SizingFailure(Rule.SIZING, "fixed_risk sizing needs a stop; the intent has none")
        stop = to_decimal(intent.stop.price(float(price), intent.side, is_stop=True), field="stop")
        distance = abs(price - stop)
        if distance == 0:
            return SizingFailure(Rule.SIZING, f"stop {stop} equals the entry price {price}")
        risk = cfg.fixed_risk.risk_amount
        qty = risk / distance
        cap = acct.available * lev / price
        if qty > cap:  # W13: margin above what is free -> scale down
            return cap, f"risk {risk} / stop distance {distance} scaled down to available × {lev}x"
        return qty, f"risk {risk} / stop distance {distance}"
    if mode == "dynamic_margin":
        dm = cfg.dynamic_margin
        max_r = Decimal(str(dm.max_ratio_per_symbol.get(intent.symbol, dm.max_ratio)))
        share = acct.available / acct.n_symbols
        base_share = acct.base_balance / acct.n_symbols
        ratio = dynamic_margin_ratio(
            share, base_share, max_r, Decimal(str(dm.min_ratio)), Decimal(str(dm.decay))
        )
        return share * ratio * lev / price, f"share {share:.8f} × ratio {ratio:.6f} × {lev}x"
    f = kelly_fraction(cfg.kelly.win_rate, cfg.kelly.payoff_ratio, cfg.kelly.fraction)
    if f <= 0:
        return SizingFailure(Rule.SIZING, f"Kelly fraction {f:.6f} <= 0: no edge, no trade (U12)")
    return acct.available * f * lev / price, f"Kelly {f:.6f} × available {acct.available} × {lev}x"


def _floor_qty(
    qty: Decimal, market: MarketView, is_market: bool
) -> tuple[Decimal, str] | SizingFailure:
    filters = market.filters
    if filters is None:
        return qty, "no filters: quantity not rounded"
    try:
        floored = filters.floor_qty_to_step(qty, market=is_market)
    except InvalidQuantity as exc:
        return SizingFailure(Rule.QUANTITY, str(exc))
    lot = filters.lot_for(market=is_market)
    if lot.max_qty is not None and lot.max_qty > 0 and floored > lot.max_qty:
        return filters.floor_qty_to_step(
            lot.max_qty, market=is_market
        ), f"capped at maxQty {lot.max_qty}"
    return floored, f"floored to step {lot.step_size}"


def _check_filters(
    intent: Intent, qty: Decimal, price: Decimal, market: MarketView, is_market: bool
) -> GateVerdict:
    """minQty and minimum notional, worded as the venue would word them."""
    filters = market.filters
    name = _MIN_NOTIONAL
    if filters is None:
        return GateVerdict.na(name, "n/a: no exchange filters for this symbol")
    side = OrderSide.BUY if intent.side is Side.LONG else OrderSide.SELL
    try:
        if is_market:
            filters.validate_order(side, qty, None, is_market=True, reference_price=price)
        else:
            filters.validate_order(side, qty, filters.round_limit_price(price, side))
    except NotionalTooSmall as exc:
        return GateVerdict.fail(name, str(exc))
    except InvalidQuantity as exc:
        return GateVerdict.fail(_QUANTITY, str(exc))
    except OrderRejected as exc:
        return GateVerdict.fail(_SIZING, str(exc))
    return GateVerdict.ok(name, f"notional {qty * price} >= {filters.min_notional}")


def _size_at(
    intent: Intent,
    market: MarketView,
    price: Decimal,
    acct: SizingInputs,
    lev: int,
    cfg: SizingConfig,
) -> tuple[Decimal, str] | SizingFailure:
    target = _target_qty(intent, market, price, acct, lev, cfg)
    if isinstance(target, SizingFailure):
        return target
    qty, detail = target
    if qty <= 0:
        return SizingFailure(Rule.MARGIN, f"nothing to size: {detail} gives quantity {qty}")
    floored = _floor_qty(qty, market, intent.entry_type is EntryType.MARKET)
    if isinstance(floored, SizingFailure):
        return floored
    return floored[0], f"{detail}; {floored[1]}"


def _leverage_for(
    qty: Decimal, price: Decimal, lev: int, market: MarketView, cfg: SizingConfig
) -> int | SizingFailure | None:
    """None when `lev` is allowed; the reduced leverage when configured; else a failure."""
    tiers = market.leverage_tiers
    if tiers is None:
        return None
    notional = qty * price
    try:
        tiers.check_leverage(notional, lev)
        return None
    except LeverageError as exc:
        if cfg.on_excess_leverage == "reject":
            return SizingFailure(Rule.LEVERAGE, str(exc))
        try:
            allowed = tiers.max_leverage(notional)
        except LeverageError as cap_exc:  # beyond the largest tier: no leverage helps
            return SizingFailure(Rule.LEVERAGE, str(cap_exc))
        return allowed


def size_entry(
    intent: Intent, market: MarketView, acct: SizingInputs, cfg: SizingConfig
) -> tuple[SizedEntry | SizingFailure, list[GateVerdict]]:
    """Size an approved intent; the verdicts record each sizing step for the audit trail."""
    verdicts: list[GateVerdict] = []
    price = entry_price(intent, market)
    if price <= 0:
        return SizingFailure(
            Rule.MARKET_DATA, f"{intent.symbol}: price {price} is not positive"
        ), verdicts
    lev = acct.leverage
    sized = _size_at(intent, market, price, acct, lev, cfg)
    if isinstance(sized, SizingFailure):
        verdicts.append(GateVerdict.fail(sized.rule.value, sized.reason))
        return sized, verdicts
    qty, detail = sized
    lev_name = _LEVERAGE
    reduced = _leverage_for(qty, price, lev, market, cfg)
    if isinstance(reduced, SizingFailure):
        verdicts.append(GateVerdict.fail(lev_name, reduced.reason))
        return reduced, verdicts
    if reduced is not None:  # size again at the tier's leverage (notional may shrink with it)
        lev_detail = f"{lev}x above the tier for notional {qty * price}: reduced to {reduced}x"
        lev = reduced
        sized = _size_at(intent, market, price, acct, lev, cfg)
        if isinstance(sized, SizingFailure):
            verdicts.append(GateVerdict.fail(sized.rule.value, sized.reason))
            return sized, verdicts
        qty, detail = sized
        again = _leverage_for(qty, price, lev, market, cfg)
        if again is not None:
            reason = again.reason if isinstance(again, SizingFailure) else lev_detail
            failure = SizingFailure(Rule.LEVERAGE, reason)
            verdicts.append(GateVerdict.fail(lev_name, reason))
            return failure, verdicts
        verdicts.append(GateVerdict.ok(lev_name, lev_detail))
    elif market.leverage_tiers is None:
        verdicts.append(GateVerdict.na(lev_name, "n/a: no leverage tiers for this symbol"))
    else:
        verdicts.append(GateVerdict.ok(lev_name, f"{lev}x allowed for notional {qty * price}"))
    verdicts.append(GateVerdict.ok(_SIZING, f"{cfg.mode}: {detail}"))

    check = _check_filters(intent, qty, price, market, intent.entry_type is EntryType.MARKET)
    verdicts.append(check)
    if not check.passed:
        return SizingFailure(Rule(check.name), check.detail), verdicts

    notional = qty * price
    margin = notional / lev
    margin_name = _MARGIN
    if margin > acct.available:
        reason = f"margin {margin} (notional {notional} / {lev}x) > available {acct.available}"
        verdicts.append(GateVerdict.fail(margin_name, reason))
        return SizingFailure(Rule.MARGIN, reason), verdicts
    verdicts.append(GateVerdict.ok(margin_name, f"margin {margin} <= available {acct.available}"))
    return SizedEntry(qty, notional, price, lev, margin, cfg.mode), verdicts
