"""The backtest report: one self-contained HTML file that opens offline, fast, in any browser.

What a reader needs to trust a run, in the order they need it: at the top what changed the
result (halts, refused entries, why a run made no trade), then the summary, validation,
equity against buy-and-hold, monthly returns, per symbol (with the market's own change),
per exit reason and side, holding times, the distribution of trade returns, the candles at
the strategy's own timeframe with its indicators, each trade's entry, exit, stop and target,
and every trade in a table that sorts and filters.

Why it is built this way: the page embeds plotly.js once (the finance bundle, ~1.2 MB,
`report_assets/`, MIT) and no CDN, so it opens without network; the chart data travel as one
gzip-compressed JSON block (`report_charts` encodes it compactly) that a small script
(`report_assets/report.js`) decodes and draws. The c_score demo run (6 symbols, 3 months of
15m candles) gives a page under 2 MB that draws in well under 2 s; one symbol's candles are
drawn at a time, chosen with a selector.

Every section is present even when a run has no trades, no candles or no rejections, with a
one-line notice instead of an empty chart (C57). Each section has a stable id (see SECTIONS)
for links and tests.
"""

from __future__ import annotations

import base64
import gzip
import html
import json
import math
from collections.abc import Mapping, Sequence
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from coinpilot.engine.jsonsafe import to_jsonable
from coinpilot.engine.metrics import as_trades_frame
from coinpilot.engine.report_charts import (
    MONTHS,
    candle_payload,
    epoch_ms,
    equity_payload,
    monthly_table,
)
from coinpilot.engine.report_data import (
    buy_and_hold_curve,
    durations,
    format_duration,
    halt_rows,
    market_change,
    no_trade_reason,
    refusals_by_rule,
    run_end,
    side_breakdown,
    trade_return_pct,
)

if TYPE_CHECKING:
    from coinpilot.engine.results import BacktestResult

SECTIONS = ("summary", "halts", "validation", "equity", "monthly", "by-symbol", "by-exit-reason",
            "by-side", "durations", "returns", "candles", "trades", "rejections", "funding", "config")
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
_ASSETS = files("coinpilot.engine") / "report_assets"


