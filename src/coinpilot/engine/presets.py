"""Named backtest set-ups.

`reference` reproduces the benchmark semantics the peers (backtesting.py, freqtrade) were run
with: 0.04 % fees, 100 USDT per trade, close at the last bar's open, and no exchange lots, so
filters are off; `realistic` is the default
for users: real Binance filters (each rejected order reported), VIP0 fees, slippage, funding.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from coinpilot.engine.backtest import BacktestConfig
from coinpilot.exchanges.sim.config import SimConfig, SlippageModel
from coinpilot.execution.config import ExecutionConfig
from coinpilot.risk.config import FixedNotionalConfig, RiskConfig, SizingConfig

PRESETS = ("realistic", "reference")


def preset(name: str, strategy: str, symbols: list[str], **overrides: Any) -> BacktestConfig:
    """A BacktestConfig for a named preset; `overrides` replace top-level fields."""
    if name == "reference":
        cfg = BacktestConfig(
            strategy=strategy, symbols=symbols, leverage=1,
            sim=SimConfig(
                initial_balance=Decimal(1_000_000), market_fill="next_open", same_bar="stop_first",
                maker_fee=Decimal("0.0004"), taker_fee=Decimal("0.0004"), apply_filters=False,
                check_margin=False, funding="off", missing_funding="ignore", liquidation=False,
            ),
            execution=ExecutionConfig(on_opposite_signal="ignore", round_levels=False),
            risk=RiskConfig.permissive(
                SizingConfig(mode="fixed_notional", fixed_notional=FixedNotionalConfig(notional=Decimal(100)))
            ).model_copy(update={"enabled": False}),
            end_of_data="last_open", size_at_fill=True,
        )
    elif name == "realistic":
        cfg = BacktestConfig(
            strategy=strategy, symbols=symbols, leverage=5,
            sim=SimConfig(initial_balance=Decimal(10_000), slippage=SlippageModel(bps=1.0)),
            execution=ExecutionConfig(on_opposite_signal="reverse" if strategy.startswith("c_") else "ignore"),
            # RiskConfig's defaults, which `config show` prints: 10 % of the current balance as
            # notional per position (works for strategies with and without stops; leverage
            # lowers the margin, not the size); every seed risk rule on, halts lifted by their
            # default reset policies as a bot operator would
            risk=RiskConfig(),
        )
    else:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    return cfg.model_copy(update=overrides) if overrides else cfg
