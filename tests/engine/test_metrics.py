"""Metrics against hand-computed examples, including the edge cases C43/P62/P63/P70 name."""

from __future__ import annotations

import json
import math
import statistics
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from coinpilot.domain.enums import Side
from coinpilot.domain.timeframe import Timeframe
from coinpilot.domain.trade import ExitReason, Trade
from coinpilot.engine.jsonsafe import from_jsonable, to_jsonable
from coinpilot.engine.metrics import (
    Metrics,
    ResultError,
    as_trades_frame,
    breakdown,
    compute_metrics,
    trade_stats,
)
from coinpilot.engine.metrics_equity import cagr_pct, monthly_returns

T0 = pd.Timestamp("2025-01-01 00:00", tz="UTC")


def trade(
    net: str,
    *,
    symbol: str = "BTCUSDT",
    side: Side = Side.LONG,
    entry: pd.Timestamp = T0,
    exit_: pd.Timestamp | None = None,
    fees: str = "0",
    funding: str = "0",
    reason: ExitReason = ExitReason.TAKE_PROFIT,
) -> Trade:
    gross = Decimal(net) + Decimal(fees) - Decimal(funding)
    return Trade(
        symbol=symbol, side=side, strategy="t", entry_time=entry, entry_price=Decimal(100),
        exit_time=exit_ if exit_ is not None else entry, exit_price=Decimal(100), qty=Decimal(1),
        gross_pnl=gross, fees=Decimal(fees), funding=Decimal(funding), net_pnl=Decimal(net),
        exit_reason=reason,
    )


def curve(values: list[float], freq: str = "1h", start: str = "2025-01-01 01:00") -> pd.Series:
    index = pd.date_range(start, periods=len(values), freq=freq, tz="UTC")
    return pd.Series(values, index=index, dtype="float64")


# ---- trade statistics -------------------------------------------------------------------


def test_trade_stats_hand_example() -> None:
    stats = trade_stats(np.array([10.0, -5.0, 20.0, -5.0, -5.0, 0.0]))
    assert stats["trades"] == 6
    assert (stats["wins"], stats["losses"]) == (2, 3)  # the 0 trade is neither
    assert stats["win_rate_pct"] == pytest.approx(100 * 2 / 6)
    assert stats["avg_win"] == 15.0
    assert stats["avg_loss"] == -5.0
    assert stats["payoff_ratio"] == 3.0
    assert stats["profit_factor"] == 2.0  # 30 / 15
    assert stats["expectancy"] == 2.5  # 15 / 6
    assert stats["max_consecutive_losses"] == 2
    assert stats["max_consecutive_wins"] == 1
    assert (stats["best_trade"], stats["worst_trade"]) == (20.0, -5.0)


def test_breakeven_trade_breaks_a_losing_streak() -> None:
    assert trade_stats(np.array([-1.0, 0.0, -1.0]))["max_consecutive_losses"] == 1
    assert trade_stats(np.array([1.0, -1.0, -2.0, -3.0, 4.0, -1.0]))["max_consecutive_losses"] == 3


def test_no_trades_gives_zeros_not_nan() -> None:
    stats = trade_stats(np.array([]))
    assert stats["trades"] == 0
    for key in ("win_rate_pct", "avg_win", "avg_loss", "payoff_ratio", "profit_factor", "expectancy"):
        assert stats[key] == 0.0, key


def test_all_wins_profit_factor_is_inf() -> None:
    stats = trade_stats(np.array([1.0, 2.0, 3.0]))
    assert stats["profit_factor"] == math.inf
    assert stats["payoff_ratio"] == math.inf
    assert stats["win_rate_pct"] == 100.0
    assert stats["max_consecutive_losses"] == 0
    assert stats["max_consecutive_wins"] == 3


def test_all_losses_profit_factor_is_zero() -> None:
    stats = trade_stats(np.array([-1.0, -2.0, -3.0]))
    assert stats["profit_factor"] == 0.0
    assert stats["payoff_ratio"] == 0.0
    assert stats["win_rate_pct"] == 0.0
    assert stats["avg_loss"] == -2.0
    assert stats["max_consecutive_losses"] == 3


