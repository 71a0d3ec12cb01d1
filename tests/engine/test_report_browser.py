"""The demo-size report in a real browser: no console error, no network request, loads in
under 2 s, under 2 MB, every trade in the table, and sorting and filtering work.

Drives Debian's Chromium through Playwright (scripts/bootstrap.sh installs both); skips with
the reason when no Chromium is found. A screenshot goes to the test's tmp_path and to
`test-artifacts/` at the repository root (git-ignored) for a human look.
"""

from __future__ import annotations

import dataclasses
import shutil
import time
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coinpilot.data.store import CandleStore, sample_root
from coinpilot.domain.enums import Side
from coinpilot.domain.trade import ExitReason, Trade
from coinpilot.engine.report import write_report
from coinpilot.engine.results import BacktestResult, build_result
from coinpilot.risk.halts import HaltPeriod
from coinpilot.strategies.c_score import CScore
from coinpilot.strategies.marketdata import market_data_for

REPO = Path(__file__).resolve().parents[2]
SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "BNBUSDT", "DOGEUSDT")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


WithHalts = BacktestResult


def with_halts(result: BacktestResult, halts: list[HaltPeriod]) -> BacktestResult:
    """`result` carrying hand-made halts."""
    return dataclasses.replace(result, halts=tuple(halts))


def demo_size_result(trades_per_symbol: int = 220) -> WithHalts:
    """The size of the demo's biggest run: c_score's real 15m candles and indicators for 6
    symbols × 3 months of the bundled sample, ~1,300 trades at real prices with the
    strategy's own entry reasons and stop/target levels, two halts and refused entries."""
    strategy = CScore()
    store = CandleStore(sample_root())
    candles, indicators, trades = {}, {}, []
    rng = np.random.default_rng(5)
    for symbol in SYMBOLS:
        md = market_data_for(strategy, store, symbol)
        prepared = strategy.prepare(md)
        frame = md.candles.reset_index(drop=True)
        candles[symbol] = frame
        indicators[symbol] = prepared[[c for c, _ in strategy.plot_columns]].reset_index(drop=True)
        starts = np.linspace(100, len(frame) - 40, trades_per_symbol).astype(int)
        for k, i in enumerate(starts):
            side = Side.LONG if k % 2 == 0 else Side.SHORT
            j = i + int(rng.integers(1, 30))
            entry, exit_ = Decimal(str(frame["open"].iat[i])), Decimal(str(frame["open"].iat[j]))
            qty = (Decimal(200) / entry).quantize(Decimal("0.001"))
            gross = side.sign * qty * (exit_ - entry)
            fees = (Decimal("0.0005") * qty * (entry + exit_)).quantize(Decimal("0.00000001"))
            trades.append(Trade(
                symbol=symbol, side=side, strategy="c_score", entry_time=frame["open_time"].iat[i],
                entry_price=entry, exit_time=frame["open_time"].iat[j], exit_price=exit_, qty=qty,
                gross_pnl=gross, fees=fees, funding=Decimal(0), net_pnl=gross - fees,
                exit_reason=ExitReason.TAKE_PROFIT if gross > 0 else ExitReason.STOP_LOSS,
                entry_reason=strategy.reason(prepared, int(i)) + f" #{k}", trade_id=f"{symbol}-{k}",
                meta={"initial_stop": float(entry) * (1 - 0.01 * side.sign),
                      "initial_target": float(entry) * (1 + 0.015 * side.sign)},
            ))
    trades.sort(key=lambda t: t.exit_time)
    grid = pd.DatetimeIndex(candles["BTCUSDT"]["open_time"]) + pd.Timedelta(minutes=15)
    realised = pd.Series(0.0, index=grid)
    for t in trades:
        realised.iloc[min(len(grid) - 1, grid.searchsorted(t.exit_time + pd.Timedelta(minutes=15)))] += float(t.net_pnl)
    equity = 10_000.0 + realised.cumsum()
    rejections = pd.DataFrame({"time": grid[[500, 900, 901, 4000]], "symbol": "ETHUSDT",
                               "rule": ["kill_switch", "kill_switch", "max_positions", "consecutive_losses"],
                               "reason": "refused"})
    result = build_result(
        run_id="c_score-demo-size", trades=trades, equity=equity, initial_balance=10_000.0, timeframe="15m",
        strategy="c_score", candles=candles, rejections=rejections, indicators=indicators,
        plot_columns=dict(strategy.plot_columns),
    )
    halts = [
        HaltPeriod("kill_switch", "ETHUSDT", grid[450], grid[2450], "slow kill: profit factor 0.66 < 0.75", 41),
        HaltPeriod("consecutive_losses", "c_score|DOGEUSDT", grid[6000], None, "5 losses in a row", 17),
    ]
    return with_halts(result, halts)


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("no Chromium found (scripts/bootstrap.sh installs Debian's chromium)")
    return found


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, WithHalts]:
    result = demo_size_result()
    return write_report(result, tmp_path_factory.mktemp("report") / "report.html"), result


