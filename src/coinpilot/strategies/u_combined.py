"""`u_combined`: the Upbit bot's strategy combination (SPEC U11).

The main strategy (`main`, a registered name, default the seed's VolatilityBreakout) decides;
an optional RSI confirmation vetoes buys while RSI(rsi_period) > overbought ("no buy while
overbought"; an RSI still in its warm-up cannot confirm, so it vetoes too). Exits pass through
unchanged. `long_only` (default, Upbit KRW spot) drops the
main strategy's short entries and short exits.

Constraints, checked at construction with a ConfigError: the main strategy must read only the
primary timeframe (no informative timeframes) and give PCT levels, because `level_mode` and
`informative_timeframes` are class-level facts of a strategy that this wrapper must state
up front; the U-family strategies and ref_ema_cross qualify. The main strategy runs on this
strategy's timeframe; its own parameters go in `main_params`. If `time_limit_bars` is not
set here, the main strategy's applies (VolatilityBreakout's one-bar hold).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field

from coinpilot.domain.enums import IntentAction, LevelMode
from coinpilot.domain.errors import ConfigError, UnknownStrategyError
from coinpilot.domain.intent import Intent
from coinpilot.indicators import rsi, warmup
from coinpilot.strategies._rows import num, sign
from coinpilot.strategies.base import SIGNAL_COLUMNS, MarketData, Strategy, StrategyParams
from coinpilot.strategies.registry import create, register


class CombinedParams(StrategyParams):
    timeframe: str = "5m"
    main: str = Field("u_volatility_breakout", description="registered name of the deciding strategy")
    main_params: dict[str, Any] = Field(default_factory=dict, description="parameters of the main strategy")
    rsi_filter: bool = Field(True, description="veto buys while RSI is overbought")
    rsi_period: int = Field(14, ge=2)
    overbought: float = Field(70.0, gt=0, lt=100)
    long_only: bool = Field(True, description="drop short entries/exits (spot)")


@register
class Combined(Strategy):
    name = "u_combined"
    plot_columns = (("confirm_rsi", "rsi"),)
    description = "Main strategy (default volatility breakout) confirmed by RSI: no buy while overbought"
    Params = CombinedParams
    level_mode = LevelMode.PCT
    params: CombinedParams

    def __init__(self, params: StrategyParams | Mapping[str, Any] | None = None) -> None:
        super().__init__(params)
        p = self.params
        if p.main == self.name:
            raise ConfigError(f"{self.name}.main cannot be {self.name} itself")
        if "timeframe" in p.main_params and p.main_params["timeframe"] != p.timeframe:
            raise ConfigError(
                f"{self.name}.main_params.timeframe = {p.main_params['timeframe']!r} differs from "
                f"{self.name}.timeframe = {p.timeframe!r}; set only {self.name}.timeframe"
            )
        try:
            self.main = create(p.main, {**p.main_params, "timeframe": p.timeframe})
        except UnknownStrategyError as exc:
            raise ConfigError(f"{self.name}.main = {p.main!r}: {exc}") from None
        if self.main.informative_timeframes or self.main.level_mode is not LevelMode.PCT:
            raise ConfigError(
                f"{self.name}.main = {p.main!r} is not allowed: the main strategy must use only the "
                "primary timeframe and PCT levels (e.g. u_volatility_breakout, u_dual_momentum, u_rsi, "
                "ref_ema_cross)"
            )

    @property
    def context_symbols(self) -> tuple[str, ...]:
        return self.main.context_symbols

    @property
    def warmup_bars(self) -> int:
        return max(self.main.warmup_bars, warmup("rsi", period=self.params.rsi_period))

    def prepare(self, data: MarketData) -> pd.DataFrame:
        p = self.params
        main = self.main.prepare(data).reset_index(drop=True)
        confirm = rsi(data.candles["close"].to_numpy(dtype=np.float64), p.rsi_period)
        signal = main["signal"].to_numpy(dtype=np.int8).copy()
        exit_ = main["exit"].to_numpy(dtype=np.int8).copy()
        with np.errstate(invalid="ignore"):
            # an RSI not yet known (warm-up) cannot confirm a buy either
            confirmed = confirm <= p.overbought
            vetoed = (signal > 0) & ~confirmed if p.rsi_filter else np.zeros(len(signal), dtype=bool)
        signal[vetoed] = 0
        if p.long_only:
            signal[signal < 0] = 0
            exit_[exit_ < 0] = 0
        out = main.copy()
        for col in SIGNAL_COLUMNS:
            out[f"main_{col}"] = main[col]
        out["confirm_rsi"] = confirm
        out["vetoed"] = vetoed
        out["signal"] = signal
        out["exit"] = exit_
        dropped = signal == 0
        out.loc[dropped, "stop"] = np.nan
        out.loc[dropped, "target"] = np.nan
        out.loc[dropped, "score"] = 0.0
        return out

    def decide(self, prepared: pd.DataFrame, t: int, data: MarketData) -> Intent | None:
        intent = super().decide(prepared, t, data)
        if (intent is not None and intent.action is IntentAction.ENTER
                and self.params.time_limit_bars is None and self.main.params.time_limit_bars is not None):
            intent = dataclasses.replace(intent, time_limit_bars=self.main.params.time_limit_bars)
        return intent

    def reason(self, prepared: pd.DataFrame, t: int) -> str:
        p = self.params
        r = num(prepared, "confirm_rsi", t)
        main_reason = self.main.reason(prepared, t)
        if sign(prepared, "vetoed", t):
            why = "not yet known" if np.isnan(r) else f"{r:.1f} > {p.overbought:g}"
            return f"{p.main} buy vetoed: RSI{p.rsi_period} {why} ({main_reason})"
        check = f"RSI{p.rsi_period} {r:.1f} <= {p.overbought:g}" if p.rsi_filter else "no RSI filter"
        return f"{p.main}: {main_reason}; {check}"