def test_consecutive_losses_follow_exit_order_not_input_order() -> None:
    day = pd.Timedelta(days=1)
    trades = [
        trade("-1", exit_=T0 + 1 * day),
        trade("-1", exit_=T0 + 3 * day),
        trade("5", exit_=T0 + 2 * day),  # realised between the two losses
    ]
    frame = as_trades_frame(trades)
    assert list(frame["net_pnl"]) == [-1.0, 5.0, -1.0]
    assert trade_stats(frame["net_pnl"].to_numpy())["max_consecutive_losses"] == 1


def test_breakdown_by_symbol_and_exit_reason() -> None:
    trades = [
        trade("10", symbol="BTCUSDT", fees="1", reason=ExitReason.TAKE_PROFIT),
        trade("-4", symbol="BTCUSDT", fees="1", funding="-0.5", reason=ExitReason.STOP_LOSS),
        trade("-2", symbol="ETHUSDT", fees="0.5", reason=ExitReason.STOP_LOSS),
    ]
    by_symbol = breakdown(as_trades_frame(trades), "symbol")
    assert list(by_symbol) == ["BTCUSDT", "ETHUSDT"]
    btc = by_symbol["BTCUSDT"]
    assert (btc["trades"], btc["wins"], btc["losses"]) == (2, 1, 1)
    assert btc["win_rate_pct"] == 50.0
    assert btc["profit_factor"] == 2.5
    assert btc["net_pnl"] == 6.0
    assert btc["fees"] == 2.0
    assert btc["funding"] == -0.5
    assert btc["gross_pnl"] == 8.5  # 11 + (-4 + 1 + 0.5)
    by_reason = breakdown(as_trades_frame(trades), "exit_reason")
    assert set(by_reason) == {"tp", "sl"}
    assert by_reason["sl"]["trades"] == 2
    assert by_reason["sl"]["net_pnl"] == -6.0
    assert by_reason["sl"]["profit_factor"] == 0.0
    assert by_reason["tp"]["profit_factor"] == math.inf


def test_frame_input_with_enum_values_is_keyed_by_value() -> None:
    frame = pd.DataFrame({
        "symbol": ["BTCUSDT"], "side": [Side.LONG], "entry_time": [T0], "exit_time": [T0],
        "exit_reason": [ExitReason.STOP_LOSS], "gross_pnl": [1.0], "fees": [0.0],
        "funding": [0.0], "net_pnl": [1.0],
    })
    assert list(breakdown(frame, "exit_reason")) == ["sl"]


def test_trades_frame_missing_columns_is_a_typed_error() -> None:
    with pytest.raises(ResultError, match="net_pnl"):
        as_trades_frame(pd.DataFrame({"symbol": ["X"]}))


# ---- equity statistics ------------------------------------------------------------------


def test_equity_metrics_hand_example() -> None:
    # initial 100, then 110, 99, 99, 121 at four 1h bar closes
    m = compute_metrics([], curve([110, 99, 99, 121]), 100.0, "1h")
    returns = [0.1, -0.1, 0.0, 121 / 99 - 1]
    annual = math.sqrt(8760)
    assert m.sharpe == pytest.approx(statistics.mean(returns) / statistics.stdev(returns) * annual)
    downside = math.sqrt((0.1**2) / 4)  # root mean square of the negative part, over all bars
    assert m.sortino == pytest.approx(statistics.mean(returns) / downside * annual)
    assert m.max_drawdown_abs == pytest.approx(11.0)
    assert m.max_drawdown_pct == pytest.approx(10.0)
    assert m.max_drawdown_bars == 2
    assert m.max_drawdown_days == pytest.approx(3 / 24)  # high at bar 0 close, back at bar 3
    assert m.return_pct == pytest.approx(21.0)
    assert m.final_equity == 121.0
    assert m.bars == 4
    assert m.start == "2025-01-01T00:00:00+00:00"  # the first bar's open
    assert m.end == "2025-01-01T04:00:00+00:00"


def test_flat_equity_has_zero_sharpe_not_nan() -> None:
    m = compute_metrics([], curve([1000.0] * 50), 1000.0, "5m")
    assert (m.sharpe, m.sortino) == (0.0, 0.0)
    assert (m.max_drawdown_pct, m.max_drawdown_abs, m.max_drawdown_bars) == (0.0, 0.0, 0)
    assert m.return_pct == 0.0
    assert m.cagr_pct == 0.0
    assert all(math.isfinite(v) for v in (m.sharpe, m.sortino, m.profit_factor, m.payoff_ratio))


