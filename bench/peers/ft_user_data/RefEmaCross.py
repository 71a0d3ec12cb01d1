"""ref_ema_cross (REFERENCE_STRATEGY.md) as a freqtrade strategy, for coinpilot's benchmark.

Written for this benchmark. The semantics it cannot express exactly (net-of-fee ROI, tick
rounding of exits, same-candle reversals) are freqtrade's own and are listed in
REFERENCE_STRATEGY.md part 2; this file only states the strategy:

* EMA(9) and EMA(21) of the close, TA-Lib (SMA seed over the file's first rows);
* long when the fast EMA crosses above the slow one at a candle's close, short on the
  opposite cross; freqtrade fills the entry at the next candle's open;
* exits only by the 1.5 % stop-loss and the 3 % ROI, never by signal.
"""

from __future__ import annotations

import talib
from freqtrade.strategy import IStrategy
from pandas import DataFrame


class RefEmaCross(IStrategy):
    INTERFACE_VERSION = 3

    timeframe = "5m"
    can_short = True
    stoploss = -0.015
    minimal_roi = {"0": 0.03}  # noqa: RUF012 (freqtrade reads a plain class attribute)
    trailing_stop = False
    use_exit_signal = False
    exit_profit_only = False
    ignore_roi_if_entry_signal = False
    process_only_new_candles = True
    # EMA(21) is defined from row 20, the cross needs one more: signals start at row 21.
    startup_candle_count = 21

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        close = dataframe["close"].to_numpy(dtype="float64")
        dataframe["ema_fast"] = talib.EMA(close, timeperiod=9)
        dataframe["ema_slow"] = talib.EMA(close, timeperiod=21)
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        fast, slow = dataframe["ema_fast"], dataframe["ema_slow"]
        fast_prev, slow_prev = fast.shift(1), slow.shift(1)
        # Comparisons with NaN are False, so the warm-up rows never signal.
        crossed_up = (fast > slow) & (fast_prev <= slow_prev)
        crossed_down = (fast < slow) & (fast_prev >= slow_prev)
        dataframe["enter_long"] = crossed_up.astype("int8")
        dataframe["enter_short"] = crossed_down.astype("int8")
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        # use_exit_signal is False: exits come from the stop-loss and ROI only.
        dataframe["exit_long"] = 0
        dataframe["exit_short"] = 0
        return dataframe
