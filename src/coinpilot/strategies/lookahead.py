"""Look-ahead check: does a strategy's output at bar t change when the future is removed?

For a set of cut points t, `prepare` runs on the data as it was at the close of bar t (primary
candles up to t; informative, context and funding rows that had closed by then) and every
column at bars <= t must equal the full-data run (NaN == NaN; floats to 1e-9 relative), and
`decide(prepared, t)` must give the same intent. Any difference means the full run used data
from after its decision time, so backtests would be better than live trading can be.

Cut points cover where leaks show: bars with signals or exits, the bars on either side of an
informative candle's close (a wrong alignment peeks exactly there), and seeded random bars.
The check also confirms that MarketData rejects a candle still open at `as_of`, the guard the
live path relies on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from coinpilot.domain.candles import close_ms, open_ms
from coinpilot.domain.errors import LookAheadError
from coinpilot.domain.intent import Intent
from coinpilot.domain.timeframe import Timeframe
from coinpilot.strategies.base import SIGNAL_COLUMNS, MarketData, Strategy, validate_prepared

DEFAULT_CUTS = 24
REL_TOL = 1e-9


@dataclass(frozen=True)
class LookAheadIssue:
    """The first difference found for one cut: bar, column and the two values."""

    cut: int
    bar: int
    time: pd.Timestamp | None
    column: str
    full: object
    truncated: object

    def __str__(self) -> str:
        return (f"cut at bar {self.cut}: bar {self.bar} ({self.time}) column {self.column!r}: "
                f"full data {self.full!r} vs data up to the cut {self.truncated!r}")


@dataclass(frozen=True)
class LookAheadReport:
    strategy: str
    symbol: str
    cuts: tuple[int, ...]
    columns: tuple[str, ...]
    issues: tuple[LookAheadIssue, ...]

    @property
    def ok(self) -> bool:
        return not self.issues

    @property
    def first(self) -> LookAheadIssue | None:
        """The earliest differing bar over all cuts (the leak's first visible effect)."""
        return min(self.issues, key=lambda i: (i.bar, i.cut)) if self.issues else None

    def summary(self) -> str:
        head = f"{self.strategy} on {self.symbol}: {len(self.cuts)} cuts, {len(self.columns)} columns"
        if self.ok:
            return f"{head}: no look-ahead found"
        return f"{head}: LOOK-AHEAD in {len(self.issues)} cut(s); first: {self.first}"

    def raise_if_failed(self) -> None:
        if not self.ok:
            raise LookAheadError(self.summary())


def check_lookahead(
    strategy: Strategy,
    data: MarketData,
    cuts: int | Sequence[int] = DEFAULT_CUTS,
    *,
    seed: int = 0,
    rel_tol: float = REL_TOL,
) -> LookAheadReport:
    """Compare `strategy` on full data with runs on data truncated at each cut (see module doc)."""
    full = validate_prepared(strategy, data, strategy.prepare(data))
    n = len(data.candles)
    chosen = tuple(cuts) if not isinstance(cuts, int) else choose_cuts(strategy, data, full, cuts, seed)
    for t in chosen:
        if not 0 <= t < n:
            raise ValueError(f"cut {t} is outside the data (0..{n - 1})")
    columns = tuple(SIGNAL_COLUMNS) + tuple(c for c in full.columns if c not in SIGNAL_COLUMNS)
    issues: list[LookAheadIssue] = []
    guard = _open_candle_guard(data, chosen)
    if guard is not None:
        issues.append(guard)
    for t in chosen:
        issue = _check_cut(strategy, data, full, t, columns, rel_tol)
        if issue is not None:
            issues.append(issue)
    return LookAheadReport(strategy.name, data.symbol, chosen, columns, tuple(issues))


def truncate(data: MarketData, t: int) -> MarketData:
    """The data as known at the close of bar t: only candles closed by then."""
    tf = data.timeframe
    as_of = _time_at(data.candles, t) + tf.delta
    as_of_ms = int(as_of.value // 1_000_000)
    informative = {k: _closed(v, Timeframe.parse(k), as_of_ms) for k, v in data.informative.items()}
    context = {k: _closed(v, tf, as_of_ms) for k, v in data.context.items()}
    funding = None
    if data.funding is not None:
        funding = data.funding.loc[data.funding["funding_time"] <= as_of].reset_index(drop=True)
    return MarketData(
        symbol=data.symbol, timeframe=tf, candles=data.candles.iloc[: t + 1].reset_index(drop=True),
        informative=informative, context=context, funding=funding, as_of=as_of,
    )


def choose_cuts(strategy: Strategy, data: MarketData, prepared: pd.DataFrame, count: int, seed: int = 0) -> tuple[int, ...]:
    """About `count` cut points: a third at signal/exit bars, a third at informative-candle
    boundaries (the closing bar and the one before), the rest random; all seeded."""
    n = len(data.candles)
    if n < 2 or count <= 0:
        return ()
    rng = np.random.default_rng(seed)
    last = n - 2  # cutting at the last bar is the full run itself
    picked: set[int] = set()

    def take(pool: np.ndarray, k: int) -> None:
        pool = np.unique(pool[(pool >= 0) & (pool <= last)])
        pool = np.setdiff1d(pool, np.fromiter(picked, dtype=np.int64, count=len(picked)))
        if len(pool) and k > 0:
            picked.update(int(x) for x in rng.choice(pool, size=min(k, len(pool)), replace=False))

    active = (prepared["signal"].to_numpy() != 0) | (prepared["exit"].to_numpy() != 0)
    take(np.flatnonzero(active), count // 3)
    closes = close_ms(data.candles, data.timeframe)
    boundary: list[np.ndarray] = []
    for name in data.informative:
        at_close = np.flatnonzero(closes % Timeframe.parse(name).ms == 0)
        boundary += [at_close, at_close - 1]
    if boundary:
        take(np.concatenate(boundary), count // 3)
    warm = min(strategy.warmup_bars, last)
    take(np.array([warm, min(warm + 1, last)]), 2 if count >= 6 else 0)
    take(np.arange(0, last + 1), count - len(picked))
    return tuple(sorted(picked))


def _time_at(frame: pd.DataFrame, i: int) -> pd.Timestamp:
    """Open time of row i as a UTC Timestamp."""
    return pd.Timestamp(int(open_ms(frame.iloc[i : i + 1])[0]), unit="ms", tz="UTC")


def _closed(frame: pd.DataFrame, tf: Timeframe, as_of_ms: int) -> pd.DataFrame:
    if not len(frame):
        return frame
    return frame.loc[close_ms(frame, tf) <= as_of_ms].reset_index(drop=True)


def _check_cut(
    strategy: Strategy, data: MarketData, full: pd.DataFrame, t: int, columns: tuple[str, ...], rel_tol: float
) -> LookAheadIssue | None:
    part = truncate(data, t)
    time = _time_at(part.candles, t)
    try:
        prepared = validate_prepared(strategy, part, strategy.prepare(part))
    except Exception as exc:  # a strategy that cannot run on its own past is a finding, not a crash
        return LookAheadIssue(t, t, time, "<prepare>", "ran on full data", f"{type(exc).__name__}: {exc}")
    for col in columns:
        if col not in prepared.columns:
            return LookAheadIssue(t, t, time, col, "present", "missing")
        bad = _first_mismatch(full[col].to_numpy()[: t + 1], prepared[col].to_numpy(), rel_tol)
        if bad is not None:
            return LookAheadIssue(t, bad, _time_at(part.candles, bad), col,
                                  full[col].iat[bad], prepared[col].iat[bad])
    try:
        want = strategy.decide(full, t, data)
        got = strategy.decide(prepared, t, part)
    except Exception as exc:
        return LookAheadIssue(t, t, time, "<decide>", "", f"{type(exc).__name__}: {exc}")
    diff = _intent_difference(want, got, rel_tol)
    if diff is not None:
        return LookAheadIssue(t, t, time, f"<decide>.{diff[0]}", diff[1], diff[2])
    return None


def _first_mismatch(a: np.ndarray, b: np.ndarray, rel_tol: float) -> int | None:
    if len(a) != len(b):
        return min(len(a), len(b))
    if a.dtype.kind in "fc" or b.dtype.kind in "fc":
        x = a.astype(np.float64)
        y = b.astype(np.float64)
        both_nan = np.isnan(x) & np.isnan(y)
        with np.errstate(invalid="ignore"):
            close = (x == y) | (np.abs(x - y) <= rel_tol * np.maximum(np.abs(x), np.abs(y)))
        same = both_nan | close
    else:
        same = np.asarray(pd.Series(a).eq(pd.Series(b)) | (pd.isna(a) & pd.isna(b)), dtype=bool)
    bad = np.flatnonzero(~same)
    return int(bad[0]) if len(bad) else None


def _intent_difference(a: Intent | None, b: Intent | None, rel_tol: float) -> tuple[str, object, object] | None:
    if a is None or b is None:
        return None if a is b else ("intent", a, b)
    for f in fields(Intent):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if not _same_value(x, y, rel_tol):
            return (f.name, x, y)
    return None


def _same_value(x: object, y: object, rel_tol: float) -> bool:
    if isinstance(x, float) and isinstance(y, float):
        return (math.isnan(x) and math.isnan(y)) or math.isclose(x, y, rel_tol=rel_tol, abs_tol=0.0)
    if hasattr(x, "mode") and hasattr(y, "mode"):  # ExitLevel
        return x.mode == y.mode and _same_value(float(x.value), float(y.value), rel_tol)  # type: ignore[attr-defined]
    return bool(x == y)


def _open_candle_guard(data: MarketData, cuts: tuple[int, ...]) -> LookAheadIssue | None:
    """MarketData must refuse a candle that is still open at as_of (the live path's guard)."""
    t = next((c for c in cuts if c + 1 < len(data.candles)), None)
    if t is None:
        return None
    part = truncate(data, t)
    leaky = data.candles.iloc[: t + 2].reset_index(drop=True)
    try:
        MarketData(symbol=data.symbol, timeframe=data.timeframe, candles=leaky,
                   informative=part.informative, context=part.context, as_of=part.as_of)
    except LookAheadError:
        return None
    return LookAheadIssue(t, t + 1, _time_at(data.candles, t + 1), "<MarketData>",
                          "LookAheadError for an open candle", "accepted")