def test_rising_curve_without_losing_bar_has_infinite_sortino() -> None:
    m = compute_metrics([], curve([101.0, 102.0, 103.0]), 100.0, "1h")
    assert m.sortino == math.inf
    assert math.isfinite(m.sharpe)
    assert m.sharpe > 0


def test_drawdown_peak_starts_at_the_initial_balance() -> None:
    m = compute_metrics([], curve([90.0, 95.0]), 100.0, "1h")
    assert m.max_drawdown_pct == pytest.approx(10.0)
    assert m.max_drawdown_bars == 2  # never recovered
    assert m.max_drawdown_days == pytest.approx(2 / 24)  # from the start to the last bar


def test_max_drawdown_includes_unrealised_pnl() -> None:
    """P62: a trade that closes flat but was 10 % under water shows a 10 % drawdown."""
    entry = T0
    exit_ = T0 + pd.Timedelta(hours=2)
    trades = [trade("0", entry=entry, exit_=exit_)]
    m = compute_metrics(trades, curve([100.0, 90.0, 100.0]), 100.0, "1h")
    assert m.net_pnl == 0.0
    assert m.max_drawdown_pct == pytest.approx(10.0)


def test_sharpe_annualisation_uses_bar_timeframe() -> None:
    """P63: the same per-bar returns are scaled by sqrt(periods per year of the timeframe)."""
    assert Timeframe.parse("15m").periods_per_year == 35_040
    values = [100.0, 101.0, 100.5, 102.0, 101.0]
    m5 = compute_metrics([], curve(values, "5min"), 100.0, "5m")
    m1h = compute_metrics([], curve(values, "1h"), 100.0, "1h")
    assert m5.sharpe / m1h.sharpe == pytest.approx(math.sqrt(12))
    assert m5.periods_per_year == 105_120


def test_cagr_over_exactly_one_year() -> None:
    days = 365
    values = [100.0] * (days - 1) + [110.0]
    m = compute_metrics([], curve(values, "1D", "2025-01-02"), 100.0, "1d")
    assert m.cagr_pct == pytest.approx(10.0)
    assert cagr_pct(100.0, 121.0, 2.0) == pytest.approx(10.0)
    assert cagr_pct(100.0, 0.0, 1.0) == -100.0
    assert cagr_pct(100.0, 200.0, 1e-9) == math.inf  # overflow is inf, not an exception


def test_wiped_out_equity_stays_finite() -> None:
    m = compute_metrics([], curve([50.0, 0.0, 0.0]), 100.0, "1h")
    assert m.max_drawdown_pct == 100.0
    assert m.cagr_pct == -100.0
    assert math.isfinite(m.sharpe)


def test_money_totals() -> None:
    trades = [trade("9", fees="1", funding="0.5"), trade("-3", fees="1", funding="-1")]
    m = compute_metrics(trades, curve([100.0, 106.0]), 100.0, "1h")
    assert m.net_pnl == 6.0
    assert m.fees == 2.0
    assert m.funding == -0.5
    assert m.gross_pnl == 8.5  # 9.5 + (-1)
    assert m.profit_factor == 3.0


# ---- exposure, monthly returns ------------------------------------------------------------


def test_exposure_from_trades_counts_entry_through_exit_bar() -> None:
    five = pd.Timedelta(minutes=5)
    trades = [trade("1", entry=T0, exit_=T0 + 2 * five), trade("1", entry=T0 + 4 * five, exit_=T0 + 5 * five)]
    m = compute_metrics(trades, curve([100.0] * 6, "5min", "2025-01-01 00:05"), 100.0, "5m")
    assert m.exposure_pct == pytest.approx(100 * 5 / 6)  # bar 3 (00:15) was flat


def test_explicit_exposure_flags_or_counts() -> None:
    eq = curve([100.0] * 4)
    assert compute_metrics([], eq, 100.0, "1h", exposure=np.array([True, False, False, True])).exposure_pct == 50.0
    counts = pd.Series([0, 2, 1, 0], index=eq.index)  # open-position counts from the engine
    assert compute_metrics([], eq, 100.0, "1h", exposure=counts).exposure_pct == 50.0
    with pytest.raises(ResultError, match="exposure"):
        compute_metrics([], eq, 100.0, "1h", exposure=np.array([True]))


