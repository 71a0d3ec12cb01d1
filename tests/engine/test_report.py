"""HTML report (offline, every section, empty runs, size bound) and the rich summary table."""

from __future__ import annotations

import base64
import gzip
import json
import math
import re
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from coinpilot.domain.enums import Side
from coinpilot.domain.timeframe import Timeframe
from coinpilot.domain.trade import ExitReason, Trade
from coinpilot.engine.metrics_equity import drawdown
from coinpilot.engine.report import SECTIONS, format_value, render_report, write_report
from coinpilot.engine.report_charts import (
    monthly_table,
    plot_timeframe,
    resample_candles,
    thin_equity,
)
from coinpilot.engine.report_summary import render_summary, summary_rows
from coinpilot.engine.results import BacktestResult, build_result

VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source", "embed"}


class Structure(HTMLParser):
    """Collects ids, script sources and checks that every opened tag is closed in order."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.ids: list[str] = []
        self.script_src: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(str(found["id"]))
        if tag == "script" and found.get("src"):
            self.script_src.append(str(found["src"]))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> with open {self.stack[-3:]}")
            return
        self.stack.pop()


def parse(text: str) -> Structure:
    parser = Structure()
    parser.feed(text)
    parser.close()
    assert parser.errors == []
    assert parser.stack == []
    return parser


def payload_of(text: str) -> dict[str, Any]:
    """The chart data block of a report, decoded as the page does."""
    found = re.search(r"<script id='report-data' type='application/octet-stream'>([^<]*)</script>", text)
    assert found is not None
    return dict(json.loads(gzip.decompress(base64.b64decode(found.group(1)))))


def sample_candles(sample_dir: Path, symbol: str) -> pd.DataFrame:
    return pd.read_parquet(sample_dir / "binance" / "futures" / symbol / "5m.parquet")


def trades_on(candles: pd.DataFrame, symbol: str, every: int = 400) -> list[Trade]:
    """Round trips of 10 bars each on real sample candles (net PnL from the real closes)."""
    out = []
    for k, i in enumerate(range(50, len(candles) - 20, every)):
        side = Side.LONG if k % 2 == 0 else Side.SHORT
        entry, exit_ = Decimal(str(candles["open"].iat[i])), Decimal(str(candles["open"].iat[i + 10]))
        qty = Decimal(100) / entry
        gross = side.sign * qty * (exit_ - entry)
        fees = Decimal("0.0004") * qty * (entry + exit_)
        out.append(Trade(
            symbol=symbol, side=side, strategy="demo", entry_time=candles["open_time"].iat[i],
            entry_price=entry, exit_time=candles["open_time"].iat[i + 10], exit_price=exit_, qty=qty,
            gross_pnl=gross, fees=fees, funding=Decimal(0), net_pnl=gross - fees,
            exit_reason=ExitReason.TAKE_PROFIT if gross > 0 else ExitReason.STOP_LOSS,
            entry_reason="ema cross <up>",
        ))
    return out


def flat_equity(bars: int, value: float = 1000.0) -> pd.Series:
    index = pd.date_range("2025-01-01 00:05", periods=bars, freq="5min", tz="UTC")
    return pd.Series(value, index=index, dtype="float64")


@pytest.fixture
def sample_result(sample_dir: Path) -> BacktestResult:
    candles = {s: sample_candles(sample_dir, s) for s in ("BTCUSDT", "ETHUSDT")}
    trades = sorted((t for s, c in candles.items() for t in trades_on(c, s)), key=lambda t: t.exit_time)
    bars = len(candles["BTCUSDT"])
    index = pd.DatetimeIndex(candles["BTCUSDT"]["open_time"]) + pd.Timedelta(minutes=5)
    realised = pd.Series(0.0, index=index)
    for t in trades:
        realised.iloc[index.searchsorted(t.exit_time + pd.Timedelta(minutes=5))] += float(t.net_pnl)
    equity = 1000.0 + realised.cumsum() + np.sin(np.arange(bars) / 50.0)
    rejections = pd.DataFrame({"time": index[:3], "symbol": "BTCUSDT", "rule": ["max_positions"] * 3,
                               "reason": ["limit <3> reached"] * 3})
    funding = pd.DataFrame({"time": index[::96][:5], "symbol": "BTCUSDT", "amount": [0.01, -0.02, 0.01, 0.0, 0.02]})
    return build_result(
        run_id="run-1", trades=trades, equity=equity, initial_balance=1000.0, timeframe="5m",
        config={"strategy": "demo", "fee": 0.0004}, strategy="demo", candles=candles,
        rejections=rejections, funding=funding,
    )


def test_report_has_every_section_and_works_offline(sample_result: BacktestResult, tmp_path: Path) -> None:
    path = write_report(sample_result, tmp_path / "r" / "report.html")
    text = path.read_text(encoding="utf-8")
    structure = parse(text)
    for section in SECTIONS:
        assert section in structure.ids, section
    assert {"equity-chart", "candles-chart", "trades-table", "returns-chart", "durations-chart"} <= set(structure.ids)
    assert structure.script_src == []  # plotly.js is inline: no network needed
    assert text.count("plotly.js (finance - minified)") == 1  # embedded once
    assert len(text) < 2_000_000
    m = sample_result.metrics
    assert format_value(m.net_pnl) in text
    assert format_value(m.max_drawdown_pct) in text
    assert m.trades > 100
    data = payload_of(text)
    assert data["trades"]["n"] == m.trades  # every trade goes to the table
    assert data["candles"]["BTCUSDT"]["tf"] == "15m"  # 25,920 5m bars in <= 9,000 candles
    assert "15m candles (5m bars merged to keep the page small)" in text  # and the page says so
    assert sample_result.validation is not None
    assert f"Validation: {sample_result.validation.status.value}" in text
    assert "limit &lt;3&gt; reached" in text
    assert "limit <3> reached" not in text
    assert "ema cross <up>" in data["trades"]["entry_reasons"]  # escaped by the page script
    assert "</script" not in json.dumps(data)
    assert "No trades in this run." not in text


def test_report_of_an_empty_run(tmp_path: Path) -> None:
    """C57: no trades, no candles, no rejections still make a complete, valid page."""
    empty = build_result(run_id="empty", trades=[], equity=flat_equity(100), initial_balance=1000.0,
                         timeframe="5m")
    text = write_report(empty, tmp_path / "empty.html").read_text(encoding="utf-8")
    structure = parse(text)
    for section in SECTIONS:
        assert section in structure.ids, section
    assert "No trades in this run." in text
    assert "No order was rejected." in text
    assert "No candles were attached" in text
    no_bars = build_result(run_id="nobars", trades=[], equity=flat_equity(0), initial_balance=1000.0,
                           timeframe="5m")
    text = render_report(no_bars)
    parse(text)
    assert "No equity curve" in text
    assert "no monthly returns" in text


def test_report_stays_small_for_six_symbols_of_120k_bars(tmp_path: Path) -> None:
    bars = 120_000
    times = pd.date_range("2024-12-31", periods=bars, freq="5min", tz="UTC")
    rng = np.random.default_rng(1)
    candles = {}
    trades: list[Trade] = []
    for s in ("BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "BNBUSDT", "DOGEUSDT"):
        close = 100 * np.exp(np.cumsum(rng.normal(0, 0.002, bars)))
        candles[s] = pd.DataFrame({"open_time": times, "open": close, "high": close * 1.001,
                                   "low": close * 0.999, "close": close, "volume": 1.0})
        for i in range(0, bars - 30, 150):  # 800 trades per symbol
            trades.append(Trade(s, Side.LONG, "x", times[i], Decimal("100"), times[i + 20],
                                Decimal("101"), Decimal(1), Decimal(1), Decimal("0.1"), Decimal(0),
                                Decimal("0.9"), ExitReason.TAKE_PROFIT))
    equity = pd.Series(1000.0 + np.cumsum(rng.normal(0, 0.1, bars)), index=times + pd.Timedelta(minutes=5))
    result = build_result(run_id="big", trades=trades, equity=equity, initial_balance=1000.0,
                          timeframe="5m", candles=candles)
    size = write_report(result, tmp_path / "big.html").stat().st_size
    assert size < 4_000_000
    data = payload_of((tmp_path / "big.html").read_text(encoding="utf-8"))
    assert data["candles"]["BTCUSDT"]["tf"] == "2h"  # 417 days of 5m bars in <= 9,000 candles
    assert data["trades"]["n"] == 4_800


def test_thinned_equity_keeps_the_deepest_drawdown() -> None:
    rng = np.random.default_rng(7)
    values = 1000 + np.cumsum(rng.normal(0, 1, 50_000))
    equity = pd.Series(values, index=pd.date_range("2025-01-01", periods=values.size, freq="5min", tz="UTC"))
    times, thin_values, thin_dd = thin_equity(equity, 1000.0, 1000)
    _, full_dd = drawdown(values, 1000.0)
    assert len(times) <= 1000
    assert thin_dd.max() == full_dd.max()
    assert thin_values[-1] == values[-1]


def test_resample_candles_keeps_exact_ohlc() -> None:
    five = pd.date_range("2025-01-01", periods=6, freq="5min", tz="UTC")
    candles = pd.DataFrame({"open_time": five, "open": [1.0, 2, 3, 4, 5, 6], "high": [2.0, 9, 4, 5, 6, 7],
                            "low": [0.5, 1, 2, 3, 0.1, 5], "close": [2.0, 3, 4, 5, 6, 6.5], "volume": 1.0})
    out = resample_candles(candles, Timeframe.parse("5m"), Timeframe.parse("15m"))
    assert list(out.index) == [five[0], five[3]]
    assert out.iloc[0].tolist() == [1.0, 9.0, 0.5, 4.0]
    assert out.iloc[1].tolist() == [4.0, 7.0, 0.1, 6.5]


def test_plot_timeframe_choice() -> None:
    five = Timeframe.parse("5m")
    assert plot_timeframe(five, 2_000, 3_000).name == "5m"
    assert plot_timeframe(five, 25_920, 3_000).name == "1h"
    assert plot_timeframe(five, 25_920, 9_000).name == "15m"
    assert plot_timeframe(five, 120_000, 3_000).name == "4h"
    assert plot_timeframe(Timeframe.parse("1h"), 100, 3_000).name == "1h"  # never finer than data


def test_monthly_table_compounds_the_year() -> None:
    table = monthly_table({"2025-01": 10.0, "2025-02": 10.0, "2026-03": -5.0})
    assert list(table.index) == [2025, 2026]
    assert table.loc[2025, "Jan"] == 10.0
    assert math.isnan(table.loc[2025, "Mar"])
    assert table.loc[2025, "Year"] == pytest.approx(21.0)
    assert table.loc[2026, "Year"] == pytest.approx(-5.0)


# ---- rich summary -------------------------------------------------------------------------


def test_summary_rows_and_table(sample_result: BacktestResult) -> None:
    m = sample_result.metrics
    all_wins = {**m.as_dict(), "profit_factor": "Infinity", "strategy": "from-json"}
    rows = summary_rows([sample_result, m, all_wins])
    assert [r["run"] for r in rows] == ["demo", "run 2", "from-json"]
    assert rows[0]["trades"] == m.trades
    assert rows[0]["sharpe"] == m.sharpe
    assert rows[2]["profit_factor"] == math.inf
    console = Console(record=True, width=140)
    console.print(render_summary([sample_result, all_wins], labels=["alpha", "beta"]))
    text = console.export_text()
    for header in ("Trades", "Win %", "PF", "Net PnL", "Fees", "Funding", "Max DD %", "Sharpe"):
        assert header in text
    assert "alpha" in text
    assert "beta" in text
    assert format_value(m.net_pnl) in text
    assert "∞" in text


def test_summary_by_symbol(sample_result: BacktestResult) -> None:
    rows = summary_rows([sample_result], by_symbol=True)
    assert [r["symbol"] for r in rows] == ["BTCUSDT", "ETHUSDT"]
    assert sum(r["trades"] for r in rows) == sample_result.metrics.trades
    assert rows[0]["max_drawdown_pct"] is None  # a portfolio number, not per symbol
    console = Console(record=True, width=160)
    console.print(render_summary([sample_result], by_symbol=True))
    assert "ETHUSDT" in console.export_text()


def test_summary_rejects_mismatched_labels(sample_result: BacktestResult) -> None:
    with pytest.raises(ValueError, match="labels"):
        render_summary([sample_result], labels=["a", "b"])
    with pytest.raises(TypeError, match="metrics"):
        render_summary([object()])  # type: ignore[list-item]
