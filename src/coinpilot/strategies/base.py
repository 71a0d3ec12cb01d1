"""The strategy contract: vectorised `prepare` over closed candles, a decision per bar.

A strategy never trades. `prepare` computes, over a whole frame of *closed* candles, one row per
candle with at least the columns in `SIGNAL_COLUMNS`; `decide(prepared, t)` turns row t into an
`Intent` or None. The backtester may call `prepare` once over all history and then `decide` at
every bar, and live trading calls it over a fixed look-back window at each candle close: both
are the same only because `prepare` has no look-ahead, which `strategies.lookahead` checks.

Signal columns (per row t, known at the close of candle t):
    signal  int8     +1 enter long, −1 enter short, 0 nothing
    exit    int8     +1 close a long, −1 close a short, 0 nothing
    stop    float64  stop offset for the signalled entry, read with `Strategy.level_mode`
                     (fraction of the fill for PCT, price distance for DIST; NaN: none)
    target  float64  take-profit offset, same reading (NaN: none)
    score   float64  strength of the signal (strategy-defined scale, 0 when none)
"""

from __future__ import annotations

import math
import weakref
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from coinpilot.domain.candles import TIME, close_ms, utc_stamp
from coinpilot.domain.enums import IntentAction, LevelMode, Side
from coinpilot.domain.errors import LookAheadError, StrategyError
from coinpilot.domain.intent import ExitLevel, Intent
from coinpilot.domain.timeframe import Timeframe

SIGNAL_COLUMNS = ("signal", "exit", "stop", "target", "score")
PRICE_PANEL = "price"  # Strategy.plot_columns: drawn over the candles

_COLUMNS: dict[int, tuple[weakref.ref[pd.DataFrame], dict[str, np.ndarray]]] = {}


def _forget(key: int, _ref: object) -> None:
    _COLUMNS.pop(key, None)


def column(frame: pd.DataFrame, name: str) -> np.ndarray:
    """frame[name] as a cached numpy array: decisions read single rows many thousand times, and
    a pandas column lookup costs ~30 µs where an array index costs ~0.1 µs. Frames handed to
    decide() are never mutated after prepare(), which is what makes the cache safe."""
    return _column_in(_arrays_of(frame), frame, name)


