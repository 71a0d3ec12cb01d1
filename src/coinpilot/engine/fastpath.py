"""The fast path: a compiled bar loop for sweeps, with the same fill rules as the event engine.

A sweep runs thousands of backtests of one strategy; the event-driven engine is exact but
pays Python per event. This path takes a strategy's prepared signal columns (see
strategies.base) as arrays and simulates one symbol per call in a numba loop that
allocates nothing while it runs. Parity tests pin it to the reference trade lists, and the
intrabar rules are the shared `exchanges.sim.fillrules`.

Semantics per bar i (profile switches in `engine.profiles`):

1. Entry at the open: flat, signal at i−1, and i is not the last bar (NEXT_OPEN). A signal
   that arrives while a position is open is dropped (IGNORE) or reverses it (REVERSE).
2. The bar for the open position, including one entered at step 1: funding events up to the
   bar's open time; then at the open an exit signal of bar i−1 (exit column == side, and no
   entry signal on that bar, as Strategy.decide gives the entry priority) or the time limit
   (after `time_limit_bars` full bars); otherwise stop/target from the bar's high/low via
   fillrules. ft_compat: an opposite pending signal re-enters at this open after a stop/target
   exit (look-ahead rule 8).
3. At the close: REVERSE closes an opposite position at the close; SIGNAL_CLOSE entries fill
   at the close (± slippage) and are exposed from bar i+1.
After the last bar a position still open is closed at the last bar's open (reason END).

Costs: fee_rate × notional on each side; slippage in bps, adverse, on entries (and on exits
with exit_slippage_bps). pnl = side·qty·(exit − entry) − fees + funding received.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import IntEnum

import numpy as np
import pandas as pd

from coinpilot.domain.candles import open_ms
from coinpilot.domain.enums import LevelMode, Side
from coinpilot.domain.errors import ConfigError, DataError
from coinpilot.domain.trade import ExitReason, Trade
from coinpilot.engine.fastpath_ft import (
    FundingSchedule,
    monthly_price_decimals,
    net_roi_trigger,
)
from coinpilot.engine.fastpath_kernel import simulate_kernel
from coinpilot.engine.profiles import REFERENCE, SimProfile, TargetKind

REASONS: dict[int, ExitReason] = {
    1: ExitReason.STOP_LOSS, 2: ExitReason.TAKE_PROFIT, 3: ExitReason.SIGNAL,
    4: ExitReason.REVERSE, 5: ExitReason.TIME, 6: ExitReason.END,
}
_LEVEL_CODES = {LevelMode.PCT: 0, LevelMode.DIST: 1, LevelMode.PRICE: 2}


class Sizing(IntEnum):
    FIXED_NOTIONAL = 0  # qty = notional / entry fill (the reference: 100 USDT)
    EQUITY_FRACTION = 1  # qty = equity × fraction / entry fill, equity = initial + realised PnL


@dataclass(frozen=True, slots=True)
class FastParams:
    """Run parameters of the fast path (semantics live in `profile`).

    equity_fraction may exceed 1: it is the notional per trade as a share of equity, so
    leverage is folded into it.
    """

    profile: SimProfile = REFERENCE
    fee_rate: float = 0.0004
    slippage_bps: float = 0.0
    exit_slippage_bps: float = 0.0
    sizing: Sizing = Sizing.FIXED_NOTIONAL
    notional: float = 100.0
    equity_fraction: float = 0.1
    initial_equity: float = 100_000.0
    time_limit_bars: int | None = None

    def __post_init__(self) -> None:
        checks = {
            "fee_rate": 0 <= self.fee_rate < 1,
            "slippage_bps": 0 <= self.slippage_bps < 10_000,
            "exit_slippage_bps": 0 <= self.exit_slippage_bps < 10_000,
            "notional": self.notional > 0,
            "equity_fraction": self.equity_fraction > 0,
            "initial_equity": self.initial_equity > 0,
            "time_limit_bars": self.time_limit_bars is None or self.time_limit_bars >= 1,
        }
        for name, ok in checks.items():
            if not ok:
                raise ConfigError(f"FastParams.{name} = {getattr(self, name)!r} is out of range")


@dataclass(frozen=True, slots=True)
class BarInputs:
    """One symbol's candles and prepared signal columns as arrays (see strategies.base)."""

    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    times_ms: np.ndarray
    signal: np.ndarray
    exit: np.ndarray
    stop: np.ndarray
    target: np.ndarray
    level_mode: LevelMode = LevelMode.PCT
    funding: FundingSchedule | None = None
    price_decimals: np.ndarray | None = None

    @classmethod
    def from_frames(
        cls, candles: pd.DataFrame, prepared: pd.DataFrame, level_mode: LevelMode,
        funding: FundingSchedule | None = None,
    ) -> BarInputs:
        """From a candle frame (domain.candles contract) and a strategy's prepare() output."""
        return cls(
            open=candles["open"].to_numpy(dtype=np.float64),
            high=candles["high"].to_numpy(dtype=np.float64),
            low=candles["low"].to_numpy(dtype=np.float64),
            close=candles["close"].to_numpy(dtype=np.float64),
            times_ms=open_ms(candles),
            signal=prepared["signal"].to_numpy(dtype=np.int8),
            exit=prepared["exit"].to_numpy(dtype=np.int8),
            stop=prepared["stop"].to_numpy(dtype=np.float64),
            target=prepared["target"].to_numpy(dtype=np.float64),
            level_mode=level_mode,
            funding=funding,
        )


