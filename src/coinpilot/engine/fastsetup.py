"""Map an event-engine BacktestConfig onto the fast path's parameters.

Kept apart from fastrun.py (the runner) because it is the one place that decides which engine
settings the compiled kernel can express; everything it cannot is a note, or with
`strict=True` a ConfigError, so a sweep never silently simulates something else.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from coinpilot.domain.candles import open_ms
from coinpilot.domain.errors import ConfigError
from coinpilot.engine.backtest import BacktestConfig
from coinpilot.engine.fastpath import FastParams, Sizing
from coinpilot.engine.fastpath_ft import FundingSchedule
from coinpilot.engine.profiles import EntryTiming, OppositeSignal, SimProfile
from coinpilot.exchanges.sim.fillrules import Conflict, StopGap, TargetGap
from coinpilot.exchanges.sim.market import MARK_JITTER_MS
from coinpilot.risk.config import RiskConfig


@dataclass(frozen=True, slots=True)
class FastSetup:
    """FastParams for a config, and what the event engine would do that they leave out."""

    params: FastParams
    notes: tuple[str, ...] = ()


def fast_setup(cfg: BacktestConfig, *, strict: bool = False) -> FastSetup:
    """The fast-path equivalent of `cfg`. Features the kernel cannot express raise ConfigError;
    features it ignores (filters, risk rules, margin) are listed in `notes`, or raise if strict."""
    sim, ex = cfg.sim, cfg.execution
    sizing = cfg.risk.sizing_for(cfg.strategy)
    unsupported = [
        text for bad, text in (
            (ex.on_opposite_signal == "close", "execution.on_opposite_signal 'close' (use ignore or reverse)"),
            (ex.entry != "market", f"execution.entry {ex.entry!r} (market entries only)"),
            (ex.take_profit != "market", f"execution.take_profit {ex.take_profit!r} (market exits only)"),
            (ex.break_even_at_r is not None or ex.trailing_callback_pct is not None or bool(ex.partial_targets),
             "break-even, trailing stops and partial targets"),
            (sizing.mode not in ("fixed_notional", "balance_fraction"),
             f"risk sizing mode {sizing.mode!r} (fixed_notional or balance_fraction only)"),
        ) if bad
    ]
    if unsupported:
        raise ConfigError("the fast path cannot run this config: " + "; ".join(unsupported) +
                          " — run it with the event engine (coinpilot backtest)")
    rules_off = not cfg.risk.enabled or (
        cfg.risk.model_dump(exclude={"sizing", "strategies", "enabled"})
        == RiskConfig.permissive().model_dump(exclude={"sizing", "strategies", "enabled"})
    )
    reverse = ex.on_opposite_signal == "reverse"
    next_open = sim.market_fill == "next_open"
    notes = [
        text for on, text in (
            (sim.apply_filters, "exchange filters (tick/step rounding, minimum notional) are not applied"),
            (sim.check_margin or sim.liquidation, "margin checks and liquidation are not simulated"),
            (not rules_off, "risk rules (position limits, loss limits, kill switch) are not applied; "
                            "each symbol trades on its own"),
            (not cfg.size_at_fill, "quantity is notional / fill price (the engine sizes at the signal "
                                   "close unless size_at_fill)"),
            (reverse and next_open, "an opposite signal closes at the signal bar's close (the engine: "
                                    "at the next open)"),
            (cfg.end_of_data == "last_close", "a position open at the end closes at the last bar's "
                                              "open, not its close"),
            (sim.slippage.impact_bps_per_volume_pct > 0 or sim.slippage.max_volume_share is not None,
             "volume-dependent slippage is not modelled (flat bps only)"),
            (sizing.mode == "balance_fraction", "balance_fraction sizes from each symbol's own balance "
                                                "(initial + its realised PnL), not the shared account's"),
        ) if on
    ]
    if strict and notes:
        raise ConfigError("the fast path would not reproduce this config exactly: " + "; ".join(notes))
    profile = SimProfile(
        name="engine",
        entry_timing=EntryTiming.NEXT_OPEN if next_open else EntryTiming.SIGNAL_CLOSE,
        on_opposite=OppositeSignal.REVERSE if reverse else OppositeSignal.IGNORE,
        conflict=Conflict.STOP_FIRST if sim.same_bar == "stop_first" else Conflict.TARGET_FIRST,
        stop_gap=StopGap.AT_OPEN, target_gap=TargetGap.AT_OPEN,
        funding=cfg.market == "futures" and sim.funding == "apply",
    )
    params = FastParams(
        profile=profile, fee_rate=float(sim.taker_fee), slippage_bps=sim.slippage.bps,
        exit_slippage_bps=sim.slippage.bps,
        sizing=Sizing.EQUITY_FRACTION if sizing.mode == "balance_fraction" else Sizing.FIXED_NOTIONAL,
        notional=float(sizing.fixed_notional.notional), equity_fraction=sizing.balance_fraction.fraction,
        initial_equity=float(sim.initial_balance),
    )
    return FastSetup(params, tuple(notes))


def engine_funding(candles: pd.DataFrame, funding: pd.DataFrame | None, timing: EntryTiming,
                   mark: pd.DataFrame | None = None) -> FundingSchedule:
    """Funding as SimExchange books it: at the first bar opening at or after the funding time,
    priced at the mark candle opening at the funding time (that bar's open without one), never
    for a position filled at that same open.

    The kernel charges events with time <= bar open and starts a position at the first event
    >= its exposure time, so each event's time is moved to that bar's open (close fills) or one
    millisecond before it (next-open fills) to make both rules say the same thing."""
    if funding is None or len(funding) == 0 or len(candles) == 0:
        return FundingSchedule.empty()
    times = open_ms(candles)
    f_times = funding["funding_time"].to_numpy(dtype="datetime64[ms]").astype(np.int64)
    j = np.searchsorted(times, f_times, side="left")
    keep = j < times.shape[0]
    j = j[keep]
    price = candles["open"].to_numpy(dtype=np.float64)[j]
    if mark is not None and len(mark):  # SimMarket.mark_at's rule, vectorised
        m_times = open_ms(mark)
        k = np.searchsorted(m_times, f_times[keep], side="right") - 1
        at = (k >= 0) & (f_times[keep] - m_times[np.maximum(k, 0)] <= MARK_JITTER_MS)
        price = np.where(at, mark["open"].to_numpy(dtype=np.float64)[np.maximum(k, 0)], price)
    per_unit = funding["rate"].to_numpy(dtype=np.float64)[keep] * price
    shift = 1 if timing is EntryTiming.NEXT_OPEN else 0
    return FundingSchedule(np.ascontiguousarray(times[j] - shift), np.ascontiguousarray(per_unit))
