"""Inputs that only the freqtrade-compatible profile needs: ticks, funding, the ROI trigger.

freqtrade 2026.9 (shared/bench/REFERENCE_STRATEGY.md part 2) does three things a plain bar
loop does not, each prepared here as arrays so the compiled loop stays generic:

- Without exchange precision it infers a tick per *calendar month* from the largest number
  of decimals among that month's open/high/low/close (`monthly_price_decimals`).
- In futures mode it charges funding at every funding timestamp while a trade is open:
  `-side * amount * mark * rate`, where mark is the mark-price candle *open* at the funding
  time (freqtrade inner-joins the funding-rate and mark candles on their timestamps). This
  was checked against freqtrade's own `funding_fees` column: 4759/4759 trades identical to
  the last bit with the open, 2579 off with the close. `funding_schedule` does the join.
- Its ROI compares the profit ratio *rounded to 8 decimals* strictly against the ROI, so
  the trigger is "ratio >= the smallest float that rounds above roi" (`net_roi_trigger`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from numba import njit

from coinpilot.domain.errors import DataError
from coinpilot.engine.fastpath_rules import count_decimals

HOUR_MS = 3_600_000


@dataclass(frozen=True, slots=True)
class FundingSchedule:
    """Funding events of one symbol: time (ms, sorted) and rate × mark price per unit held.

    A position of `qty` pays `qty * per_unit[k]` at `times_ms[k]` (longs pay positive rates).
    """

    times_ms: np.ndarray  # int64
    per_unit: np.ndarray  # float64

    @classmethod
    def empty(cls) -> FundingSchedule:
        return cls(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64))


def funding_schedule(
    funding_times_ms: np.ndarray, rates: np.ndarray, mark_times_ms: np.ndarray, mark_prices: np.ndarray,
) -> FundingSchedule:
    """Join funding rates with the mark price at the same hour, as freqtrade does.

    Funding timestamps can carry millisecond offsets (16:00:00.011), so both sides are
    floored to the hour before the join; a funding time without a mark candle is dropped
    (freqtrade's inner join does the same). `mark_prices` should be the mark candles' *open*
    (the mark at the funding instant) for freqtrade parity.
    """
    f_t = np.asarray(funding_times_ms, dtype=np.int64)
    f_r = np.asarray(rates, dtype=np.float64)
    m_t = np.asarray(mark_times_ms, dtype=np.int64)
    m_p = np.asarray(mark_prices, dtype=np.float64)
    if f_t.shape != f_r.shape or m_t.shape != m_p.shape:
        raise DataError(
            f"funding_schedule: times and values differ in length (funding {f_t.shape} vs "
            f"{f_r.shape}, mark {m_t.shape} vs {m_p.shape}); pass columns of the same frame"
        )
    f_hour = f_t - f_t % HOUR_MS
    m_hour = m_t - m_t % HOUR_MS
    if np.any(np.diff(f_hour) <= 0) or np.any(np.diff(m_hour) <= 0):
        raise DataError(
            "funding_schedule: funding and mark times must be strictly increasing per hour; "
            "deduplicate and sort the series first"
        )
    pos = np.searchsorted(m_hour, f_hour)
    found = pos < m_hour.shape[0]
    found[found] = m_hour[pos[found]] == f_hour[found]
    keep = found & ~np.isnan(f_r)
    # rate × mark first, then × qty in the loop: freqtrade's `open_fund * open_mark * amount`
    return FundingSchedule(f_hour[keep], f_r[keep] * m_p[pos[keep]])


@njit(cache=True)
def _month_id(ms: int) -> int:
    """year*12 + month-1 of a UTC epoch-ms time (civil-from-days, proleptic Gregorian)."""
    z = ms // 86_400_000 + 719_468
    era = (z if z >= 0 else z - 146_096) // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1_460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    month = mp + 3 if mp < 10 else mp - 9
    year = yoe + era * 400 + (1 if month <= 2 else 0)
    return year * 12 + month - 1


@njit(cache=True)
def _month_start_ms(month_id: int) -> int:
    """Epoch ms of 00:00 UTC on the first day of month `month_id` (days-from-civil)."""
    year = month_id // 12
    month = month_id % 12 + 1
    y = year - 1 if month <= 2 else year
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    mp = month - 3 if month > 2 else month + 9
    doy = (153 * mp + 2) // 5
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return (era * 146_097 + doe - 719_468) * 86_400_000


@njit(cache=True)
def _monthly_decimals(
    open_: np.ndarray, high: np.ndarray, low: np.ndarray, close: np.ndarray, times_ms: np.ndarray,
) -> np.ndarray:
    n = open_.shape[0]
    out = np.empty(n, dtype=np.int64)
    start = 0
    best = 0
    month = _month_id(times_ms[0]) if n > 0 else 0
    lo, hi = _month_start_ms(month), _month_start_ms(month + 1)
    for i in range(n + 1):
        if i == n or times_ms[i] < lo or times_ms[i] >= hi:  # close the previous month's run
            out[start:i] = best
            if i == n:
                break
            start, best, month = i, 0, _month_id(times_ms[i])
            lo, hi = _month_start_ms(month), _month_start_ms(month + 1)
        # one cheap test per price: does it still fit the month's decimals so far?
        for x in (open_[i], high[i], low[i], close[i]):
            if not _fits(x, best):
                best = max(best, count_decimals(x))
    return out


@njit(cache=True)
def _fits(x: float, decimals: int) -> bool:
    scale = 10.0**decimals
    return round(x * scale) / scale == x or not np.isfinite(x)


def monthly_price_decimals(
    open_: np.ndarray, high: np.ndarray, low: np.ndarray, close: np.ndarray, times_ms: np.ndarray,
) -> np.ndarray:
    """Per bar: the most decimals any OHLC price shows in the bar's calendar month (UTC).

    freqtrade's `get_tick_size_over_time` uses 10**-decimals as the tick of that month. A
    month's value depends on bars later in the same month; freqtrade does the same, and the
    tick only rounds prices, it never decides a signal. Bars must be in time order (a month
    is a run of consecutive bars).
    """
    return _monthly_decimals(
        np.ascontiguousarray(open_, dtype=np.float64), np.ascontiguousarray(high, dtype=np.float64),
        np.ascontiguousarray(low, dtype=np.float64), np.ascontiguousarray(close, dtype=np.float64),
        np.ascontiguousarray(times_ms, dtype=np.int64),
    )


def net_roi_trigger(roi: np.ndarray) -> np.ndarray:
    """Per value: the smallest float r with float(f"{r:.8f}") > roi (NaN stays NaN).

    freqtrade rounds the profit ratio to 8 decimals before `ratio > roi`; comparing the raw
    ratio against this threshold is the same test without formatting in the loop.
    """
    values = np.asarray(roi, dtype=np.float64)
    out = np.full(values.shape, np.nan)
    where = np.flatnonzero(~np.isnan(values))  # only signal bars carry a value
    present = values[where]
    for value in np.unique(present):
        exact = Decimal(repr(float(value)))
        grid = exact.quantize(Decimal("1e-8"), rounding="ROUND_FLOOR") + Decimal("1e-8")
        midpoint = grid - Decimal("5e-9")  # anything above rounds to >= grid, i.e. > roi
        threshold = float(midpoint)
        if Decimal(threshold) <= midpoint:
            threshold = math.nextafter(threshold, math.inf)
        out[where[present == value]] = threshold
    return out