def _arrays_of(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """The cached arrays of `frame` (filled by _column_in), kept until the frame is freed."""
    key = id(frame)
    entry = _COLUMNS.get(key)
    if entry is None or entry[0]() is not frame:
        entry = (weakref.ref(frame, partial(_forget, key)), {})
        _COLUMNS[key] = entry
    return entry[1]


def _column_in(arrays: dict[str, np.ndarray], frame: pd.DataFrame, name: str) -> np.ndarray:
    array = arrays.get(name)
    if array is None:
        series = frame[name]
        if isinstance(series.dtype, pd.DatetimeTZDtype):  # UTC instants as datetime64[ms]
            array = series.to_numpy(dtype="datetime64[ms]")
        else:
            array = series.to_numpy()
        arrays[name] = array
    return array


_TIMEFRAME_MS: dict[str, int] = {}
_OPEN_MS = "\x00open_ms"  # cache key beside the column names: no column can be called that


def _timeframe_ms(strategy: Strategy) -> int:
    """strategy.timeframe.ms without parsing the text again at every intent."""
    if type(strategy).timeframe is not Strategy.timeframe:  # a subclass defines its own
        return strategy.timeframe.ms
    text = strategy.params.timeframe
    ms = _TIMEFRAME_MS.get(text)
    if ms is None:
        ms = _TIMEFRAME_MS[text] = Timeframe.parse(text).ms
    return ms


class StrategyParams(BaseModel):
    """Base of every strategy's parameters. Unknown keys are errors (typos must not pass)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timeframe: str = "5m"
    time_limit_bars: int | None = Field(None, ge=1)

    @field_validator("timeframe")
    @classmethod
    def _known_timeframe(cls, value: str) -> str:
        return Timeframe.parse(value).name  # ValueError: what a timeframe looks like


@dataclass(frozen=True)
class MarketData:
    """Closed candles handed to a strategy.

    `candles` is the primary timeframe; `informative` maps other timeframes ('1h', …) to their
    own closed candles (raw, unaligned: align with `coinpilot.data.mtf.align_to`); `context`
    maps other symbols (e.g. 'BTCUSDT') to candles of the primary timeframe; `funding` is the
    funding-rate series if the market has one. `as_of` is the decision time: every candle given
    must have closed by then, which the constructor enforces.
    """

    symbol: str
    timeframe: Timeframe
    candles: pd.DataFrame
    informative: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    context: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    funding: pd.DataFrame | None = None
    as_of: pd.Timestamp | None = None

    def __post_init__(self) -> None:
        if self.as_of is None:
            return
        limit = int(pd.Timestamp(self.as_of).value // 1_000_000)
        frames: list[tuple[str, pd.DataFrame, Timeframe]] = [
            (self.timeframe.name, self.candles, self.timeframe)
        ]
        frames += [(k, v, Timeframe.parse(k)) for k, v in self.informative.items()]
        frames += [(k, v, self.timeframe) for k, v in self.context.items()]
        for label, frame, tf in frames:
            if len(frame) and int(close_ms(frame, tf)[-1]) > limit:
                raise LookAheadError(
                    f"{self.symbol}: candle {frame[TIME].iloc[-1]} of {label} is still open at "
                    f"{self.as_of}; strategies only receive closed candles"
                )


class Strategy(ABC):
    """Base class of all strategies. Subclasses set `name`, `Params` and implement `prepare`."""

    name: ClassVar[str]
    Params: ClassVar[type[StrategyParams]] = StrategyParams
    description: ClassVar[str] = ""
    #: other timeframes the strategy reads through MarketData.informative
    informative_timeframes: ClassVar[tuple[str, ...]] = ()
    #: how the prepared `stop`/`target` offsets are read (see domain.intent.ExitLevel)
    level_mode: ClassVar[LevelMode] = LevelMode.DIST
    #: prepared columns the report draws with the candles, as (column, panel) pairs: panel
    #: PRICE_PANEL draws over the candles, any other name is a panel below them (columns
    #: naming one panel share it). A reader of a report should see what the strategy saw.
    plot_columns: ClassVar[tuple[tuple[str, str], ...]] = ()

    def __init__(self, params: StrategyParams | Mapping[str, Any] | None = None) -> None:
        if params is None:
            params = self.Params()
        elif not isinstance(params, StrategyParams):
            params = self.Params(**dict(params))
        self.params = params

    @property
    def timeframe(self) -> Timeframe:
        return Timeframe.parse(self.params.timeframe)

    @property
    def context_symbols(self) -> tuple[str, ...]:
        """Other symbols whose candles the strategy reads (MarketData.context)."""
        return ()

    @property
    def warmup_bars(self) -> int:
        """Bars before the first possible decision; live trading keeps at least this many."""
        return 0

    @property
    def history_bars(self) -> int:
        """Bars of history to load before the first decision so that it equals the decision
        of a run over all history: the warm-up plus the memory of recursive indicators.

        An EMA or Wilder average forgets its seed by a factor (1 - alpha) per bar; ten times
        the warm-up leaves less than 1e-8 of it for an EMA whose warm-up is its period, far
        below any tie tolerance. Override for strategies with longer memory.
        """
        return 10 * self.warmup_bars + 10

    @abstractmethod
    def prepare(self, data: MarketData) -> pd.DataFrame:
        """Vectorised indicators and signal columns, one row per candle of data.candles."""

    def decide(self, prepared: pd.DataFrame, t: int, data: MarketData) -> Intent | None:
        """The intent at the close of bar t (default: read the signal columns of row t)."""
        rows = _arrays_of(prepared)  # column() once per frame, not once per value
        exit_dir = int(_column_in(rows, prepared, "exit")[t])
        sig = int(_column_in(rows, prepared, "signal")[t])
        if sig == 0 and exit_dir == 0:
            return None
        candles = _arrays_of(data.candles)
        opens = candles.get(_OPEN_MS)
        if opens is None:  # bar open times as int64 ms, once: a datetime64 scalar's astype costs ~1 µs
            opens = candles[_OPEN_MS] = _column_in(candles, data.candles, TIME).astype("datetime64[ms]").view(np.int64)
        when = utc_stamp(int(opens[t]) + _timeframe_ms(self))
        price = float(_column_in(candles, data.candles, "close")[t])
        common: dict[str, Any] = {"strategy": self.name, "symbol": data.symbol, "time": when, "price": price,
                  "reason": self.reason(prepared, t)}
        if sig == 0:
            return Intent(action=IntentAction.EXIT, side=Side.from_sign(exit_dir), **common)
        stop = float(_column_in(rows, prepared, "stop")[t])
        target = float(_column_in(rows, prepared, "target")[t])
        return Intent(
            action=IntentAction.ENTER,
            side=Side.from_sign(sig),
            stop=None if math.isnan(stop) else ExitLevel(self.level_mode, stop),
            target=None if math.isnan(target) else ExitLevel(self.level_mode, target),
            time_limit_bars=self.params.time_limit_bars,
            score=float(_column_in(rows, prepared, "score")[t]),
            probability=self.probability(prepared, t),
            **common,
        )

    def probability(self, prepared: pd.DataFrame, t: int) -> float | None:
        """The win probability an entry at bar t carries to the risk gates (W06), or None
        for strategies that have no such estimate (the gate then does not apply)."""
        return None

    def reason(self, prepared: pd.DataFrame, t: int) -> str:
        """Human-readable reason for the decision at bar t (override for detail)."""
        return self.name


def validate_prepared(strategy: Strategy, data: MarketData, prepared: pd.DataFrame) -> pd.DataFrame:
    """Fence user code: check shape, columns and value domains of `prepare`'s output."""
    if not isinstance(prepared, pd.DataFrame):
        raise StrategyError(f"{strategy.name}.prepare returned {type(prepared).__name__}, not a DataFrame")
    if len(prepared) != len(data.candles):
        raise StrategyError(
            f"{strategy.name}.prepare returned {len(prepared)} rows for {len(data.candles)} candles"
        )
    missing = [c for c in SIGNAL_COLUMNS if c not in prepared.columns]
    if missing:
        raise StrategyError(f"{strategy.name}.prepare is missing columns {missing}")
    for col in ("signal", "exit"):
        values = prepared[col].to_numpy()
        if not np.isin(values, (-1, 0, 1)).all():
            raise StrategyError(f"{strategy.name}.prepare: column {col!r} must hold -1, 0 or 1")
    return prepared


def empty_signals(n: int) -> dict[str, np.ndarray]:
    """Fresh signal columns for n rows, to be filled by a strategy's prepare."""
    return {
        "signal": np.zeros(n, dtype=np.int8),
        "exit": np.zeros(n, dtype=np.int8),
        "stop": np.full(n, np.nan),
        "target": np.full(n, np.nan),
        "score": np.zeros(n),
    }
