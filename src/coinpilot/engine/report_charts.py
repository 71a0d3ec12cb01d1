"""The report's chart data, compact: what the page's plotly.js draws from.

Why compact: a report of 6 symbols × 3 months of 15m candles with the strategy's indicators
is several MB as plotly figure JSON, and a report that takes 10 s to open is not read. So
series go into the page as integers at a fixed decimal precision, delta-coded (consecutive
prices differ by a few units, which gzip packs to about a byte), and the page decodes them.
Precision is exact to the tick for candles (6 significant digits of the symbol's median
price) and 4 digits for indicator lines; trades keep their exact prices.

Long series are thinned before that: candles are re-bucketed to the finest timeframe, no
finer than the strategy's own, that shows the span in `max_candles` (OHLC kept exact per
bucket, indicators at each bucket's close); the equity curve keeps each chunk's last value
and its deepest drawdown (so the plotted max drawdown is the true one).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from coinpilot.domain.timeframe import Timeframe
from coinpilot.engine.metrics_equity import drawdown

PLOT_TIMEFRAMES = ("1m", "5m", "15m", "30m", "1h", "2h", "4h", "1d", "1w")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
PRICE_DIGITS = 6  # candles: the tick of every Binance USDT-M symbol
LINE_DIGITS = 4  # indicator lines: 0.01 % of the level, below a pixel at any sensible zoom


def epoch_ms(times: pd.Index | pd.Series | np.ndarray) -> np.ndarray:
    """UTC instants as int64 epoch milliseconds (naive times are read as UTC)."""
    index = pd.DatetimeIndex(pd.to_datetime(times, utc=True))
    return np.asarray(index.as_unit("ms").asi8, dtype=np.int64)


def decimals_for(values: np.ndarray, significant: int) -> int:
    """Decimal places that keep `significant` digits of the typical magnitude (may be < 0)."""
    finite = np.abs(values[np.isfinite(values)])
    finite = finite[finite > 0]
    if finite.size == 0:
        return 2
    magnitude = math.floor(math.log10(float(np.median(finite))))
    return max(-6, min(12, significant - 1 - magnitude))


def encode_series(values: np.ndarray | pd.Series, decimals: int) -> dict[str, Any]:
    """{'p': decimals, 'd': delta-coded integers, 'nan': positions of missing values}.

    The page rebuilds value[i] = (d[0] + … + d[i]) / 10**p; a missing value repeats the
    previous integer (delta 0) and is listed in 'nan'."""
    array = np.asarray(values, dtype=np.float64)
    missing = ~np.isfinite(array)
    scaled = pd.Series(np.where(missing, np.nan, np.rint(array * 10.0**decimals))).ffill().fillna(0.0)
    ints = scaled.to_numpy(dtype=np.int64)
    return {"p": decimals, "d": np.diff(ints, prepend=0).tolist(), "nan": np.flatnonzero(missing).tolist()}


def encode_times(ms: np.ndarray) -> dict[str, Any]:
    """{'s': step ms, 'd': delta-coded multiples of the step}: regular bars cost ~nothing."""
    if ms.size == 0:
        return {"s": 1000, "d": []}
    step = int(np.gcd.reduce(np.append(np.diff(ms), ms[0]))) or 1000
    return {"s": step, "d": np.diff(ms // step, prepend=0).tolist()}


def thin_equity(
    equity: pd.Series, initial_balance: float, max_points: int
) -> tuple[pd.DatetimeIndex, np.ndarray, np.ndarray]:
    """(times, equity, drawdown %) with at most ~max_points points, drawdown troughs kept."""
    values = equity.to_numpy(dtype=np.float64)
    _, dd_pct = drawdown(values, initial_balance)
    times = pd.DatetimeIndex(equity.index)
    if values.size <= max_points:
        return times, values, dd_pct
    step = -(-values.size // max_points)
    starts = np.arange(0, values.size, step)
    ends = np.minimum(starts + step, values.size) - 1
    return times[ends], values[ends], np.maximum.reduceat(dd_pct, starts)


def equity_payload(
    equity: pd.Series, initial_balance: float, benchmark: pd.Series | None, max_points: int = 2000
) -> dict[str, Any]:
    """Equity (incl. unrealised), drawdown % and the buy-and-hold benchmark at the same times."""
    times, values, dd_pct = thin_equity(equity, initial_balance, max_points)
    out: dict[str, Any] = {
        "t": encode_times(epoch_ms(times)), "equity": encode_series(values, 2),
        "dd": encode_series(-dd_pct, 2), "initial": initial_balance,
    }
    if benchmark is not None:
        out["hold"] = encode_series(benchmark.reindex(times).to_numpy(dtype=np.float64), 2)
    return out


def plot_timeframe(base: Timeframe, bars: int, max_candles: int) -> Timeframe:
    """The finest timeframe, no finer than the data's, that shows the span in <= max_candles."""
    span_ms = bars * base.ms
    for name in PLOT_TIMEFRAMES:
        tf = Timeframe.parse(name)
        if base.divides(tf) and span_ms / tf.ms <= max_candles:
            return tf
    return Timeframe.parse(PLOT_TIMEFRAMES[-1])


