"""ref_ema_cross reproduces the 4759 reference trades of shared/bench (REFERENCE_STRATEGY.md part 1).

The strategy only produces signals; the flat/position rule and the exit rule of part 1 are
simulated here, in the test, so that the comparison proves the signal bars (entry times) and the
PCT levels (exit times and prices). It is not the engine.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coinpilot.domain.timeframe import Timeframe
from coinpilot.strategies import create
from coinpilot.strategies.base import MarketData

PAIRS = ("BNB", "BTC", "DOGE", "ETH", "SOL", "XRP")
EXPECTED_COUNTS = {"BNB": 497, "BTC": 383, "DOGE": 1124, "ETH": 798, "SOL": 1041, "XRP": 916}


def _load_marketlab(root: Path, pair: str) -> pd.DataFrame:
    raw = pd.read_feather(root / "binance_um_futures" / "marketlab" / f"{pair}_USDT_USDT-5m-futures.feather")
    frame = raw.rename(columns={"date": "open_time"})
    frame["open_time"] = frame["open_time"].astype("datetime64[ms, UTC]")
    return frame[["open_time", "open", "high", "low", "close", "volume"]].reset_index(drop=True)


def _simulate(candles: pd.DataFrame, prepared: pd.DataFrame) -> list[tuple[str, pd.Timestamp, float, pd.Timestamp, float, str]]:
    """Part 1 semantics: enter at open[i] on a signal at i−1 when flat; SL first, gaps at the open."""
    o, h, lo = (candles[k].to_numpy() for k in ("open", "high", "low"))
    times = candles["open_time"]
    sig = prepared["signal"].to_numpy()
    stop_pct = prepared["stop"].to_numpy()
    target_pct = prepared["target"].to_numpy()
    n = len(o)
    signal_bars = np.flatnonzero(sig != 0)
    trades = []
    k = 0  # next candidate signal in signal_bars
    while k < len(signal_bars):
        s = signal_bars[k]
        i = s + 1
        if i >= n - 1:  # no entry on the last bar
            break
        side = int(sig[s])
        entry = o[i]
        if side > 0:
            sl, tp = entry * (1 - stop_pct[s]), entry * (1 + target_pct[s])
            hit_sl, hit_tp = lo[i:] <= sl, h[i:] >= tp
        else:
            sl, tp = entry * (1 + stop_pct[s]), entry * (1 - target_pct[s])
            hit_sl, hit_tp = h[i:] >= sl, lo[i:] <= tp
        hit = hit_sl | hit_tp
        if not hit.any():
            trades.append(("long" if side > 0 else "short", times.iat[i], entry, times.iat[n - 1], o[n - 1], "end"))
            break
        j = i + int(np.argmax(hit))
        if hit_sl[j - i]:
            gapped = o[j] <= sl if side > 0 else o[j] >= sl
            price, reason = (o[j] if gapped else sl), "sl"
        else:
            gapped = o[j] >= tp if side > 0 else o[j] <= tp
            price, reason = (o[j] if gapped else tp), "tp"
        trades.append(("long" if side > 0 else "short", times.iat[i], entry, times.iat[j], price, reason))
        # flat from the start of bar j+1: the next usable signal is at bar >= j
        k = int(np.searchsorted(signal_bars, j))
    return trades


@pytest.mark.shared_data
def test_ref_ema_cross_signals_reproduce_all_4759_reference_trades(shared_data: Path) -> None:
    reference = pd.read_csv(shared_data.parent / "bench" / "trades" / "reference_trades.csv")
    strategy = create("ref_ema_cross")
    total = 0
    for pair in PAIRS:
        candles = _load_marketlab(shared_data, pair)
        data = MarketData(symbol=f"{pair}USDT", timeframe=Timeframe.parse("5m"), candles=candles)
        trades = _simulate(candles, strategy.prepare(data))
        ref = reference[reference["pair"] == pair].reset_index(drop=True)
        assert len(trades) == len(ref) == EXPECTED_COUNTS[pair], pair
        got = pd.DataFrame(trades, columns=["direction", "open_time", "open_price", "close_time", "close_price", "exit_reason"])
        fmt = "%Y-%m-%d %H:%M:%S"
        assert (got["direction"] == ref["direction"]).all(), pair
        assert (got["open_time"].dt.strftime(fmt) == ref["open_time"]).all(), pair
        assert (got["close_time"].dt.strftime(fmt) == ref["close_time"]).all(), pair
        assert (got["exit_reason"] == ref["exit_reason"]).all(), pair
        np.testing.assert_allclose(got["open_price"], ref["open_price"], rtol=0, atol=1e-9)
        np.testing.assert_allclose(got["close_price"], ref["close_price"], rtol=0, atol=1e-9)
        total += len(trades)
    assert total == 4759