@dataclass(frozen=True, slots=True)
class FastResult:
    """Trades of one symbol as parallel arrays (index = trade number, in exit order)."""

    times_ms: np.ndarray  # the input bar times, to turn indices into times
    entry_idx: np.ndarray
    exit_idx: np.ndarray
    side: np.ndarray  # +1 / −1
    entry_phase: np.ndarray  # 0 open, 1 close of the bar
    exit_phase: np.ndarray  # 0 open, 1 close, 2 inside the bar (stop/target)
    entry_price: np.ndarray
    exit_price: np.ndarray
    qty: np.ndarray
    fees: np.ndarray
    funding: np.ndarray  # received (negative when paid)
    pnl: np.ndarray  # net
    reason: np.ndarray  # REASONS codes
    stop: np.ndarray
    target: np.ndarray
    symbol: str = ""
    meta: dict[str, object] = field(default_factory=dict)

    @property
    def n_trades(self) -> int:
        return int(self.entry_idx.shape[0])

    @property
    def total_pnl(self) -> float:
        return float(self.pnl.sum())


def simulate(
    open_: np.ndarray, high: np.ndarray, low: np.ndarray, close: np.ndarray, times_ms: np.ndarray,
    signal: np.ndarray, exit_: np.ndarray, stop_off: np.ndarray, target_off: np.ndarray,
    level_mode: LevelMode, params: FastParams, *, funding: FundingSchedule | None = None,
    price_decimals: np.ndarray | None = None, symbol: str = "",
) -> FastResult:
    """Simulate one symbol's prepared signals with the compiled loop (semantics: module doc).

    `funding` is required when the profile applies funding (use `profile.with_(funding=False)`
    to run without); `price_decimals` (per bar) overrides the tick inferred for tick_rounding.
    """
    prof = params.profile
    o, h, lo, c = (np.ascontiguousarray(a, dtype=np.float64) for a in (open_, high, low, close))
    n = o.shape[0]
    times = np.ascontiguousarray(times_ms, dtype=np.int64)
    sig = np.ascontiguousarray(signal, dtype=np.int8)
    ext = np.ascontiguousarray(exit_, dtype=np.int8)
    stop_a = np.ascontiguousarray(stop_off, dtype=np.float64)
    target_a = np.ascontiguousarray(target_off, dtype=np.float64)
    for name, a in (("high", h), ("low", lo), ("close", c), ("times_ms", times),
                    ("signal", sig), ("exit", ext), ("stop", stop_a), ("target", target_a)):
        if a.shape != (n,):
            raise DataError(f"simulate({symbol or '?'}): {name} has shape {a.shape}, open has ({n},)")
    net_roi = prof.target_kind is TargetKind.NET_ROI
    if net_roi and level_mode is not LevelMode.PCT:
        raise ConfigError(
            f"profile {prof.name!r} reads the target as a net ROI ratio, which needs level_mode "
            f"PCT; the strategy gives {level_mode.value}"
        )
    empty_i = np.empty(0, dtype=np.int64)
    decimals = empty_i
    if prof.tick_rounding:
        decimals = (monthly_price_decimals(o, h, lo, c, times) if price_decimals is None
                    else np.ascontiguousarray(price_decimals, dtype=np.int64))
    schedule = FundingSchedule.empty()
    if prof.funding:
        if funding is None:
            raise ConfigError(
                f"profile {prof.name!r} applies funding but no FundingSchedule was given for "
                f"{symbol or 'the symbol'}; pass funding=... or use profile.with_(funding=False)"
            )
        schedule = funding
    roi_trigger = net_roi_trigger(target_a) if net_roi else np.empty(0)
    cap = int(np.count_nonzero(sig)) + 1  # every trade starts from its own signal bar
    ints = {name: np.empty(cap, dtype=np.int64) for name in ("entry_idx", "exit_idx")}
    small = {name: np.empty(cap, dtype=np.int8)
             for name in ("side", "entry_phase", "exit_phase", "reason")}
    floats = {name: np.empty(cap, dtype=np.float64)
              for name in ("entry_price", "exit_price", "qty", "fees", "funding", "pnl", "stop", "target")}
    k = simulate_kernel(
        o, h, lo, c, times, sig, ext, stop_a, target_a, decimals, roi_trigger,
        schedule.times_ms, schedule.per_unit,
        _LEVEL_CODES[level_mode], int(prof.entry_timing), int(prof.on_opposite),
        int(prof.conflict), int(prof.stop_gap), int(prof.target_gap), net_roi,
        prof.tick_rounding, prof.reenter_same_candle, prof.no_entry_last_bar,
        params.fee_rate, params.slippage_bps / 1e4, params.exit_slippage_bps / 1e4,
        params.sizing is Sizing.EQUITY_FRACTION, params.notional, params.equity_fraction,
        params.initial_equity, params.time_limit_bars or 0,
        ints["entry_idx"], ints["exit_idx"], small["side"], small["entry_phase"],
        small["exit_phase"], floats["entry_price"], floats["exit_price"], floats["qty"],
        floats["fees"], floats["funding"], floats["pnl"], small["reason"], floats["stop"],
        floats["target"],
    )
    columns = {name: a[:k] for name, a in (ints | small | floats).items()}
    return FastResult(times_ms=times, symbol=symbol, meta={"profile": prof.name}, **columns)


