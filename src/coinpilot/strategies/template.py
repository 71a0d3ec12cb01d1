"""The starting point `coinpilot strategies new NAME` writes: a complete, working strategy.

Why a working one and not a skeleton: a new user's first run should trade, pass the look-ahead
check and show where each part goes (parameters, warm-up, vectorised `prepare`, levels); they
then change the rule, not the plumbing. docs/strategies.md walks through it.
"""

from __future__ import annotations

import keyword
import re

from coinpilot.domain.errors import ConfigError

_NAME = re.compile(r"[a-z][a-z0-9_]{1,40}")

MODULE = '''"""`{name}`: Donchian channel breakout with a stop and a target in percent of the entry.

Long when the close breaks above the highest high of the previous `channel` bars, short when
it breaks below their lowest low. Every value at bar t uses bars up to t only (the channel is
shifted by one bar), so the decision at a candle's close never sees a later candle:
`coinpilot check-lookahead {name}` proves it on real data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field

from coinpilot.domain.enums import LevelMode
from coinpilot.indicators import rolling_max, rolling_min, shift, warmup
from coinpilot.strategies.base import MarketData, Strategy, StrategyParams, empty_signals


class {cls}Params(StrategyParams):
    """Every parameter with its default; a typo in a config file is an error."""

    timeframe: str = "15m"
    channel: int = Field(48, ge=2, description="bars in the breakout channel")
    stop_pct: float = Field(0.01, gt=0, lt=1, description="stop, fraction of the entry price")
    target_pct: float = Field(0.02, gt=0, description="take-profit, fraction of the entry price")
    allow_short: bool = Field(True, description="also trade breakouts to the downside")


class {cls}(Strategy):
    name = "{name}"  # must equal the file name
    description = "Donchian breakout: close beyond the previous N-bar high/low, percent stop and target"
    Params = {cls}Params
    level_mode = LevelMode.PCT  # stop/target columns are fractions of the entry fill
    params: {cls}Params

    @property
    def warmup_bars(self) -> int:
        # the channel of the previous bars: its own warm-up plus the one-bar shift
        return warmup("rolling_max", period=self.params.channel) + 1

    def prepare(self, data: MarketData) -> pd.DataFrame:
        p = self.params
        high = data.candles["high"].to_numpy(dtype=np.float64)
        low = data.candles["low"].to_numpy(dtype=np.float64)
        close = data.candles["close"].to_numpy(dtype=np.float64)
        upper = shift(rolling_max(high, p.channel))  # highest high of the previous `channel` bars
        lower = shift(rolling_min(low, p.channel))
        out = empty_signals(len(close))  # signal, exit, stop, target, score
        with np.errstate(invalid="ignore"):  # NaN during the warm-up compares False
            up = close > upper
            down = (close < lower) & p.allow_short
        out["signal"][up] = 1
        out["signal"][down] = -1
        hit = up | down
        out["stop"][hit] = p.stop_pct
        out["target"][hit] = p.target_pct
        out["score"][hit] = (np.abs(close - np.where(up, upper, lower)) / close)[hit] * 1e4
        return pd.DataFrame({{"channel_high": upper, "channel_low": lower, **out}})
'''

SYMBOL_YAML = '''# Parameters of `{name}` for {symbol} only (they win over the config file's strategies.{name}).
# `enabled: false` leaves {symbol} out of this strategy's runs.
enabled: true
channel: 48
'''


def class_name(name: str) -> str:
    """'my_breakout' → 'MyBreakout'."""
    return "".join(part.capitalize() for part in name.split("_"))


def check_name(name: str) -> str:
    """A strategy name usable as a module file and a config key, else ConfigError."""
    if not _NAME.fullmatch(name) or keyword.iskeyword(name):
        raise ConfigError(
            f"strategy name {name!r}: use 2-41 lower-case letters, digits and _, starting with a "
            "letter (it becomes <name>.py and the config key strategies.<name>)"
        )
    return name


def render(name: str) -> str:
    """The module text for strategy `name`."""
    check_name(name)
    return MODULE.format(name=name, cls=class_name(name))


def render_symbol_yaml(name: str, symbol: str) -> str:
    return SYMBOL_YAML.format(name=name, symbol=symbol)
