"""Leverage tiers (Binance "leverage brackets"), maintenance margin and liquidation price.

A tier covers notionals in [min_notional, max_notional) (the last tier includes its cap) and sets
the maximum leverage, the maintenance margin rate (MMR) and the maintenance amount `cum`, so that
maintenance margin = notional × MMR − cum is continuous across tiers.

Liquidation follows Binance's published USDⓈ-M formula (cross and isolated, one-way and hedge):

    LP = (WB − TMM1 + UPNL1 + Σcum − Σ side·qty·EP) / (Σ qty·MMR − Σ side·qty)

with the sums over the legs of the symbol (BOTH in one-way mode; LONG and SHORT in hedge mode),
side +1 long / −1 short, WB the wallet balance (the isolated margin in isolated mode, where
TMM1 = UPNL1 = 0), TMM1/UPNL1 the maintenance margin and unrealised PnL of all other symbols.
MMR and cum must be those of the tier at the notional *at the liquidation price*; Binance says
to recompute when that tier differs from the entry tier. Margin minus maintenance is continuous
and piecewise linear in price, so instead of iterating we solve each piece between tier
boundaries and keep the root that falls inside its own piece: same answer, no oscillation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from coinpilot.domain.enums import Side
from coinpilot.domain.errors import LeverageError
from coinpilot.domain.money import ZERO, to_decimal


@dataclass(frozen=True, slots=True)
class LeverageTier:
    tier: int
    min_notional: Decimal
    max_notional: Decimal
    maintenance_margin_rate: Decimal
    max_leverage: int
    cum: Decimal

    def maintenance_margin(self, notional: Decimal) -> Decimal:
        return notional * self.maintenance_margin_rate - self.cum


class MaintenanceMargin(NamedTuple):
    rate: Decimal
    cum: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class PositionLeg:
    """One position of the symbol: BOTH (one-way) or the LONG/SHORT leg in hedge mode."""

    side: Side
    qty: Decimal  # absolute size, > 0
    entry_price: Decimal


class LeverageTiers:
    """The tiers of one symbol, checked contiguous and ascending at construction."""

    def __init__(self, symbol: str, tiers: Iterable[LeverageTier]) -> None:
        self.symbol = symbol
        self.tiers = tuple(sorted(tiers, key=lambda t: t.min_notional))
        if not self.tiers or self.tiers[0].min_notional != 0:
            raise ValueError(f"{symbol}: leverage tiers must start at notional 0")
        for lower, upper in zip(self.tiers, self.tiers[1:], strict=False):
            if lower.max_notional != upper.min_notional:
                raise ValueError(f"{symbol}: tiers {lower.tier} and {upper.tier} are not contiguous")

    @classmethod
    def from_ccxt(cls, symbol: str, rows: Sequence[Mapping[str, Any]]) -> LeverageTiers:
        """Parse ccxt `fetch_leverage_tiers` rows. The raw Binance bracket in `info` is used
        when present because its strings are exact; ccxt's floats are the fallback."""
        tiers = []
        for row in rows:
            info = row.get("info") or {}
            if {"notionalFloor", "notionalCap", "maintMarginRatio", "cum"} <= set(info):
                tiers.append(
                    LeverageTier(
                        tier=int(info.get("bracket", row.get("tier", 0))),
                        min_notional=to_decimal(info["notionalFloor"]),
                        max_notional=to_decimal(info["notionalCap"]),
                        maintenance_margin_rate=to_decimal(info["maintMarginRatio"]),
                        max_leverage=int(Decimal(str(info.get("initialLeverage", row["maxLeverage"])))),
                        cum=to_decimal(info["cum"]),
                    )
                )
            else:
                tiers.append(
                    LeverageTier(
                        tier=int(row["tier"]),
                        min_notional=to_decimal(row["minNotional"]),
                        max_notional=to_decimal(row["maxNotional"]),
                        maintenance_margin_rate=to_decimal(row["maintenanceMarginRate"]),
                        max_leverage=int(row["maxLeverage"]),
                        cum=to_decimal(row.get("cum", 0)),
                    )
                )
        return cls(symbol, tiers)

    @property
    def max_notional(self) -> Decimal:
        return self.tiers[-1].max_notional

    def tier_for(self, notional: Decimal) -> LeverageTier:
        """The tier holding |notional|; beyond the last cap the venue refuses the position."""
        n = abs(notional)
        if n > self.max_notional:
            raise LeverageError(
                f"{self.symbol}: notional {n} exceeds the largest allowed position "
                f"{self.max_notional} (Binance -2027); reduce size"
            )
        return self.tier_clamped(n)

    def tier_clamped(self, n: Decimal) -> LeverageTier:
        """Like tier_for but the last tier also prices notionals beyond its cap (for what-if
        marks such as a liquidation search, never for sizing)."""
        for tier in self.tiers:
            if n < tier.max_notional:
                return tier
        return self.tiers[-1]

    def max_leverage(self, notional: Decimal) -> int:
        return self.tier_for(notional).max_leverage

    def maintenance_margin(self, notional: Decimal) -> MaintenanceMargin:
        tier = self.tier_for(notional)
        return MaintenanceMargin(tier.maintenance_margin_rate, tier.cum, tier.maintenance_margin(abs(notional)))

    def check_leverage(self, notional: Decimal, leverage: int) -> None:
        """Raise LeverageError when `leverage` is above what the tier of `notional` allows."""
        tier = self.tier_for(notional)
        if leverage < 1 or leverage > tier.max_leverage:
            raise LeverageError(
                f"{self.symbol}: leverage {leverage}x is not allowed for notional {abs(notional)} "
                f"(tier {tier.tier}: {tier.min_notional}–{tier.max_notional}, max "
                f"{tier.max_leverage}x); lower the leverage or the size"
            )

    def max_notional_for(self, leverage: int) -> Decimal:
        """Largest position notional the venue accepts at `leverage` (0 if none)."""
        allowed = [t.max_notional for t in self.tiers if t.max_leverage >= leverage]
        return max(allowed, default=ZERO)


