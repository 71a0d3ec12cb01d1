"""Shared builders for the fast-path tests (no tests here): hand-made 5-minute candles near 100."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from coinpilot.domain.enums import LevelMode
from coinpilot.engine.fastpath import FastParams, FastResult, simulate
from coinpilot.engine.fastpath_ft import FundingSchedule
from coinpilot.engine.profiles import REFERENCE, SimProfile

T0 = 1_735_689_600_000  # 2025-01-01 00:00 UTC
STEP = 300_000
QUIET = (100.0, 100.5, 99.5, 100.0)


def run(
    bars: Sequence[tuple[float, float, float, float]],
    signals: dict[int, int],
    *,
    exits: dict[int, int] | None = None,
    stop: float = 0.02,
    target: float = 0.04,
    profile: SimProfile = REFERENCE,
    level_mode: LevelMode = LevelMode.PCT,
    funding: FundingSchedule | None = None,
    **params: object,
) -> FastResult:
    """Simulate `bars` with entry signals {bar: ±1} (stop/target offsets on those bars)."""
    ohlc = np.array(bars, dtype=np.float64)
    n = ohlc.shape[0]
    sig = np.zeros(n, dtype=np.int8)
    for i, s in signals.items():
        sig[i] = s
    ext = np.zeros(n, dtype=np.int8)
    for i, s in (exits or {}).items():
        ext[i] = s
    stop_off = np.where(sig != 0, stop, np.nan)
    target_off = np.where(sig != 0, target, np.nan)
    times = T0 + STEP * np.arange(n, dtype=np.int64)
    return simulate(
        ohlc[:, 0], ohlc[:, 1], ohlc[:, 2], ohlc[:, 3], times, sig, ext, stop_off, target_off,
        level_mode, FastParams(profile=profile, **params),  # type: ignore[arg-type]
        funding=funding, symbol="TEST",
    )


def trades(result: FastResult) -> list[tuple[int, int, int, float, float, str]]:
    """(side, entry bar, exit bar, entry price, exit price, reason) per trade."""
    from coinpilot.engine.fastpath import REASONS

    return [
        (int(result.side[j]), int(result.entry_idx[j]), int(result.exit_idx[j]),
         float(result.entry_price[j]), float(result.exit_price[j]), REASONS[int(result.reason[j])].value)
        for j in range(result.n_trades)
    ]
