"""Plotly figures of the backtest report: equity/drawdown, candles with trades, monthly heatmap.

Long series are thinned before plotting so a report of 6 symbols × 120k 5m bars stays a few
MB: candles are re-bucketed to the smallest timeframe that fits `max_candles` (OHLC kept
exact per bucket), the equity curve keeps each chunk's last value and its deepest drawdown
(so the plotted max drawdown is the true one). Trade markers stay at their exact times and
prices.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from coinpilot.domain.timeframe import Timeframe
from coinpilot.engine.metrics_equity import drawdown

PLOT_TIMEFRAMES = ("1m", "5m", "15m", "1h", "4h", "1d", "1w")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def utc_axis(times: pd.Index | pd.Series) -> np.ndarray:
    """Times for a plotly axis as naive UTC datetime64 values. Tz-aware times reach plotly as
    object arrays of Timestamps, which it deep-copies one by one on every figure export (~0.5 s
    of a 6-symbol report); datetime64 arrays copy as one block and show the same UTC times."""
    index = pd.DatetimeIndex(times)
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    values = index.to_numpy()
    whole = values.astype("datetime64[s]")
    return whole if np.array_equal(whole, values) else values  # '…T02:30:00', no '.000000'


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


def equity_figure(equity: pd.Series, initial_balance: float, max_points: int = 4000) -> go.Figure:
    times, values, dd_pct = thin_equity(equity, initial_balance, max_points)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.7, 0.3],
                        vertical_spacing=0.04, subplot_titles=("Equity (incl. unrealised)", "Drawdown %"))
    x = utc_axis(times)
    fig.add_trace(go.Scatter(x=x, y=values, name="equity", line={"width": 1.5}), row=1, col=1)
    fig.add_hline(y=initial_balance, line={"dash": "dot", "width": 1, "color": "grey"}, row=1, col=1)
    fig.add_trace(
        go.Scatter(x=x, y=-dd_pct, name="drawdown %", fill="tozeroy", line={"color": "#d62728", "width": 1}),
        row=2, col=1,
    )
    fig.update_layout(height=520, margin={"l": 50, "r": 20, "t": 40, "b": 30}, showlegend=False)
    return fig


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


def resample_candles(candles: pd.DataFrame, base: Timeframe, target: Timeframe) -> pd.DataFrame:
    """OHLC re-bucketed to `target` (epoch-aligned like exchange candles), indexed by open time."""
    times = _open_times(candles)
    frame = pd.DataFrame(
        {c: candles[c].to_numpy(dtype=np.float64) for c in ("open", "high", "low", "close")},
        index=times,
    )
    if target == base:
        return frame
    ms = times.as_unit("ms").asi8
    bucket = pd.to_datetime(target.bucket_start_ms(ms), unit="ms", utc=True)
    grouped = frame.groupby(bucket, sort=True)
    return pd.DataFrame({"open": grouped["open"].first(), "high": grouped["high"].max(),
                         "low": grouped["low"].min(), "close": grouped["close"].last()})


def candles_figure(
    symbol: str,
    candles: pd.DataFrame,
    base: Timeframe,
    trades: pd.DataFrame,
    max_candles: int = 3000,
) -> go.Figure:
    """Candles of one symbol (thinned) with each trade's entry and exit at its exact price."""
    target = plot_timeframe(base, len(candles), max_candles)
    ohlc = resample_candles(candles, base, target)
    fig = go.Figure(go.Candlestick(x=utc_axis(ohlc.index), open=ohlc["open"].to_numpy(), high=ohlc["high"].to_numpy(),
                                   low=ohlc["low"].to_numpy(), close=ohlc["close"].to_numpy(), name=f"{symbol} {target}"))
    for side, symbol_marker, color in (("long", "triangle-up", "#2ca02c"), ("short", "triangle-down", "#d62728")):
        part = trades[trades["side"] == side]
        if part.empty:
            continue
        fig.add_trace(go.Scatter(
            x=utc_axis(pd.to_datetime(part["entry_time"], utc=True)), y=part["entry_price"].astype(float).to_numpy(),
            mode="markers", name=f"{side} entry", marker={"symbol": symbol_marker, "size": 9, "color": color},
            text=part["entry_reason"].fillna("").astype(str).tolist(),
            hovertemplate="%{x}<br>entry %{y}<br>%{text}<extra></extra>",
        ))
    if not trades.empty:
        labels = trades["exit_reason"].astype(str) + " " + trades["net_pnl"].map("{:+.2f}".format)
        fig.add_trace(go.Scatter(
            x=utc_axis(pd.to_datetime(trades["exit_time"], utc=True)), y=trades["exit_price"].astype(float).to_numpy(),
            mode="markers", name="exit", marker={"symbol": "x", "size": 8, "color": "#1f1f1f"}, text=labels.tolist(),
            hovertemplate="%{x}<br>exit %{y}<br>%{text}<extra></extra>",
        ))
    fig.update_layout(
        title=f"{symbol} ({target} candles, {len(trades)} trades)", height=480,
        xaxis_rangeslider_visible=False, margin={"l": 50, "r": 20, "t": 40, "b": 30},
    )
    return fig


def monthly_table(monthly: dict[str, float]) -> pd.DataFrame:
    """Monthly returns (%) as years × Jan..Dec, plus the compounded year in 'Year'."""
    if not monthly:
        return pd.DataFrame(columns=[*_MONTHS, "Year"])
    keys = pd.Index(list(monthly))
    years = keys.str.slice(0, 4).astype(int)
    months = keys.str.slice(5, 7).astype(int)
    table = pd.DataFrame(np.nan, index=sorted(set(years)), columns=list(_MONTHS))
    for year, month, value in zip(years, months, monthly.values(), strict=True):
        table.loc[year, _MONTHS[month - 1]] = value
    growth = (1.0 + table[list(_MONTHS)].fillna(0.0) / 100.0).prod(axis=1)
    table["Year"] = 100.0 * (growth - 1.0)
    return table


def monthly_heatmap(monthly: dict[str, float]) -> go.Figure:
    table = monthly_table(monthly)[list(_MONTHS)]
    z = table.to_numpy(dtype=np.float64)
    text = [["" if np.isnan(v) else f"{v:+.2f}%" for v in row] for row in z]
    bound = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 1.0
    fig = go.Figure(go.Heatmap(
        z=z, x=list(_MONTHS), y=[str(y) for y in table.index], text=text, texttemplate="%{text}",
        colorscale="RdYlGn", zmid=0, zmin=-bound, zmax=bound, hoverongaps=False,
        colorbar={"title": "%"},
    ))
    fig.update_layout(height=120 + 40 * len(table), margin={"l": 50, "r": 20, "t": 20, "b": 30},
                      yaxis={"autorange": "reversed", "type": "category"})
    return fig
