"""One run's details in the terminal, the way freqtrade users expect to read a backtest.

At the top, what changed the result before any figure: halts (rule, what it applied to,
from–to, how long, signals refused) and entries refused by rule; a run without a trade says
why. Then per-pair (with the market's own buy-and-hold change over the run), per-exit-reason,
long/short and holding-time tables. The numbers come from `report_data`, like the HTML report's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from coinpilot.engine.report import format_value
from coinpilot.engine.report_data import (
    durations,
    format_duration,
    halt_rows,
    market_change,
    no_trade_reason,
    refusals_by_rule,
    side_breakdown,
)

if TYPE_CHECKING:
    from coinpilot.engine.results import BacktestResult

BREAKDOWN = (
    ("Trades", "trades"), ("Win %", "win_rate_pct"), ("PF", "profit_factor"),
    ("Net PnL", "net_pnl"), ("Avg PnL", "expectancy"), ("Fees", "fees"), ("Funding", "funding"),
)


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", header_style="bold", box=box.SIMPLE_HEAD,
                  pad_edge=False, padding=(0, 0, 0, 1))
    for i, name in enumerate(columns):
        table.add_column(name, justify="left" if i == 0 else "right", no_wrap=True)
    return table


def _money(value: Any, digits: int = 2) -> Text:
    text = format_value(value, digits)
    style = ""
    if isinstance(value, int | float) and value:
        style = "green" if value > 0 else "red"
    return Text(text, style=style)


def _pct(value: float | None) -> Text:
    if value is None:
        return Text("—")
    return Text(f"{value:+.2f}", style="green" if value > 0 else "red" if value < 0 else "")


def _breakdown_table(title: str, key_header: str, rows: Mapping[str, Mapping[str, Any]],
                     extra: Mapping[str, float] | None = None, total: Mapping[str, Any] | None = None) -> Table:
    headers = [key_header, *(h for h, _ in BREAKDOWN)]
    if extra is not None:
        headers.append("Market %")
    table = _table(title, *headers)

    def add(name: str, stats: Mapping[str, Any], market: float | None, style: str = "") -> None:
        cells: list[str | Text] = [name]
        for _, key in BREAKDOWN:
            value = stats.get(key)
            if key in ("net_pnl", "expectancy"):
                cells.append(_money(value))
            else:
                cells.append(format_value(value, 1 if key == "win_rate_pct" else 2))
        if extra is not None:
            cells.append(_pct(market))
        table.add_row(*cells, style=style)

    for name, stats in rows.items():
        add(name, stats, extra.get(name) if extra is not None else None)
    if total is not None:
        market_avg = sum(extra.values()) / len(extra) if extra else None
        add("TOTAL", total, market_avg, style="bold")
    return table


class _Halts:
    """The halts table, sized at print time: with a Reason column on a wide terminal, else
    with the reasons numbered under it, so an 80-column terminal shows every halt whole."""

    WIDE = 150

    def __init__(self, result: BacktestResult) -> None:
        self.rows = halt_rows(result)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        title = f"Halts: {len(self.rows)} (entries stopped by a risk rule)"
        if options.max_width < self.WIDE:  # one entry per halt, wrapped, nothing cut
            yield Text(title, style="italic")
            for row in self.rows:
                until = "end of run" if row.end is None else f"{row.end:%Y-%m-%d %H:%M}"
                line = Text(" ")
                line.append(row.rule, style="bold red")
                line.append(f" · {row.key} · {row.start:%Y-%m-%d %H:%M} → {until} "
                            f"({format_duration(row.duration)}) · {row.refused:,} refused")
                yield line
                yield Text(f"   {row.reason}", style="dim")
            yield Text("")
            return
        table = _table(title)
        for name, width in (("Rule", 18), ("Applies to", 16), ("From", 16), ("To", 16), ("Duration", 8),
                            ("Refused", 7)):
            table.add_column(name, justify="right" if name in ("Duration", "Refused") else "left",
                             no_wrap=True, min_width=width)
        table.add_column("Reason", overflow="fold", ratio=1)
        for row in self.rows:
            until = "end of run" if row.end is None else f"{row.end:%Y-%m-%d %H:%M}"
            table.add_row(Text(row.rule, style="bold red"), row.key, f"{row.start:%Y-%m-%d %H:%M}", until,
                          format_duration(row.duration), f"{row.refused:,}", row.reason)
        yield table


def _halts_table(result: BacktestResult) -> _Halts | None:
    halts = _Halts(result)
    return halts if halts.rows else None


def _refusals_table(result: BacktestResult) -> Table | None:
    counts = refusals_by_rule(result.rejections)
    if not counts:
        return None
    table = _table(f"Refused: {sum(c for _, c in counts):,}", "Rule", "Refused")
    for rule, count in counts:
        table.add_row(rule, f"{count:,}")
    return table


def _durations_table(result: BacktestResult) -> Table | None:
    rows = durations(result).rows
    if not rows:
        return None
    table = _table("Holding time (entry bar to exit bar)", "Trades", "Count", "Avg", "Min", "Max")
    for name, row in rows.items():
        table.add_row(name, f"{row['trades']:,}", format_duration(row["avg"]),
                      format_duration(row["min"]), format_duration(row["max"]))
    return table


def run_details(result: BacktestResult, *, label: str | None = None) -> Group:
    """Everything the terminal shows about one run, above the comparison table."""
    metrics = result.metrics
    name = label or result.label
    parts: list[RenderableType] = [
        Rule(f"[bold]{name}[/] · {result.timeframe.name} · {metrics.start or '?'} → {metrics.end or '?'}",
             align="left"),
    ]
    why = no_trade_reason(result)
    if why:
        parts.append(Text(why, style="bold red"))
    for table in (_halts_table(result), _refusals_table(result)):
        if table is not None:
            parts.append(table)
    market = market_change(result.candles)
    total = {key: metrics.as_dict().get(key) for _, key in BREAKDOWN}
    if metrics.trades or market:
        per_pair = {s: dict(metrics.by_symbol.get(s, {"trades": 0})) for s in sorted({*metrics.by_symbol, *market})}
        parts.append(_breakdown_table("Per pair", "Pair", per_pair, market if market else None, total))
    if metrics.trades:
        parts.append(_breakdown_table("Per exit reason", "Exit reason", metrics.by_exit_reason))
        parts.append(_breakdown_table("Long / short", "Side", side_breakdown(result)))
        held = _durations_table(result)
        if held is not None:
            parts.append(held)
    if market:
        avg = sum(market.values()) / len(market)
        parts.append(Text(f"Market change over the run (buy and hold, equal weight): {avg:+.2f}% "
                          f"· strategy return {metrics.return_pct:+.2f}%"))
    return Group(*parts)