def maintenance_at(tiers: LeverageTiers, legs: Sequence[PositionLeg], price: Decimal) -> Decimal:
    """Maintenance margin of the legs marked at `price`, each with the tier of its notional."""
    total = ZERO
    for leg in legs:
        notional = leg.qty * price
        total += tiers.tier_clamped(notional).maintenance_margin(notional)
    return total


def liquidation_price(
    tiers: LeverageTiers,
    *,
    wallet_balance: Decimal,
    legs: Sequence[PositionLeg],
    other_maintenance: Decimal = ZERO,
    other_unrealized_pnl: Decimal = ZERO,
) -> Decimal | None:
    """Price at which margin balance equals maintenance margin, or None when no positive price
    liquidates (e.g. a long backed by its full notional; Binance shows "--")."""
    legs = [leg for leg in legs if leg.qty != 0]
    if not legs:
        return None
    if any(leg.qty < 0 for leg in legs):
        raise ValueError("leg quantities are absolute sizes; use Side for the direction")
    cuts = sorted({t.min_notional / leg.qty for leg in legs for t in tiers.tiers[1:]})
    bounds: list[tuple[Decimal, Decimal | None]] = list(
        zip([ZERO, *cuts], [*cuts, None], strict=True)
    )
    base = wallet_balance - other_maintenance + other_unrealized_pnl
    for lo, hi in bounds:
        probe = (lo + hi) / 2 if hi is not None else lo * 2 + 1
        numerator, denominator = base, ZERO
        for leg in legs:
            tier = tiers.tier_clamped(leg.qty * probe)
            sign = leg.side.sign
            numerator += tier.cum - sign * leg.qty * leg.entry_price
            denominator += leg.qty * tier.maintenance_margin_rate - sign * leg.qty
        if denominator == 0:
            continue
        price = numerator / denominator
        if price > 0 and lo <= price and (hi is None or price <= hi):
            return price
    return None


def isolated_liquidation_price(
    tiers: LeverageTiers, *, side: Side, qty: Decimal, entry_price: Decimal, margin: Decimal
) -> Decimal | None:
    """Isolated mode: WB is the position's isolated margin, other positions do not count.
    In hedge mode each leg is its own isolated position: call this once per leg."""
    return liquidation_price(
        tiers, wallet_balance=margin, legs=[PositionLeg(side, qty, entry_price)]
    )
