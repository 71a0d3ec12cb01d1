"""Candle timeframes as fixed durations.

Only fixed-length timeframes are supported (1m … 1d, 1w); Binance and Upbit candles of these
sizes open on multiples of the duration since the Unix epoch (UTC), which resampling relies on.
Weekly candles on Binance open on Monday, so '1w' carries an epoch offset of 4 days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

_UNIT_MS = {"m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_ALIASES = {
    # pyupbit / Upbit names
    "minute1": "1m", "minute3": "3m", "minute5": "5m", "minute10": "10m", "minute15": "15m",
    "minute30": "30m", "minute60": "1h", "minute240": "4h", "day": "1d", "days": "1d",
    "week": "1w", "weeks": "1w",
}


@dataclass(frozen=True, slots=True, order=True)
class Timeframe:
    """A candle duration, e.g. Timeframe.parse('5m')."""

    ms: int
    name: str

    @classmethod
    def parse(cls, text: str | Timeframe) -> Timeframe:
        if isinstance(text, Timeframe):
            return text
        raw = str(text).strip()
        key = _ALIASES.get(raw.lower(), raw)
        if len(key) < 2 or key[-1] not in _UNIT_MS or not key[:-1].isdigit() or int(key[:-1]) <= 0:
            raise ValueError(
                f"unknown timeframe {text!r}: use a number and a unit m/h/d/w, e.g. '5m', '1h', '1d'"
            )
        n = int(key[:-1])
        return cls(ms=n * _UNIT_MS[key[-1]], name=f"{n}{key[-1]}")

    @property
    def delta(self) -> pd.Timedelta:
        return pd.Timedelta(milliseconds=self.ms)

    @property
    def offset_ms(self) -> int:
        """Epoch offset of bucket boundaries (Binance weeks start on Monday 00:00 UTC)."""
        return 4 * 86_400_000 if self.name.endswith("w") else 0

    @property
    def periods_per_year(self) -> float:
        return 365 * 86_400_000 / self.ms

    def bucket_start_ms(self, open_ms: np.ndarray) -> np.ndarray:
        """Open time of the candle of this timeframe that contains each timestamp."""
        off = self.offset_ms
        return ((open_ms - off) // self.ms) * self.ms + off

    def divides(self, other: Timeframe) -> bool:
        """True if candles of `other` are whole multiples of this timeframe."""
        return other.ms % self.ms == 0 and other.ms >= self.ms

    def __str__(self) -> str:
        return self.name


def parse_utc(text: str | pd.Timestamp) -> pd.Timestamp:
    """A user-given time as a UTC Timestamp; naive times are UTC.

    Raises ValueError saying what was given and which forms are accepted, so a command can
    name its option in the message (`--start 2025-13-45` is a one-line error, not a trace).
    """
    try:
        ts = pd.Timestamp(text)
    except (ValueError, TypeError, OverflowError):
        raise ValueError(f"not a time: {text!r} (use e.g. 2025-02-01 or 2025-02-01T12:00, UTC)") from None
    if ts is pd.NaT or pd.isna(ts):
        raise ValueError(f"not a time: {text!r} (use e.g. 2025-02-01 or 2025-02-01T12:00, UTC)")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