def _open_times(candles: pd.DataFrame) -> pd.DatetimeIndex:
    raw = candles["open_time"] if "open_time" in candles.columns else candles.index.to_series()
    return pd.DatetimeIndex(pd.to_datetime(raw, utc=True))


def resample_candles(candles: pd.DataFrame, base: Timeframe, target: Timeframe,
                     extra: pd.DataFrame | None = None) -> pd.DataFrame:
    """OHLC re-bucketed to `target` (epoch-aligned like exchange candles), indexed by open time;
    `extra` columns (row for row with candles, e.g. indicators) keep each bucket's last value,
    the one known when the bucket closed."""
    times = _open_times(candles)
    frame = pd.DataFrame(
        {c: candles[c].to_numpy(dtype=np.float64) for c in ("open", "high", "low", "close")},
        index=times,
    )
    if extra is not None:
        for col in extra.columns:
            frame[col] = extra[col].to_numpy(dtype=np.float64)
    if target == base:
        return frame
    ms = times.as_unit("ms").asi8
    bucket = pd.to_datetime(target.bucket_start_ms(ms), unit="ms", utc=True)
    grouped = frame.groupby(bucket, sort=True)
    out = {"open": grouped["open"].first(), "high": grouped["high"].max(),
           "low": grouped["low"].min(), "close": grouped["close"].last()}
    for col in extra.columns if extra is not None else ():
        out[col] = grouped[col].last()
    return pd.DataFrame(out)


def candle_payload(
    candles: pd.DataFrame, base: Timeframe, indicators: pd.DataFrame | None,
    panels: Mapping[str, str], max_candles: int,
) -> dict[str, Any]:
    """One symbol's candles and indicator lines, thinned and encoded (see module docstring)."""
    target = plot_timeframe(base, len(candles), max_candles)
    columns = [c for c in panels if indicators is not None and c in indicators.columns]
    ohlc = resample_candles(candles, base, target, indicators[columns] if indicators is not None and columns else None)
    o, h, lo, c = (ohlc[k].to_numpy(dtype=np.float64) for k in ("open", "high", "low", "close"))
    p = decimals_for(c, PRICE_DIGITS)
    lines = []
    for col in columns:
        values = ohlc[col].to_numpy(dtype=np.float64)
        digits = decimals_for(values if panels[col] != "price" else c, LINE_DIGITS)
        lines.append({"name": col, "panel": panels[col], **encode_series(values, digits)})
    # open as deltas; high/low as distances above/below the body; close from the open:
    # each is a few units, and the page rebuilds the exact rounded prices
    scale = 10.0**p
    oi, hi, li, ci = (np.rint(np.nan_to_num(x) * scale).astype(np.int64) for x in (o, h, lo, c))
    return {
        "tf": target.name, "base": base.name, "bars": len(candles), "p": p,
        "t": encode_times(epoch_ms(ohlc.index)),
        "o": np.diff(oi, prepend=0).tolist(), "h": (hi - np.maximum(oi, ci)).tolist(),
        "l": (np.minimum(oi, ci) - li).tolist(), "c": (ci - oi).tolist(), "lines": lines,
    }


def monthly_table(monthly: dict[str, float]) -> pd.DataFrame:
    """Monthly returns (%) as years × Jan..Dec, plus the compounded year in 'Year'."""
    if not monthly:
        return pd.DataFrame(columns=[*MONTHS, "Year"])
    keys = pd.Index(list(monthly))
    years = keys.str.slice(0, 4).astype(int)
    months = keys.str.slice(5, 7).astype(int)
    table = pd.DataFrame(np.nan, index=sorted(set(years)), columns=list(MONTHS))
    for year, month, value in zip(years, months, monthly.values(), strict=True):
        table.loc[year, MONTHS[month - 1]] = value
    growth = (1.0 + table[list(MONTHS)].fillna(0.0) / 100.0).prod(axis=1)
    table["Year"] = 100.0 * (growth - 1.0)
    return table
