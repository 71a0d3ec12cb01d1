from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import structlog
from tests.conftest import shared_data_path

from coinpilot.data.store import CandleStore, sample_root
from coinpilot.domain.candles import SeriesKey

SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "BNBUSDT", "DOGEUSDT")


def _feather(path: Path) -> pd.DataFrame:
    frame = pd.read_feather(path).rename(columns={"date": "open_time"})
    frame["open_time"] = frame["open_time"].astype("datetime64[ms, UTC]")
    return frame


@pytest.fixture(scope="session")
def marketlab_store(tmp_path_factory: pytest.TempPathFactory) -> CandleStore:
    """The full 6-symbol marketlab 5m set (+ funding) as a candle store, built once."""
    src = shared_data_path() / "binance_um_futures" / "marketlab"
    store = CandleStore(tmp_path_factory.mktemp("marketlab"))
    for symbol in SYMBOLS:
        base = symbol[:-4]
        store.save(SeriesKey("binance", "futures", symbol, "5m"), _feather(src / f"{base}_USDT_USDT-5m-futures.feather"))
        fund = _feather(src / f"{base}_USDT_USDT-1h-funding_rate.feather")
        store.save(SeriesKey("binance", "futures", symbol, "funding"),
                   pd.DataFrame({"funding_time": fund["open_time"], "rate": fund["open"]}))
    return store


@pytest.fixture(scope="module", autouse=True)
def _quiet_engine_logs() -> Iterator[None]:
    """The engine logs every closed trade; keep engine tests quiet, then restore the config."""
    saved = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    yield
    structlog.configure(**saved)


@pytest.fixture(scope="module")
def store() -> CandleStore:
    return CandleStore(sample_root())