@cache
def _asset(name: str) -> str:
    return (_ASSETS / name).read_text(encoding="utf-8")


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
            if col in ("net_pnl", "profit_abs", "market_pct") and isinstance(value, float) and value:
                css = "pos" if value > 0 else "neg"
            text = html.escape(format_value(value, digits.get(col, 2)))
            cells.append(f'<td class="{css}">{text}</td>' if css else f"<td>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _note(text: str) -> str:
    return f'<p class="note">{html.escape(text)}</p>'


def _section(section_id: str, title: str, content: str) -> str:
    return f'<section id="{section_id}"><h2>{html.escape(title)}</h2>{content}</section>'


def _chart(div_id: str, height: int) -> str:
    return f'<div id="{div_id}" class="chart" style="height:{height}px"></div>'


def _summary(metrics: Mapping[str, Any]) -> str:
    rows = [{"metric": label, "value": metrics.get(key)} for label, key in SUMMARY_FIELDS]
    return html_table(rows, ("metric", "value"), ("Metric", "Value"))


def _breakdown(table: Mapping[str, Mapping[str, Any]], key_name: str,
               market: Mapping[str, float] | None = None) -> str:
    if not table and not market:
        return _note("No trades in this run.")
    keys = sorted({*table, *(market or {})})
    rows = [{key_name: key, **table.get(key, {"trades": 0}),
             **({"market_pct": market.get(key)} if market is not None else {})} for key in keys]
    columns = (key_name, *BREAKDOWN_COLUMNS, *(("market_pct",) if market is not None else ()))
    return html_table(rows, columns, [*columns[:-1], "market % (buy and hold)"] if market is not None else None)


def _cell(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return value
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return value


def _alerts(result: BacktestResult) -> str:
    """What changed the result, above everything else: halts, refused entries, no trade."""
    parts = []
    why = no_trade_reason(result)
    if why:
        parts.append(f'<p class="alert">{html.escape(why)}</p>')
    halts = halt_rows(result)
    if halts:
        total = sum(h.refused for h in halts)
        parts.append(f'<p class="alert">{len(halts)} halt(s) stopped entries ({total:,} signals refused): '
                     f'<a href="#halts">see Halts</a>.</p>')
    counts = refusals_by_rule(result.rejections)
    if counts:
        text = ", ".join(f"{rule} ×{n:,}" for rule, n in counts)
        parts.append(f'<p class="warn">Refused entries and orders: {html.escape(text)} '
                     f'(<a href="#rejections">details</a>).</p>')
    return "".join(parts)


def _halts(result: BacktestResult) -> str:
    rows = halt_rows(result)
    if not rows:
        return _note("No risk rule halted entries in this run.")
    table = html_table(
        [{"rule": r.rule, "key": r.key, "start": r.start, "end": r.end if r.end is not None else "end of run",
          "duration": format_duration(r.duration), "refused": r.refused, "reason": r.reason} for r in rows],
        ("rule", "key", "start", "end", "duration", "refused", "reason"),
        ("Rule", "Applies to", "From", "To", "Duration", "Signals refused", "Reason"),
    )
    return _chart("halts-chart", 80 + 28 * len({(r.rule, r.key) for r in rows})) + table


def _rejections(frame: pd.DataFrame, limit: int) -> str:
    if frame.empty:
        return _note("No order was rejected.")
    counts = [{"rule": rule, "count": n} for rule, n in refusals_by_rule(frame)]
    cols = [c for c in frame.columns]
    rows = [{c: _cell(r[c]) for c in cols} for r in frame.head(limit).to_dict("records")]
    more = _note(f"showing the first {limit} of {len(frame):,} (all in rejections.csv)") if len(frame) > limit else ""
    return html_table(counts, ("rule", "count"), ("Rule", "Refused")) + html_table(rows, cols) + more


def _funding(frame: pd.DataFrame) -> str:
    if frame.empty:
        return _note("No funding payments.")
    sums = frame.groupby("symbol", sort=True)["amount"].agg(["count", "sum"]).reset_index()
    rows = [{"symbol": r["symbol"], "count": int(r["count"]), "sum": float(r["sum"])} for r in sums.to_dict("records")]
    return html_table(rows, ("symbol", "count", "sum"), ("Symbol", "Payments", "Net received"), {"sum": 4})


def _monthly(monthly: Mapping[str, float]) -> str:
    """Monthly returns as a table whose cells are shaded by sign and size (a heatmap in HTML)."""
    if not monthly:
        return _note("No bars, so no monthly returns.")
    table = monthly_table(dict(monthly))
    values = table[list(MONTHS)].to_numpy(dtype=np.float64)
    bound = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 1.0
    head = "".join(f"<th>{h}</th>" for h in ("Year", *table.columns))
    body = []
    for year, row in zip(table.index, table.to_dict("records"), strict=True):
        cells = [f"<td class='l'>{year}</td>"]
        for col in table.columns:
            value = row[col]
            if value is None or (isinstance(value, float) and math.isnan(value)):
                cells.append("<td></td>")
                continue
            alpha = min(1.0, abs(value) / bound) * 0.6 if bound and col != "Year" else 0.0
            rgb = "26,127,55" if value > 0 else "198,40,40"
            cells.append(f"<td style='background:rgba({rgb},{alpha:.2f})'>{value:+.2f}%</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table class='monthly'><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _durations(result: BacktestResult) -> str:
    rows = durations(result).rows
    if not rows:
        return _note("No trades in this run.")
    table = html_table(
        [{"group": k, "trades": v["trades"], "avg": format_duration(v["avg"]), "min": format_duration(v["min"]),
          "max": format_duration(v["max"])} for k, v in rows.items()],
        ("group", "trades", "avg", "min", "max"), ("Trades", "Count", "Avg", "Min", "Max"),
    )
    return (table + _note("Holding time from the entry bar's open to the exit bar's open.")
            + _chart("durations-chart", 300))


def _levels(meta: Any, key: str) -> float | None:
    value = meta.get(key) if isinstance(meta, Mapping) else None
    try:
        number = float(value) if value is not None else math.nan
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _trades_payload(trades: pd.DataFrame) -> dict[str, Any]:
    """Every trade as columns (symbols and reasons as indexes into lists: far smaller)."""
    if trades.empty:
        return {"n": 0}
    symbols = sorted(trades["symbol"].astype(str).unique())
    exits = sorted(trades["exit_reason"].astype(str).unique())
    entries = list(dict.fromkeys(trades["entry_reason"].fillna("").astype(str)))
    where = {s: i for i, s in enumerate(symbols)}
    exit_at = {s: i for i, s in enumerate(exits)}
    entry_at = {s: i for i, s in enumerate(entries)}
    meta = trades["meta"] if "meta" in trades.columns else pd.Series([{}] * len(trades))

    def floats(col: str) -> list[float]:
        return [float(v) for v in trades[col].astype(float)]

    return {
        "n": len(trades), "symbols": symbols, "exit_reasons": exits, "entry_reasons": entries,
        "sym": [where[s] for s in trades["symbol"].astype(str)],
        "side": [1 if s == "long" else -1 for s in trades["side"].astype(str)],
        "et": epoch_ms(trades["entry_time"]).tolist(), "xt": epoch_ms(trades["exit_time"]).tolist(),
        "ep": floats("entry_price"), "xp": floats("exit_price"), "qty": floats("qty"),
        "net": [round(v, 6) for v in floats("net_pnl")], "fees": [round(v, 6) for v in floats("fees")],
        "fund": [round(v, 6) for v in floats("funding")],
        "ret": [round(float(v), 4) for v in trade_return_pct(trades)],
        "xr": [exit_at[s] for s in trades["exit_reason"].astype(str)],
        "er": [entry_at[s] for s in trades["entry_reason"].fillna("").astype(str)],
        "sl": [_levels(m, "initial_stop") for m in meta], "tp": [_levels(m, "initial_target") for m in meta],
    }


def _payload(result: BacktestResult, trades: pd.DataFrame, max_candles: int) -> dict[str, Any]:
    data: dict[str, Any] = {"trades": _trades_payload(trades), "candles": {}, "halts": []}
    if len(result.equity):
        hold = buy_and_hold_curve(result.candles, result.timeframe.ms, result.initial_balance, result.equity.index)
        data["equity"] = equity_payload(result.equity, result.initial_balance, hold)
    for symbol, candles in sorted(result.candles.items()):
        if candles.empty:
            continue
        data["candles"][symbol] = candle_payload(
            candles, result.timeframe, result.indicators.get(symbol), result.plot_columns, max_candles)
    end = run_end(result)
    for row in halt_rows(result):
        stop = row.end if row.end is not None else end
        if stop is None:
            continue
        data["halts"].append({"label": f"{row.rule} · {row.key}", "start": pd.Timestamp(row.start).value // 1_000_000,
                              "end": pd.Timestamp(stop).value // 1_000_000, "open": row.end is None,
                              "refused": row.refused, "reason": row.reason})
    return data


def encode_payload(data: Mapping[str, Any]) -> str:
    """The chart data as base64 of gzip-compressed JSON (the page inflates it natively)."""
    raw = json.dumps(to_jsonable(dict(data)), separators=(",", ":"), allow_nan=False).encode()
    return base64.b64encode(gzip.compress(raw, compresslevel=9, mtime=0)).decode("ascii")


def _candles_section(result: BacktestResult, payload: Mapping[str, Any]) -> str:
    if not payload["candles"]:
        return _note("No candles were attached to this result.")
    options = "".join(f"<option>{html.escape(s)}</option>" for s in payload["candles"])
    first = next(iter(payload["candles"].values()))
    how = (f"{first['tf']} candles (the strategy's timeframe)" if first["tf"] == first["base"]
           else f"{first['tf']} candles ({first['base']} bars merged to keep the page small)")
    lines = ", ".join(result.plot_columns) or "none declared"
    return (f"<p><label>Symbol <select id='candles-symbol'>{options}</select></label> · {how} · "
            f"indicators: {html.escape(lines)} · dashed lines: each trade's initial stop (red) and "
            f"target (green); thin lines link entry to exit. Click a trade in the table to jump to it.</p>"
            + _chart("candles-chart", 640))


def _trades_section(payload: Mapping[str, Any]) -> str:
    if not payload["trades"]["n"]:
        return _note("No trades in this run.")
    return ("<div class='filters'><label>Symbol <select id='f-symbol'><option value=''>all</option></select></label>"
            "<label>Side <select id='f-side'><option value=''>all</option><option value='1'>long</option>"
            "<option value='-1'>short</option></select></label>"
            "<label>Exit <select id='f-exit'><option value=''>all</option></select></label>"
            "<label>Result <select id='f-result'><option value=''>all</option><option value='win'>winners</option>"
            "<option value='loss'>losers</option></select></label>"
            "<label>Reason contains <input id='f-text' type='search'></label> <span id='trades-count'></span></div>"
            "<div class='scroll'><table id='trades-table'><thead></thead><tbody></tbody></table></div>")


def render_report(result: BacktestResult, *, max_candles: int = 9000, rejection_rows: int = 100) -> str:
    """The whole report as an HTML string (see module docstring for the sections)."""
    metrics = result.metrics.as_dict()
    trades = as_trades_frame(result.trades)
    title = f"Backtest {result.label}"
    status = result.validation.status.value if result.validation is not None else "not run"
    validation = (
        html_table([c.as_dict() for c in result.validation.checks], ("name", "level", "passed", "detail"))
        if result.validation is not None else _note("The validator was not run.")
    )
    payload = _payload(result, trades, max_candles)
    market = market_change(result.candles)
    bench = (f"<p>Market over the run (buy and hold, equal weight, no fees): "
             f"<b>{sum(market.values()) / len(market):+.2f}%</b> · strategy {result.metrics.return_pct:+.2f}%</p>"
             if market else "")
    equity = (bench + _chart("equity-chart", 520)) if len(result.equity) else _note("No equity curve (no bars).")
    config = html.escape(json.dumps(to_jsonable(result.config), indent=2, sort_keys=True))
    header = (f"<h1>{html.escape(title)}</h1><p>run <code>{html.escape(result.run_id)}</code> · "
              f"{html.escape(result.timeframe.name)} bars · {html.escape(str(metrics['start']))} → "
              f"{html.escape(str(metrics['end']))} · validation <b class='{status}'>{status}</b></p>")
    returns = _chart("returns-chart", 300) if len(trades) else _note("No trades in this run.")
    sections = [
        _section("summary", "Summary", _alerts(result) + _summary(metrics)),
        _section("halts", "Halts", _halts(result)),
        _section("validation", f"Validation: {status}", validation),
        _section("equity", "Equity, drawdown and buy-and-hold", equity),
        _section("monthly", "Monthly returns %", _monthly(result.metrics.monthly_returns)),
        _section("by-symbol", "By symbol", _breakdown(result.metrics.by_symbol, "symbol", market)),
        _section("by-exit-reason", "By exit reason", _breakdown(result.metrics.by_exit_reason, "exit_reason")),
        _section("by-side", "Long / short", _breakdown(side_breakdown(result), "side")),
        _section("durations", "Holding time", _durations(result)),
        _section("returns", "Distribution of trade returns (% of entry notional)", returns),
        _section("candles", "Price, indicators and trades", _candles_section(result, payload)),
        _section("trades", "Trades", _trades_section(payload)),
        _section("rejections", "Refused entries and orders", _rejections(result.rejections, rejection_rows)),
        _section("funding", "Funding", _funding(result.funding)),
        _section("config", "Configuration", f"<pre>{config}</pre>"),
    ]
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{_asset('report.css')}</style><script>{_asset('plotly-finance.min.js')}</script></head>"
            f"<body>{header}{''.join(sections)}"
            f"<script id='report-data' type='application/octet-stream'>{encode_payload(payload)}</script>"
            f"<script>{_asset('report.js')}</script></body></html>")


def write_report(result: BacktestResult, path: Path | str, **kwargs: Any) -> Path:
    """Write `render_report` to `path` (UTF-8) and return it."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_report(result, **kwargs), encoding="utf-8")
    return out
