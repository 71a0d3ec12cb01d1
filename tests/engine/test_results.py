"""Results folder: write → load round trip, strict JSON, peer-compatible trade CSV."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coinpilot.domain.enums import Side
from coinpilot.domain.trade import ExitReason, Trade
from coinpilot.engine.metrics import ResultError
from coinpilot.engine.results import (
    PEER_COLUMNS,
    BacktestResult,
    base_asset,
    build_result,
    load_results,
    make_run_id,
    peer_trades_frame,
    trades_from_frame,
    write_results,
)

SHARED_BENCH = Path(__file__).resolve().parents[2].parent / "shared" / "bench" / "trades"
T0 = pd.Timestamp("2025-01-01", tz="UTC")
HOUR = pd.Timedelta(hours=1)


def trade(i: int, net: str, *, symbol: str = "BTCUSDT", side: Side = Side.LONG) -> Trade:
    fees, funding = Decimal("0.0812"), Decimal("-0.003")
    return Trade(
        symbol=symbol, side=side, strategy="demo", entry_time=T0 + 3 * i * HOUR,
        entry_price=Decimal("93548.8"), exit_time=T0 + (3 * i + 2) * HOUR,
        exit_price=Decimal("94951.03"), qty=Decimal("0.00106896"),
        gross_pnl=Decimal(net) + fees - funding, fees=fees, funding=funding, net_pnl=Decimal(net),
        exit_reason=ExitReason.TAKE_PROFIT if Decimal(net) > 0 else ExitReason.STOP_LOSS,
        entry_reason="cross, up" if i % 2 else "", trade_id=f"t{i}",
        meta={"stop": 92145.568, "note": "quoted \"text\"", "score": np.float64(0.25)},
    )


def result(trades: list[Trade] | None = None) -> BacktestResult:
    trades = [trade(0, "1.5"), trade(1, "-0.7", side=Side.SHORT), trade(2, "2.25", symbol="ETHUSDT")] if trades is None else trades
    index = pd.date_range(T0 + HOUR, periods=12, freq="1h", tz="UTC")
    equity = pd.Series(1000.0 + np.array([0, 0.1, 1.5, 1.2, 0.8, 0.8, 0.8, 0.8, 3.05, 3.05, 3.05, 3.05]), index=index)
    exposure = pd.Series([1, 1, 0, 1, 1, 0, 1, 1, 0, 0, 0, 0], index=index)
    return build_result(
        run_id="demo-20250101T000000Z-abcd1234", trades=trades, equity=equity, initial_balance=1000.0,
        timeframe="1h", config={"symbols": ["BTCUSDT", "ETHUSDT"], "fee_pct": 0.04, "max_pf": math.inf,
                                "nested": {"flag": np.bool_(True)}},
        strategy="demo", exposure=exposure,
        funding=pd.DataFrame({"time": [T0 + 8 * HOUR], "symbol": ["BTCUSDT"], "amount": [-0.003],
                              "rate": [0.0001]}),
        rejections=pd.DataFrame({"time": [T0 + HOUR], "symbol": ["ETHUSDT"], "rule": ["max_positions"],
                                 "reason": ["3 open, limit 3"]}),
    )


def test_round_trip_is_exact(tmp_path: Path) -> None:
    original = result()
    paths = write_results(original, tmp_path / "run")
    for path in (paths.run, paths.config, paths.trades, paths.trades_peer, paths.equity, paths.funding,
                 paths.rejections, paths.metrics, paths.validation, paths.report):
        assert path.is_file(), path
    loaded = load_results(paths.directory)
    assert loaded.trades == original.trades  # Decimal money, UTC times, meta: all exact
    assert loaded.trades[0].meta["note"] == 'quoted "text"'
    pd.testing.assert_series_equal(loaded.equity, original.equity, check_names=False, check_freq=False)
    assert original.exposure is not None
    assert loaded.exposure is not None
    assert loaded.exposure.tolist() == original.exposure.tolist()
    assert loaded.metrics == original.metrics
    assert loaded.validation == original.validation
    assert (loaded.run_id, loaded.strategy, loaded.timeframe, loaded.initial_balance) == (
        original.run_id, original.strategy, original.timeframe, original.initial_balance)
    assert loaded.config == {"symbols": ["BTCUSDT", "ETHUSDT"], "fee_pct": 0.04, "max_pf": "Infinity",
                             "nested": {"flag": True}}
    assert loaded.funding["amount"].tolist() == [-0.003]
    assert loaded.funding["time"].tolist() == [T0 + 8 * HOUR]
    assert loaded.rejections[["rule", "reason"]].values.tolist() == [["max_positions", "3 open, limit 3"]]
    assert loaded.candles == {}


def test_metrics_from_a_loaded_run_equal_recomputed_ones(tmp_path: Path) -> None:
    original = result()
    loaded = load_results(write_results(original, tmp_path / "run", report=False).directory)
    again = build_result(run_id=loaded.run_id, trades=loaded.trades, equity=loaded.equity,
                         initial_balance=loaded.initial_balance, timeframe=loaded.timeframe,
                         exposure=loaded.exposure)
    assert again.metrics == original.metrics


def test_metrics_json_is_strict_and_says_infinity(tmp_path: Path) -> None:
    wins_only = result([trade(0, "1.5"), trade(1, "2")])
    paths = write_results(wins_only, tmp_path / "run", report=False)
    raw = json.loads(paths.metrics.read_text(), parse_constant=lambda c: pytest.fail(f"bare {c}"))
    assert raw["profit_factor"] == "Infinity"
    assert raw["by_symbol"]["BTCUSDT"]["profit_factor"] == "Infinity"
    assert load_results(paths.directory).metrics.profit_factor == math.inf
    assert not paths.report.exists()


def test_empty_run_round_trips(tmp_path: Path) -> None:
    empty = build_result(run_id="empty", trades=[], equity=pd.Series(dtype="float64", index=pd.DatetimeIndex([], tz="UTC")),
                         initial_balance=500.0, timeframe="5m")
    paths = write_results(empty, tmp_path / "empty")
    loaded = load_results(paths.directory)
    assert loaded.trades == []
    assert loaded.equity.empty
    assert loaded.metrics == empty.metrics
    assert pd.read_csv(paths.trades_peer).columns.tolist() == list(PEER_COLUMNS)


def test_peer_csv_columns_and_values() -> None:
    t = trade(0, "1.5")
    peer = peer_trades_frame([t])
    assert peer.columns.tolist() == list(PEER_COLUMNS)
    row = peer.iloc[0]
    assert row["pair"] == "BTC"
    assert row["direction"] == "long"
    assert row["open_time"] == "2025-01-01 00:00:00"
    assert row["close_time"] == "2025-01-01 02:00:00"
    assert row["exit_reason"] == "tp"
    assert row["profit_abs"] == 1.5
    assert row["profit_ratio"] == pytest.approx(1.5 / (93548.8 * 0.00106896))
    assert row["funding_fees"] == -0.003


@pytest.mark.parametrize(
    ("symbol", "base"),
    [("BTCUSDT", "BTC"), ("1000PEPEUSDC", "1000PEPE"), ("KRW-BTC", "BTC"), ("ETH/USDT:USDT", "ETH"), ("USDT", "USDT")],
)
def test_base_asset(symbol: str, base: str) -> None:
    assert base_asset(symbol) == base


def test_peer_csv_matches_the_bench_reference_format(tmp_path: Path) -> None:
    """Trades read from the reference list and written back give the same columns and values."""
    ref_path = SHARED_BENCH / "reference_trades.csv"
    if not ref_path.is_file():
        pytest.skip(f"needs the bench trade lists at {ref_path}")
    ref = pd.read_csv(ref_path, nrows=200)
    trades = []
    for r in ref.itertuples():
        entry, exit_ = Decimal(repr(r.open_price)), Decimal(repr(r.close_price))
        qty = Decimal(100) / entry
        net = Decimal(repr(r.profit_abs))
        trades.append(Trade(f"{r.pair}USDT", Side(r.direction), "ref_ema_cross", pd.Timestamp(r.open_time, tz="UTC"),
                            entry, pd.Timestamp(r.close_time, tz="UTC"), exit_, qty, net, Decimal(0), Decimal(0),
                            net, ExitReason(r.exit_reason)))
    peer = peer_trades_frame(trades)
    assert peer.columns.tolist()[: len(ref.columns)] == ref.columns.tolist()
    for col in ("pair", "direction", "open_time", "close_time", "exit_reason"):
        assert peer[col].tolist() == ref[col].tolist(), col
    np.testing.assert_allclose(peer["profit_ratio"], ref["profit_ratio"], rtol=1e-12)
    assert peer["profit_abs"].tolist() == ref["profit_abs"].tolist()


def test_trades_from_a_float_frame() -> None:
    frame = pd.DataFrame([{
        "symbol": "BTCUSDT", "side": "short", "strategy": "x", "entry_time": T0, "entry_price": 0.1,
        "exit_time": T0 + HOUR, "exit_price": 0.2, "qty": 3.0, "gross_pnl": -0.3, "fees": 0.0,
        "funding": 0.0, "net_pnl": -0.3, "exit_reason": "sl", "entry_reason": None, "trade_id": "a",
    }])
    (t,) = trades_from_frame(frame)
    assert t.entry_price == Decimal("0.1")  # shortest repr, not binary noise
    assert t.side is Side.SHORT
    assert t.exit_reason is ExitReason.STOP_LOSS
    assert t.entry_reason == ""
    assert t.meta == {}
    with pytest.raises(ResultError, match="net_pnl"):
        trades_from_frame(frame.drop(columns=["net_pnl"]))


def test_incomplete_folder_names_the_missing_file(tmp_path: Path) -> None:
    paths = write_results(result(), tmp_path / "run", report=False)
    paths.metrics.unlink()
    with pytest.raises(ResultError, match=r"metrics\.json"):
        load_results(paths.directory)


def test_ledgers_need_their_columns() -> None:
    with pytest.raises(ResultError, match="rule"):
        build_result(run_id="x", trades=[], equity=pd.Series(dtype="float64", index=pd.DatetimeIndex([], tz="UTC")),
                     initial_balance=1.0, timeframe="1h", rejections=pd.DataFrame({"time": [], "symbol": []}))


def test_run_id_hashes_the_config() -> None:
    when = pd.Timestamp("2025-03-01 12:00", tz="UTC")
    a = make_run_id({"b": 1, "a": [1, 2]}, "ema", when)
    assert a.startswith("ema-20250301T120000Z-")
    assert a == make_run_id({"a": [1, 2], "b": 1}, "ema", when)  # key order does not matter
    assert a != make_run_id({"a": [1, 2], "b": 2}, "ema", when)
