"""The terminal summary of backtests (CLI `backtest` and `demo`, sweeps, the README demo).

For each full result, first what changed the result (halts, refused entries, and why a run
with no trade made none), then its tables: per pair with the market's own change, per exit
reason, long/short and holding times (`report_details`). Then one row per run comparing them
(or per run × symbol with `by_symbol=True`). Drawdown and Sharpe belong to the whole equity
curve, so per-symbol rows leave them blank rather than show a number that means something else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from coinpilot.engine.jsonsafe import from_jsonable
from coinpilot.engine.metrics import Metrics
from coinpilot.engine.report import format_value
from coinpilot.engine.report_details import run_details

if TYPE_CHECKING:
    from coinpilot.engine.results import BacktestResult

COLUMNS = (
    ("Trades", "trades"), ("Win %", "win_rate_pct"), ("PF", "profit_factor"),
    ("Net PnL", "net_pnl"), ("Fees", "fees"), ("Funding", "funding"),
    ("Max DD %", "max_drawdown_pct"), ("Sharpe", "sharpe"),
)


def _metrics_of(item: Any) -> tuple[str | None, dict[str, Any]]:
    """(label if the item carries one, metrics as a plain dict)."""
    if isinstance(item, Metrics):
        return None, item.as_dict()
    if isinstance(item, Mapping):
        data = from_jsonable(dict(item))  # accepts metrics.json content ("Infinity")
        label = data.get("label") or data.get("strategy")
        return (str(label) if label else None), data
    metrics = getattr(item, "metrics", None)
    if isinstance(metrics, Metrics):
        return str(item.label), metrics.as_dict()
    raise TypeError(f"render_summary: cannot read metrics from {type(item).__name__}")


def summary_rows(
    items: Sequence[Any], *, labels: Sequence[str] | None = None, by_symbol: bool = False
) -> list[dict[str, Any]]:
    """The table's rows as dicts ('run', optional 'symbol', and the COLUMNS keys)."""
    rows: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        own_label, data = _metrics_of(item)
        label = labels[i] if labels is not None else own_label or f"run {i + 1}"
        if not by_symbol:
            rows.append({"run": label, **{key: data.get(key) for _, key in COLUMNS}})
            continue
        for symbol, stats in sorted(data.get("by_symbol", {}).items()):
            row = {"run": label, "symbol": symbol, **{key: stats.get(key) for _, key in COLUMNS}}
            row["max_drawdown_pct"] = row["sharpe"] = None
            rows.append(row)
    return rows


def render_summary(
    items: Sequence[BacktestResult | Metrics | Mapping[str, Any]],
    *,
    labels: Sequence[str] | None = None,
    by_symbol: bool = False,
    title: str = "Backtest summary",
    details: bool = True,
) -> RenderableType:
    """Each result's details (see module docstring), then a table of trades, win %, PF, net
    PnL, fees, funding, max DD % and Sharpe per run.

    `items` are results, Metrics, or metrics dicts (e.g. loaded metrics.json); only results
    have details. `labels` overrides the row names (default: each result's strategy or run
    id); `details=False` gives the comparison table alone.
    """
    if labels is not None and len(labels) != len(items):
        raise ValueError(f"render_summary: {len(labels)} labels for {len(items)} items")
    table = summary_table(items, labels=labels, by_symbol=by_symbol, title=title)
    if not details:
        return table
    from coinpilot.engine.results import BacktestResult  # results imports the report modules

    parts: list[RenderableType] = []
    for i, item in enumerate(items):
        if isinstance(item, BacktestResult):
            parts.append(run_details(item, label=labels[i] if labels is not None else None))
    return Group(*parts, table)


def summary_table(
    items: Sequence[BacktestResult | Metrics | Mapping[str, Any]],
    *,
    labels: Sequence[str] | None = None,
    by_symbol: bool = False,
    title: str = "Backtest summary",
) -> Table:
    """The comparison table alone: one row per run (or per run × symbol)."""
    body: list[list[str | Text]] = []
    for row in summary_rows(items, labels=labels, by_symbol=by_symbol):
        cells: list[str | Text] = [str(row["run"])]
        if by_symbol:
            cells.append(str(row["symbol"]))
        for _, key in COLUMNS:
            value = row[key]
            text = "—" if value is None else format_value(value, 1 if key == "win_rate_pct" else 2)
            style = ""
            if key == "net_pnl" and isinstance(value, int | float) and value:
                style = "green" if value > 0 else "red"
            cells.append(Text(text, style=style))
        body.append(cells)
    table = Table(title=title, title_justify="left", header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 0, 0, 0), show_edge=False)
    table.add_column("Strategy", justify="left", overflow="fold")  # a long name wraps, numbers stay whole
    if by_symbol:
        table.add_column("Symbol", justify="left", overflow="fold")
    offset = 2 if by_symbol else 1
    for j, (header, _) in enumerate(COLUMNS):
        # numbers and headers never get cut (the whole table fits 80 columns); only the names squeeze
        widest = max((len(str(cells[offset + j])) for cells in body), default=1)
        widest = max(widest, len(header))
        table.add_column(header, justify="right", no_wrap=True, min_width=widest)
    for cells in body:
        table.add_row(*cells)
    return table
