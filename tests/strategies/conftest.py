"""Fixtures for strategy tests: the bundled sample as MarketData for any strategy."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from coinpilot.data.store import CandleStore, sample_root
from coinpilot.strategies.base import MarketData, Strategy
from coinpilot.strategies.marketdata import market_data_for


@pytest.fixture(scope="session")
def sample_store() -> CandleStore:
    return CandleStore(sample_root())


_CACHE: dict[tuple[str, str, str], MarketData] = {}


@pytest.fixture(scope="session")
def sample_data(sample_store: CandleStore) -> Callable[[Strategy, str], MarketData]:
    """MarketData from the bundled sample for (strategy, symbol), resampled where needed."""

    def build(strategy: Strategy, symbol: str) -> MarketData:
        key = (strategy.timeframe.name, ",".join(strategy.informative_timeframes) + "|" + ",".join(strategy.context_symbols), symbol)
        if key not in _CACHE:
            _CACHE[key] = market_data_for(strategy, sample_store, symbol)
        return _CACHE[key]

    return build
