"""The backtest report: one self-contained HTML file that opens offline in any browser.

Plotly.js is embedded once in the page head (≈ 4.5 MB), so the file needs no network; the
charts come from `report_charts`. Every section is present even when a run has no trades,
no candles or no rejections, with a one-line notice instead of an empty chart (C57). Each
section has a stable id (summary, validation, equity, monthly, by-symbol, by-exit-reason,
candles, trades, rejections, funding, config) for links and tests.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from coinpilot.engine.jsonsafe import to_jsonable
from coinpilot.engine.metrics import as_trades_frame
from coinpilot.engine.report_charts import (
    candles_figure,
    equity_figure,
    monthly_heatmap,
    monthly_table,
)

if TYPE_CHECKING:
    from coinpilot.engine.results import BacktestResult

SUMMARY_FIELDS = (
    ("Net PnL", "net_pnl"), ("Return %", "return_pct"), ("CAGR %", "cagr_pct"),
    ("Trades", "trades"), ("Wins", "wins"), ("Losses", "losses"), ("Win rate %", "win_rate_pct"),
    ("Profit factor", "profit_factor"), ("Payoff ratio", "payoff_ratio"),
    ("Expectancy / trade", "expectancy"), ("Avg win", "avg_win"), ("Avg loss", "avg_loss"),
    ("Best trade", "best_trade"), ("Worst trade", "worst_trade"),
    ("Max consecutive losses", "max_consecutive_losses"), ("Gross PnL", "gross_pnl"),
    ("Fees", "fees"), ("Funding", "funding"), ("Sharpe", "sharpe"), ("Sortino", "sortino"),
    ("Max drawdown %", "max_drawdown_pct"), ("Max drawdown", "max_drawdown_abs"),
    ("Longest drawdown (days)", "max_drawdown_days"), ("Exposure %", "exposure_pct"),
    ("Initial balance", "initial_balance"), ("Final equity", "final_equity"),
    ("Bars", "bars"), ("Timeframe", "timeframe"), ("Start", "start"), ("End", "end"),
)
BREAKDOWN_COLUMNS = ("trades", "wins", "losses", "win_rate_pct", "profit_factor", "net_pnl",
                     "gross_pnl", "fees", "funding", "expectancy")
TRADE_TABLE_COLUMNS = ("symbol", "side", "entry_time", "entry_price", "exit_time", "exit_price",
                       "qty", "gross_pnl", "fees", "funding", "net_pnl", "exit_reason", "entry_reason")
_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222}
h1{font-size:22px} h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{padding:3px 8px;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}
th{background:#f6f6f6} td.l,th.l{text-align:left} .pos{color:#1a7f37} .neg{color:#c62828}
.note{color:#666;font-style:italic} .PASS{color:#1a7f37} .WARN{color:#b26a00} .FAIL{color:#c62828}
pre{background:#f6f6f6;padding:8px;font-size:12px;overflow:auto}
"""


