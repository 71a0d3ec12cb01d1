"""Small closed vocabularies shared by every layer."""

from __future__ import annotations

from enum import Enum


class Venue(str, Enum):
    BINANCE = "binance"
    UPBIT = "upbit"


class MarketType(str, Enum):
    """USDⓈ-M perpetual futures or spot."""

    FUTURES = "futures"
    SPOT = "spot"


class Side(str, Enum):
    """Position direction. Spot strategies only use LONG (buy, then sell to exit)."""

    LONG = "long"
    SHORT = "short"

    @property
    def sign(self) -> int:
        return 1 if self is Side.LONG else -1

    @property
    def opposite(self) -> Side:
        return Side.SHORT if self is Side.LONG else Side.LONG

    @classmethod
    def from_sign(cls, sign: int) -> Side:
        if sign > 0:
            return cls.LONG
        if sign < 0:
            return cls.SHORT
        raise ValueError("sign 0 has no side")


class OrderSide(str, Enum):
    BUY = "BUY"
    SELL = "SELL"


class IntentAction(str, Enum):
    """ENTER opens (or reverses into) a position; EXIT closes the position on `side`."""

    ENTER = "enter"
    EXIT = "exit"


class EntryType(str, Enum):
    MARKET = "market"
    LIMIT = "limit"


class LevelMode(str, Enum):
    """How a stop/target offset is read: fraction of the fill, price distance, or level."""

    PCT = "pct"
    DIST = "dist"
    PRICE = "price"
