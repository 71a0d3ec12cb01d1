"""The terminal summary and the report put what changed a result first: halts, refused
entries, and why a run made no trade; then per pair (with the market's change), exit
reason, side and holding-time tables."""

from __future__ import annotations

import pandas as pd
import pytest
from rich.console import Console
from tests.engine.test_report_browser import with_halts

from coinpilot.data.store import CandleStore, sample_root
from coinpilot.engine.backtest import Backtest
from coinpilot.engine.presets import preset
from coinpilot.engine.report import render_report
from coinpilot.engine.report_data import format_duration, market_change
from coinpilot.engine.report_summary import render_summary
from coinpilot.engine.results import BacktestResult, build_result
from coinpilot.risk.halts import HaltPeriod


def text_of(renderable: object) -> str:
    console = Console(record=True, width=200)
    console.print(renderable)
    return console.export_text()


def idle_result() -> BacktestResult:
    index = pd.date_range("2025-01-01 00:05", periods=300, freq="5min", tz="UTC")
    rejections = pd.DataFrame({"time": index[:5], "symbol": "BTCUSDT",
                               "rule": ["kill_switch"] * 4 + ["max_positions"], "reason": "refused"})
    return build_result(run_id="idle", trades=[], equity=pd.Series(1000.0, index=index), initial_balance=1000.0,
                        timeframe="5m", strategy="idle", rejections=rejections)


def test_a_run_without_trades_says_why_at_the_top() -> None:
    result = with_halts(idle_result(), [HaltPeriod("kill_switch", "account", pd.Timestamp("2025-01-01 00:10", tz="UTC"),
                                                   None, "slow kill: PF below 0.75", 4)])
    text = text_of(render_summary([result]))
    why = "no trade: every entry signal was refused (kill_switch ×4, max_positions ×1)"
    assert why in text
    assert text.index(why) < text.index("Halts: 1") < text.index("Backtest summary")
    assert "end of run" in text
    assert "1d 00:50" in text  # an open halt lasts to the last bar close (01-02 01:00)
    html = render_report(result)
    assert html.index(why) < html.index("id=\"validation\"")
    assert "kill_switch" in html


def test_summary_without_halts_has_no_halt_block() -> None:
    text = text_of(render_summary([idle_result()]))
    assert "Halts" not in text
    assert "kill_switch" in text  # still listed among refused entries


def test_format_duration() -> None:
    assert format_duration(pd.Timedelta(minutes=75)) == "01:15"
    assert format_duration(pd.Timedelta(days=2, hours=3, minutes=15)) == "2d 03:15"
    assert format_duration(None) == "—"


def test_market_change_is_first_open_to_last_close() -> None:
    frame = pd.DataFrame({"open_time": pd.date_range("2025-01-01", periods=3, freq="1h", tz="UTC"),
                          "open": [100.0, 105, 110], "high": 1.0, "low": 1.0, "close": [104.0, 109, 120]})
    assert market_change({"X": frame}) == pytest.approx({"X": 20.0})


@pytest.fixture(scope="module")
def demo_c_score() -> BacktestResult:
    symbols = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "BNBUSDT", "DOGEUSDT"]
    return Backtest(preset("realistic", "c_score", symbols), CandleStore(sample_root())).run()


def test_demo_summary_and_report_show_halts_when_there_are_any(demo_c_score: BacktestResult) -> None:
    """The demo's c_score run is halted by risk rules (and lifted by their reset policies):
    every halt the run records appears in the terminal and the page."""
    result = demo_c_score
    halts = result.halts
    assert halts  # the sample's c_score trips the kill switch / loss streaks
    text = text_of(render_summary([result]))
    html = render_report(result)
    assert f"Halts: {len(halts)}" in text
    for halt in halts:
        assert halt.rule in text
        assert halt.rule in html
    assert html.count("class=\"alert\"") + html.count("class='alert'") >= 1
    for header in ("Per pair", "Market %", "Per exit reason", "Long / short", "Holding time"):
        assert header in text
    assert result.candles["BTCUSDT"]["open_time"].diff().iloc[1] == pd.Timedelta(minutes=15)  # strategy timeframe
    assert set(result.plot_columns) == {"bb_upper", "bb_lower", "ema_slow", "rsi"}
    assert len(result.indicators["BTCUSDT"]) == len(result.candles["BTCUSDT"])


@pytest.mark.parametrize("width", [80, 200])
def test_halts_are_shown_whole_on_narrow_and_wide_terminals(width: int) -> None:
    """No cell of the halts block is cut to "202…" at 80 columns: the start, end, rule,
    what it applies to and the whole reason are all readable."""
    start, end = pd.Timestamp("2025-01-01 00:10", tz="UTC"), pd.Timestamp("2025-01-02 00:10", tz="UTC")
    reason = "c_score on BNBUSDT halted after 5 losses in a row; resumes at 2025-01-02 00:10 UTC"
    result = with_halts(idle_result(), [HaltPeriod("consecutive_losses", "c_score|BNBUSDT", start, end, reason, 3)])
    console = Console(record=True, width=width)
    console.print(render_summary([result]))
    text = console.export_text()
    halts_block = text[text.index("Halts: 1"):text.index("Refused: ")]
    assert "…" not in halts_block
    flat = " ".join(halts_block.split())
    for part in ("consecutive_losses", "c_score|BNBUSDT", "2025-01-01 00:10", "2025-01-02 00:10", "1d 00:00"):
        assert part in flat
    assert " ".join(reason.split()) in flat


def test_summary_table_fits_80_columns_without_cutting_headers_or_numbers() -> None:
    from coinpilot.engine.report_summary import summary_table

    row = {"strategy": "u_volatility_breakout", "trades": 12_345, "win_rate_pct": 33.3, "profit_factor": 0.65,
           "net_pnl": -23_018.55, "fees": 12_634.12, "funding": -1_001.19, "max_drawdown_pct": 30.22,
           "sharpe": -16.57}
    console = Console(record=True, width=80)
    console.print(summary_table([row, {**row, "strategy": "ref_ema_cross"}]))
    text = console.export_text()
    assert "…" not in text.split("\n", 2)[1]  # every header whole
    for cell in ("12,345", "33.3", "0.65", "-23,018.55", "12,634.12", "-1,001.19", "30.22", "-16.57"):
        assert cell in text
