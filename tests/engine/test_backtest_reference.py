"""The event-driven engine reproduces the reference benchmark trade for trade.

../shared/bench/trades/reference_trades.csv is backtesting.py's list, identical to the
reference semantics of REFERENCE_STRATEGY.md part 1 (4759 trades, PnL −701.54).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.conftest import SHARED
from tests.engine.conftest import SYMBOLS

from coinpilot.data.store import CandleStore
from coinpilot.engine.backtest import Backtest
from coinpilot.engine.presets import preset
from coinpilot.engine.results import peer_trades_frame

pytestmark = pytest.mark.shared_data


def _reference() -> pd.DataFrame:
    path = SHARED / "bench" / "trades" / "reference_trades.csv"
    if not path.exists():
        pytest.skip(f"needs {path}")
    return pd.read_csv(path)


def test_event_engine_matches_reference_trades(marketlab_store: CandleStore) -> None:
    expected = _reference()
    result = Backtest(preset("reference", "ref_ema_cross", list(SYMBOLS)), marketlab_store).run()
    got = peer_trades_frame(result.trades)
    assert len(got) == len(expected) == 4759
    key = ["pair", "open_time"]
    got = got.sort_values(key).reset_index(drop=True)
    expected = expected.sort_values(key).reset_index(drop=True)
    for col in ("pair", "direction", "open_time", "close_time", "exit_reason"):
        assert (got[col].astype(str) == expected[col].astype(str)).all(), col
    for col in ("open_price", "close_price"):
        np.testing.assert_allclose(got[col].to_numpy(float), expected[col].to_numpy(float), rtol=0, atol=1e-9)
    np.testing.assert_allclose(got["profit_abs"].to_numpy(float), expected["profit_abs"].to_numpy(float), atol=1e-9)
    assert float(got["profit_abs"].sum()) == pytest.approx(-701.54, abs=0.005)