def simulate_inputs(inputs: BarInputs, params: FastParams, symbol: str = "") -> FastResult:
    """`simulate` over a BarInputs bundle."""
    return simulate(
        inputs.open, inputs.high, inputs.low, inputs.close, inputs.times_ms, inputs.signal,
        inputs.exit, inputs.stop, inputs.target, inputs.level_mode, params,
        funding=inputs.funding, price_decimals=inputs.price_decimals, symbol=symbol,
    )


def simulate_many(inputs: Mapping[str, BarInputs], params: FastParams) -> dict[str, FastResult]:
    """Each symbol simulated on its own bar index (no cross-symbol wallet), in mapping order."""
    return {sym: simulate_inputs(bars, params, sym) for sym, bars in inputs.items()}


def _fmt_times(ms: np.ndarray) -> list[str]:
    return [str(t) for t in ms.astype("datetime64[ms]").astype("datetime64[s]")]


def trades_table(results: Mapping[str, FastResult] | FastResult) -> pd.DataFrame:
    """Trades in the benchmark CSV format (shared/bench/trades/*.csv), sorted by pair and entry.

    Columns: pair, direction, open_time, open_price, close_time, close_price, exit_reason,
    profit_abs, profit_ratio (= pnl / entry notional), funding_fees, amount. Times are the bar
    open times of the entry and exit bars, 'YYYY-MM-DD HH:MM:SS' UTC.
    """
    items = [results] if isinstance(results, FastResult) else list(results.values())
    frames = []
    for r in items:
        frames.append(pd.DataFrame({
            "pair": r.symbol,
            "direction": np.where(r.side > 0, "long", "short"),
            "open_time": [s.replace("T", " ") for s in _fmt_times(r.times_ms[r.entry_idx])],
            "open_price": r.entry_price,
            "close_time": [s.replace("T", " ") for s in _fmt_times(r.times_ms[r.exit_idx])],
            "close_price": r.exit_price,
            "exit_reason": [REASONS[int(c)].value for c in r.reason],
            "profit_abs": r.pnl,
            "profit_ratio": r.pnl / (r.qty * r.entry_price),
            "funding_fees": r.funding,
            "amount": r.qty,
        }))
    if not frames:
        return pd.DataFrame()
    table = pd.concat(frames, ignore_index=True)
    return table.sort_values(["pair", "open_time", "close_time"], kind="stable", ignore_index=True)


def to_trades(result: FastResult, strategy: str = "") -> list[Trade]:
    """The domain Trade journal (Decimal money) for reports and the store."""
    times = pd.to_datetime(result.times_ms, unit="ms", utc=True)
    trades = []
    for j in range(result.n_trades):
        side = Side.from_sign(int(result.side[j]))
        gross = float(result.side[j]) * result.qty[j] * (result.exit_price[j] - result.entry_price[j])
        trades.append(Trade(
            symbol=result.symbol, side=side, strategy=strategy,
            entry_time=times[int(result.entry_idx[j])],
            entry_price=Decimal(repr(float(result.entry_price[j]))),
            exit_time=times[int(result.exit_idx[j])],
            exit_price=Decimal(repr(float(result.exit_price[j]))),
            qty=Decimal(repr(float(result.qty[j]))),
            gross_pnl=Decimal(repr(float(gross))),
            fees=Decimal(repr(float(result.fees[j]))),
            funding=Decimal(repr(float(result.funding[j]))),
            net_pnl=Decimal(repr(float(result.pnl[j]))),
            exit_reason=REASONS[int(result.reason[j])],
            trade_id=f"{result.symbol}-{j}",
            meta={"entry_phase": int(result.entry_phase[j]), "exit_phase": int(result.exit_phase[j])},
        ))
    return trades