def test_monthly_returns_assign_bars_by_open_time() -> None:
    # the bar closing at 2025-02-01 00:00 is January's last bar
    eq = pd.Series(
        [100.0, 110.0, 121.0],
        index=pd.DatetimeIndex(["2025-01-31 23:00", "2025-02-01 00:00", "2025-02-01 01:00"], tz="UTC"),
    )
    months = monthly_returns(eq, 100.0, Timeframe.parse("1h"))
    assert list(months) == ["2025-01", "2025-02"]
    assert months["2025-01"] == pytest.approx(10.0)
    assert months["2025-02"] == pytest.approx(10.0)
    assert compute_metrics([], eq, 100.0, "1h").monthly_returns == months


# ---- input checks and serialisation -------------------------------------------------------


@pytest.mark.parametrize(
    ("equity", "message"),
    [
        (pd.Series([1.0], index=pd.DatetimeIndex(["2025-01-01"])), "timezone"),
        (pd.Series([1.0, 2.0], index=pd.DatetimeIndex(["2025-01-02", "2025-01-01"], tz="UTC")), "increasing"),
        (curve([1.0, float("nan")]), "non-finite"),
        (pd.Series([1.0], index=[0]), "DatetimeIndex"),
    ],
)
def test_bad_equity_is_a_typed_error(equity: pd.Series, message: str) -> None:
    with pytest.raises(ResultError, match=message):
        compute_metrics([], equity, 100.0, "1h")


def test_initial_balance_must_be_positive() -> None:
    with pytest.raises(ResultError, match="initial_balance"):
        compute_metrics([], curve([1.0]), 0.0, "1h")


def test_empty_run_has_empty_tables() -> None:
    m = compute_metrics([], curve([]), 1000.0, "5m")
    assert (m.trades, m.bars, m.exposure_pct, m.final_equity) == (0, 0, 0.0, 1000.0)
    assert (m.by_symbol, m.by_exit_reason, m.monthly_returns) == ({}, {}, {})
    assert m.start is None


def test_metrics_json_writes_infinity_as_string_and_numpy_bools() -> None:
    """C46 + P70: inf → "Infinity", numpy.bool_ → bool; the output is strict JSON."""
    m = compute_metrics([trade("5")], curve([105.0]), 100.0, "1h")
    assert m.profit_factor == math.inf
    payload = {**m.as_dict(), "flag": np.bool_(True), "count": np.int64(3), "nan": float("nan")}
    text = json.dumps(to_jsonable(payload), allow_nan=False)
    raw = json.loads(text, parse_constant=lambda c: pytest.fail(f"bare {c} in JSON"))
    assert raw["profit_factor"] == "Infinity"
    assert raw["flag"] is True
    assert raw["count"] == 3
    assert raw["nan"] is None
    assert Metrics.from_dict(from_jsonable(raw)) == m


def test_to_jsonable_refuses_unknown_objects() -> None:
    with pytest.raises(TypeError, match="object"):
        to_jsonable({"x": object()})


def test_metrics_from_dict_names_missing_fields() -> None:
    with pytest.raises(ResultError, match="sharpe"):
        Metrics.from_dict({"trades": 1})


def test_a_converted_trades_frame_passes_through_unchanged_and_unshared() -> None:
    trades = [trade("2", exit_=T0 + pd.Timedelta(hours=2)), trade("-1", exit_=T0 + pd.Timedelta(hours=1),
              symbol="ETHUSDT", reason=ExitReason.STOP_LOSS)]
    once = as_trades_frame(trades)
    assert list(once["net_pnl"]) == [-1.0, 2.0]  # sorted by exit time
    again = as_trades_frame(once)
    pd.testing.assert_frame_equal(again, once)
    again.loc[0, "net_pnl"] = 99.0  # copy-on-write: the caller's frame keeps its values
    assert once.loc[0, "net_pnl"] == -1.0
    # a frame that is not sorted by exit time is converted (sorted) again
    shuffled = once.iloc[::-1].reset_index(drop=True)
    assert list(as_trades_frame(shuffled)["net_pnl"]) == [-1.0, 2.0]