def format_value(value: Any, digits: int = 2) -> str:
    """Human text for a table cell: thousands separators, ∞ for inf, blank for missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isinf(value):
            return "∞" if value > 0 else "-∞"
        return f"{value:,.{digits}f}"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def html_table(rows: Sequence[Mapping[Any, Any]], columns: Sequence[str], headers: Sequence[str] | None = None,
               digits: Mapping[str, int] | None = None) -> str:
    """An escaped HTML table; numbers right-aligned, PnL-like columns coloured by sign."""
    digits = digits or {}
    head = "".join(f"<th>{html.escape(h)}</th>" for h in (headers or columns))
    body = []
    for row in rows:
        cells = []
        for col in columns:
            value = row.get(col)
            css = "l" if isinstance(value, str) else ""
            if col in ("net_pnl", "profit_abs") and isinstance(value, float) and value:
                css = "pos" if value > 0 else "neg"
            text = html.escape(format_value(value, digits.get(col, 2)))
            cells.append(f'<td class="{css}">{text}</td>' if css else f"<td>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _note(text: str) -> str:
    return f'<p class="note">{html.escape(text)}</p>'


def _section(section_id: str, title: str, content: str) -> str:
    return f'<section id="{section_id}"><h2>{html.escape(title)}</h2>{content}</section>'


def _figure(fig: go.Figure, div_id: str) -> str:
    return str(fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                           config={"displaylogo": False, "responsive": True}))


def _summary(metrics: Mapping[str, Any]) -> str:
    rows = [{"metric": label, "value": metrics.get(key)} for label, key in SUMMARY_FIELDS]
    return html_table(rows, ("metric", "value"), ("Metric", "Value"))


def _breakdown(table: Mapping[str, Mapping[str, Any]], key_name: str) -> str:
    if not table:
        return _note("No trades in this run.")
    rows = [{key_name: key, **stats} for key, stats in table.items()]
    return html_table(rows, (key_name, *BREAKDOWN_COLUMNS))


def _trade_rows(trades: pd.DataFrame, first: int, last: int) -> str:
    if trades.empty:
        return _note("No trades in this run.")
    frame = trades.reset_index(drop=True)
    frame.insert(0, "#", range(1, len(frame) + 1))
    cols = ("#", *TRADE_TABLE_COLUMNS)
    digits = {"entry_price": 6, "exit_price": 6, "qty": 6}

    def records(part: pd.DataFrame) -> list[dict[str, Any]]:  # only the rows shown
        return [{c: _cell(r[c]) for c in cols} for r in part.to_dict("records")]

    n = len(frame)
    if n <= first + last:
        return html_table(records(frame), cols, digits=digits)
    gap = f"<p class='note'>… {n - first - last:,} trades not shown (see trades.csv) …</p>"
    return (f"<p>{n:,} trades: the first {first} and the last {last}.</p>"
            + html_table(records(frame.head(first)), cols, digits=digits) + gap
            + html_table(records(frame.tail(last)), cols, digits=digits))


def _cell(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return value
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return value


def _rejections(frame: pd.DataFrame, limit: int) -> str:
    if frame.empty:
        return _note("No order was rejected.")
    counts = frame.groupby(["rule"], sort=True).size().rename("count").reset_index()
    cols = [c for c in frame.columns]
    rows = [{c: _cell(r[c]) for c in cols} for r in frame.head(limit).to_dict("records")]
    more = _note(f"showing {limit} of {len(frame):,}") if len(frame) > limit else ""
    return (html_table(counts.to_dict("records"), ("rule", "count"), ("Rule", "Rejections"))
            + html_table(rows, cols) + more)


def _funding(frame: pd.DataFrame) -> str:
    if frame.empty:
        return _note("No funding payments.")
    sums = frame.groupby("symbol", sort=True)["amount"].agg(["count", "sum"]).reset_index()
    rows = [{"symbol": r["symbol"], "count": int(r["count"]), "sum": float(r["sum"])} for r in sums.to_dict("records")]
    return html_table(rows, ("symbol", "count", "sum"), ("Symbol", "Payments", "Net received"), {"sum": 4})


def _candles(result: BacktestResult, trades: pd.DataFrame, max_candles: int) -> str:
    if not result.candles:
        return _note("No candles were attached to this result.")
    parts = []
    for i, (symbol, candles) in enumerate(sorted(result.candles.items())):
        own = trades[trades["symbol"] == symbol] if not trades.empty else trades
        if candles.empty:
            parts.append(_note(f"{symbol}: no candles."))
            continue
        fig = candles_figure(symbol, candles, result.timeframe, own, max_candles)
        parts.append(_figure(fig, f"candles-{i}"))
    return "".join(parts)


def _monthly(monthly: Mapping[str, float]) -> str:
    if not monthly:
        return _note("No bars, so no monthly returns.")
    table = monthly_table(dict(monthly))
    rows = [{"year": str(year), **row} for year, row in zip(table.index, table.to_dict("records"), strict=True)]
    return _figure(monthly_heatmap(dict(monthly)), "monthly-heatmap") + html_table(rows, ("year", *table.columns))


def render_report(result: BacktestResult, *, max_candles: int = 3000, table_rows: int = 50) -> str:
    """The whole report as an HTML string (see module docstring for the sections)."""
    metrics = result.metrics.as_dict()
    trades = as_trades_frame(result.trades)
    title = f"Backtest {result.label}"
    status = result.validation.status.value if result.validation is not None else "not run"
    validation = (
        html_table([c.as_dict() for c in result.validation.checks], ("name", "level", "passed", "detail"))
        if result.validation is not None else _note("The validator was not run.")
    )
    equity = (_figure(equity_figure(result.equity, result.initial_balance), "equity-chart")
              if len(result.equity) else _note("No equity curve (no bars)."))
    config = html.escape(json.dumps(to_jsonable(result.config), indent=2, sort_keys=True))
    header = (f"<h1>{html.escape(title)}</h1><p>run <code>{html.escape(result.run_id)}</code> · "
              f"{html.escape(result.timeframe.name)} bars · {html.escape(str(metrics['start']))} → "
              f"{html.escape(str(metrics['end']))} · validation <b class='{status}'>{status}</b></p>")
    sections = [
        _section("summary", "Summary", _summary(metrics)),
        _section("validation", f"Validation: {status}", validation),
        _section("equity", "Equity and drawdown", equity),
        _section("monthly", "Monthly returns %", _monthly(result.metrics.monthly_returns)),
        _section("by-symbol", "By symbol", _breakdown(result.metrics.by_symbol, "symbol")),
        _section("by-exit-reason", "By exit reason", _breakdown(result.metrics.by_exit_reason, "exit_reason")),
        _section("candles", "Price and trades", _candles(result, trades, max_candles)),
        _section("trades", "Trades", _trade_rows(trades, table_rows, table_rows)),
        _section("rejections", "Rejected orders", _rejections(result.rejections, 2 * table_rows)),
        _section("funding", "Funding", _funding(result.funding)),
        _section("config", "Configuration", f"<pre>{config}</pre>"),
    ]
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{_CSS}</style><script type='text/javascript'>{get_plotlyjs()}</script></head>"
            f"<body>{header}{''.join(sections)}</body></html>")


def write_report(result: BacktestResult, path: Path | str, **kwargs: Any) -> Path:
    """Write `render_report` to `path` (UTF-8) and return it."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_report(result, **kwargs), encoding="utf-8")
    return out
