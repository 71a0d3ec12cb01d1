"""Trading fees: maker/taker rates per venue and market, with per-symbol overrides.

Defaults are the published base tiers: Binance USDⓈ-M futures VIP0 0.02 % maker / 0.05 % taker,
Binance spot 0.1 % / 0.1 %, Upbit KRW market 0.05 % both ways. Accounts with discounts (VIP
tiers, BNB payment, promotions) override them from config.

Cost seam: `CostModel` is what the simulator asks for the cost of a fill. Fees are one part. The
engine issue adds slippage as a sibling (`domain/slippage.py`) that moves the fill *price*
before the fee is computed on it; that is why the fee takes the already-slipped price.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Protocol, runtime_checkable

from coinpilot.domain.enums import MarketType, Venue
from coinpilot.domain.errors import ConfigError, NonFiniteValueError
from coinpilot.domain.money import to_decimal


class Liquidity(StrEnum):
    """Whether a fill added liquidity (resting limit) or took it (market, marketable limit)."""

    MAKER = "maker"
    TAKER = "taker"


@dataclass(frozen=True, slots=True)
class FeeRate:
    """Fractions of notional (0.0005 = 0.05 %)."""

    maker: Decimal
    taker: Decimal

    def __post_init__(self) -> None:
        for name in ("maker", "taker"):
            value = getattr(self, name)
            if not isinstance(value, Decimal) or not value.is_finite():
                raise ConfigError(f"fee rate {name}={value!r} must be a finite Decimal")
            # a negative maker rate is a rebate (some VIP tiers), but nothing pays above 100 %
            if not Decimal(-1) < value < Decimal(1):
                raise ConfigError(f"fee rate {name}={value} is outside (-1, 1); rates are fractions")

    def for_liquidity(self, liquidity: Liquidity) -> Decimal:
        return self.maker if liquidity is Liquidity.MAKER else self.taker


DEFAULT_RATES: Mapping[tuple[Venue, MarketType], FeeRate] = {
    (Venue.BINANCE, MarketType.FUTURES): FeeRate(Decimal("0.0002"), Decimal("0.0005")),
    (Venue.BINANCE, MarketType.SPOT): FeeRate(Decimal("0.001"), Decimal("0.001")),
    (Venue.UPBIT, MarketType.SPOT): FeeRate(Decimal("0.0005"), Decimal("0.0005")),
}

FeeKey = tuple[Venue, MarketType] | tuple[Venue, MarketType, str]


@runtime_checkable
class CostModel(Protocol):
    """The cost of one fill, in the quote/margin asset. FeeSchedule is the fee part."""

    def fill_fee(
        self,
        venue: Venue,
        market: MarketType,
        symbol: str,
        price: Decimal,
        qty: Decimal,
        liquidity: Liquidity,
    ) -> Decimal: ...


class FeeSchedule:
    """Rates by (venue, market), overridden by (venue, market) or (venue, market, SYMBOL)."""

    def __init__(self, overrides: Mapping[FeeKey, FeeRate] | None = None) -> None:
        self._rates: dict[FeeKey, FeeRate] = {}
        self._rates.update(DEFAULT_RATES.items())
        for key, rate in (overrides or {}).items():
            venue, market, *symbol = key
            if symbol:
                self._rates[(Venue(venue), MarketType(market), str(symbol[0]).upper())] = rate
            else:
                self._rates[(Venue(venue), MarketType(market))] = rate

    @classmethod
    def from_config(cls, raw: Mapping[str, Mapping[str, object]]) -> FeeSchedule:
        """Build from config text: {"binance.futures": {"maker": "0.00018", "taker": ...},
        "binance.futures.BTCUSDT": {...}}. Bad keys or values raise ConfigError naming them."""
        overrides: dict[FeeKey, FeeRate] = {}
        for name, fields in raw.items():
            parts = name.split(".")
            try:
                venue, market = Venue(parts[0].lower()), MarketType(parts[1].lower())
            except (IndexError, ValueError):
                raise ConfigError(
                    f"fees: key {name!r} must be '<venue>.<market>[.<SYMBOL>]' with venue in "
                    f"{[v.value for v in Venue]} and market in {[m.value for m in MarketType]}"
                ) from None
            if len(parts) > 3 or set(fields) - {"maker", "taker"} or len(fields) != 2:
                raise ConfigError(f"fees.{name}: give exactly 'maker' and 'taker', got {sorted(fields)}")
            rate = FeeRate(_rate(fields["maker"], f"fees.{name}.maker"), _rate(fields["taker"], f"fees.{name}.taker"))
            key: FeeKey = (venue, market, parts[2].upper()) if len(parts) == 3 else (venue, market)
            overrides[key] = rate
        return cls(overrides)

    def rate(self, venue: Venue, market: MarketType, symbol: str | None = None) -> FeeRate:
        """The most specific rate configured; raises ConfigError for a venue/market with none."""
        if symbol is not None:
            specific = self._rates.get((venue, market, symbol.upper()))
            if specific is not None:
                return specific
        general = self._rates.get((venue, market))
        if general is None:
            raise ConfigError(f"no fee rate for {venue.value} {market.value}; add one under fees")
        return general

    def fill_fee(
        self,
        venue: Venue,
        market: MarketType,
        symbol: str,
        price: Decimal,
        qty: Decimal,
        liquidity: Liquidity,
    ) -> Decimal:
        """Fee charged on a fill: |price × qty| × rate, exact (the venue's own rounding of the
        charged amount is the account's business, not the simulator's)."""
        rate = self.rate(venue, market, symbol).for_liquidity(liquidity)
        return abs(price * qty) * rate


def _rate(value: object, where: str) -> Decimal:
    if not isinstance(value, Decimal | int | float | str):
        raise ConfigError(f"{where}: {value!r} is not a number")
    try:
        return to_decimal(value, field=where)
    except NonFiniteValueError as exc:
        raise ConfigError(str(exc)) from None
