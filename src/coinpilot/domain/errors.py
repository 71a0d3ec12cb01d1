"""Typed errors. Each class says what the caller (bot or human) should do next.

Keep this hierarchy small: code that handles errors branches on these classes, never on
message substrings or vendor codes (those are parsed at the exchange boundary).
"""

from __future__ import annotations


class CoinpilotError(Exception):
    """Base of every error raised on purpose by coinpilot."""


class ConfigError(CoinpilotError):
    """The configuration is invalid. Fix the named field; nothing was started."""


class MissingSecretError(ConfigError):
    """A secret needed for the chosen mode is absent. Set the named environment variable."""


class DataError(CoinpilotError):
    """Market data is unusable as given (missing file, wrong columns, bad values).

    The message names the file or series and the first offending rows; repair or re-import it.
    """


class DataNotFoundError(DataError):
    """No stored data for the requested series. Import it with `coinpilot data import`."""


class UnknownSymbolError(CoinpilotError):
    """The symbol is not listed for that exchange/market. Check spelling and market type."""


class UnknownStrategyError(CoinpilotError):
    """No strategy is registered under that name. `coinpilot strategies` lists them."""


class StrategyError(CoinpilotError):
    """A strategy raised or returned something malformed. The bot skips that decision."""


class LookAheadError(StrategyError):
    """A strategy's decision depends on data after its decision time. Do not trade it."""


class OrderRejected(CoinpilotError):
    """An order broke an exchange rule (filter, precision, notional). Do not retry as is.

    `code` carries the exchange-style error code where one applies (e.g. -1013, -4164).
    """

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class InvalidQuantity(OrderRejected):
    """Quantity below the minimum, above the maximum or rounded to zero. Resize the order."""


class InvalidPrice(OrderRejected):
    """Price outside the allowed range or off the tick. Re-round with the symbol filters."""


class NotionalTooSmall(OrderRejected):
    """price × quantity is below the symbol's minimum notional. Increase size or skip."""


class LeverageError(CoinpilotError):
    """Requested leverage is above what the leverage tier allows for that notional."""


class NonFiniteValueError(CoinpilotError, ValueError):
    """A price, quantity or amount is NaN, infinite or not a number at all.

    The calculation that produced it is broken upstream; skip that decision, never round it.
    """
