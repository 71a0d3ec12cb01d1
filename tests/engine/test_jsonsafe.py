"""iso_utc: the vectorised ISO writer of the results files must match Timestamp.isoformat."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from coinpilot.engine.jsonsafe import iso_utc


def test_iso_utc_writes_what_isoformat_writes() -> None:
    whole = pd.date_range("2025-01-01", periods=500, freq="5min", tz="UTC")
    assert list(iso_utc(whole)) == [t.isoformat() for t in whole]
    seoul = pd.date_range("2025-01-01 09:00", periods=3, freq="1h", tz="Asia/Seoul")
    assert list(iso_utc(seoul)) == [t.tz_convert("UTC").isoformat() for t in seoul]
    frac = pd.DatetimeIndex([pd.Timestamp("2025-01-01 00:00:00.250", tz="UTC"), pd.Timestamp("2025-01-01", tz="UTC")])
    assert list(iso_utc(frac)) == [t.isoformat() for t in frac]
    assert iso_utc(pd.DatetimeIndex([], tz="UTC")).shape == (0,)


def test_iso_utc_refuses_naive_times() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        iso_utc(pd.DatetimeIndex([np.datetime64("2025-01-01")]))