def test_demo_size_report_in_chromium(demo_report: tuple[Path, WithHalts], tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")
    executable = chromium_path()
    path, result = demo_report
    size = path.stat().st_size
    print(f"\ndemo-size report: {size / 1e6:.2f} MB, {len(result.trades)} trades")
    assert len(result.trades) > 1_300
    assert size < 2_000_000
    errors: list[str] = []
    requests: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url) if not r.url.startswith(("file:", "data:", "blob:")) else None)
            t0 = time.perf_counter()
            page.goto(path.as_uri())
            page.wait_for_function("window.reportReady === true", timeout=20_000)
            load_s = time.perf_counter() - t0
            print(f"demo-size report: open, first screen drawn in {load_s:.2f} s")
            t1 = time.perf_counter()
            for chart in ("equity-chart", "durations-chart", "returns-chart", "candles-chart", "trades-table"):
                page.locator(f"#{chart}").scroll_into_view_if_needed()
                page.wait_for_selector(f"#{chart}[data-drawn]", timeout=20_000)
            print(f"demo-size report: every chart drawn after scrolling in {time.perf_counter() - t1:.2f} s more, "
                  f"per chart (ms): {page.evaluate('window.reportTimings')}")
            page.locator("#candles").scroll_into_view_if_needed()
            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=False)
            artifacts = REPO / "test-artifacts"
            artifacts.mkdir(exist_ok=True)
            shutil.copy(shot, artifacts / "report.png")
            assert page.locator("#trades-table tbody tr").count() == len(result.trades)
            assert page.locator("#candles-chart .candlestick, #candles-chart .trace.boxes").count() >= 1
            assert page.locator("#equity-chart .scatterlayer .trace").count() == 3  # equity, buy and hold, drawdown
            assert page.locator("#halts-chart .bars .point").count() == 2
            assert page.locator("#returns-chart .bars .point").count() > 5
            page.select_option("#f-symbol", label="ETHUSDT")
            page.select_option("#f-result", "loss")
            shown = page.locator("#trades-table tbody tr")
            assert 0 < shown.count() < len(result.trades) / 6
            assert set(page.locator("#trades-table tbody td:nth-child(2)").all_inner_texts()) == {"ETHUSDT"}
            page.click("#trades-table thead th:has-text('net PnL')")
            pnl = [float(v.replace(",", "")) for v in page.locator("#trades-table tbody td:nth-child(10)").all_inner_texts()]
            assert pnl == sorted(pnl)
            assert all(v <= 0 for v in pnl)
            page.locator("#trades-table tbody tr").first.click()
            assert page.locator("#candles-symbol").input_value() == "ETHUSDT"
            page.screenshot(path=str(artifacts / "report-trade.png"))
        finally:
            browser.close()
    assert errors == []
    assert requests == []
    assert load_s < 2.0
