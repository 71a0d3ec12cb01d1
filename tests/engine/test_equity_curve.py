"""The equity curve includes unrealised PnL on every held bar (P62), checked against a plain
trade-by-trade computation on random trades."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

from coinpilot.domain.enums import Side
from coinpilot.domain.timeframe import Timeframe
from coinpilot.domain.trade import ExitReason, Trade
from coinpilot.engine.equity import equity_curve

TF = Timeframe.parse("5m")


def _candles(n: int, seed: int, offset: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 100 + np.cumsum(rng.normal(0, 0.5, n))
    times = pd.date_range("2025-01-01", periods=n, freq="5min", tz="UTC")[offset:]
    frame = pd.DataFrame({"open_time": times.astype("datetime64[ms, UTC]"), "close": close[offset:]})
    frame["open"] = frame["high"] = frame["low"] = frame["close"]
    frame["volume"] = 1.0
    return frame


def _trades(candles: dict[str, pd.DataFrame], seed: int) -> list[Trade]:
    rng = np.random.default_rng(seed)
    out = []
    for symbol, c in candles.items():
        b = 0
        while b < len(c) - 3:
            e = b + int(rng.integers(0, 4))
            x = min(len(c) - 1, e + int(rng.integers(0, 12)))
            side = Side.LONG if rng.random() < 0.5 else Side.SHORT
            qty = Decimal(str(round(float(rng.uniform(0.1, 3)), 3)))
            entry = Decimal(repr(float(c["close"].iat[e])))
            exit_ = Decimal(repr(float(c["close"].iat[x])))
            gross = side.sign * qty * (exit_ - entry)
            out.append(Trade(symbol, side, "t", c["open_time"].iat[e], entry, c["open_time"].iat[x], exit_, qty,
                             gross, Decimal("0.1"), Decimal(0), gross - Decimal("0.1"), ExitReason.SIGNAL))
            b = x + 1
    return out


def _reference(candles: dict[str, pd.DataFrame], trades: list[Trade], initial: float) -> tuple[pd.Series, pd.Series]:
    index = sorted({t for c in candles.values() for t in c["open_time"]})
    pos = {t: k for k, t in enumerate(index)}
    realised, unreal, exposure = np.zeros(len(index)), np.zeros(len(index)), np.zeros(len(index), dtype=int)
    for t in trades:
        c = candles[t.symbol]
        times = list(c["open_time"])
        e, x = times.index(t.entry_time), times.index(t.exit_time)
        realised[pos[times[x]]] += float(t.net_pnl)
        for b in range(e, x):
            unreal[pos[times[b]]] += t.side.sign * float(t.qty) * (float(c["close"].iat[b]) - float(t.entry_price))
            exposure[pos[times[b]]] += 1
    return pd.Series(initial + np.cumsum(realised) + unreal), pd.Series(exposure)


def test_equity_matches_a_trade_by_trade_computation() -> None:
    candles = {"AAA": _candles(400, 1), "BBB": _candles(400, 2, offset=37)}
    trades = _trades(candles, 3)
    assert len(trades) > 40
    equity, exposure = equity_curve(candles, trades, pd.DataFrame(), 1000.0, TF)
    ref_equity, ref_exposure = _reference(candles, trades, 1000.0)
    np.testing.assert_allclose(equity.to_numpy(), ref_equity.to_numpy(), rtol=0, atol=1e-9)
    np.testing.assert_array_equal(exposure.to_numpy(), ref_exposure.to_numpy())
    assert equity.index[0] == candles["AAA"]["open_time"].iat[0] + TF.delta  # sampled at bar closes


def test_flat_periods_carry_no_float_residue() -> None:
    candles = {"AAA": _candles(200, 5)}
    trades = _trades(candles, 6)
    equity, exposure = equity_curve(candles, trades, pd.DataFrame(), 0.0, TF)
    flat = exposure.to_numpy() == 0
    closed = np.zeros(len(equity))
    for t in trades:
        closed[int(np.searchsorted(candles["AAA"]["open_time"], t.exit_time)):] += float(t.net_pnl)
    np.testing.assert_array_equal(equity.to_numpy()[flat], closed[flat])


def test_bar_grid_union_with_shared_and_with_gappy_grids() -> None:
    import numpy as np

    from coinpilot.engine.equity import _union

    full = np.arange(0, 100, 5, dtype=np.int64)
    later = full[4:]  # listed later: a stretch of the full grid
    gappy = np.delete(full, [3, 7])  # missing bars: not a stretch
    assert _union([later, full]) is full
    assert np.array_equal(_union([gappy, later]), np.unique(np.concatenate([gappy, later])))
    extra = np.array([2, 7], dtype=np.int64)  # times the longest grid lacks
    assert np.array_equal(_union([full, extra]), np.unique(np.concatenate([full, extra])))
    assert _union([]).shape == (0,)
