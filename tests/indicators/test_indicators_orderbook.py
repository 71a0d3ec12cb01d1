"""W04 order-book formulas: spread in bps and imbalance."""

from __future__ import annotations

import pytest

from coinpilot.domain.errors import DataError
from coinpilot.indicators import imbalance, spread_bps


def test_spread_bps_is_spread_over_mid_times_ten_thousand() -> None:
    assert spread_bps(99.99, 100.01) == pytest.approx(0.02 / 100.0 * 10_000)
    assert spread_bps(100.0, 100.0) == 0.0


@pytest.mark.parametrize(("bid", "ask"), [(100.0, 99.0), (0.0, 1.0), (-1.0, 1.0), (float("nan"), 1.0)])
def test_crossed_or_nonpositive_book_raises_data_error(bid: float, ask: float) -> None:
    with pytest.raises(DataError, match="order book"):
        spread_bps(bid, ask)


def test_imbalance_over_all_and_top_levels() -> None:
    bids, asks = [5.0, 3.0, 2.0], [1.0, 1.0, 8.0]
    assert imbalance(bids, asks) == pytest.approx((10 - 10) / 20)
    assert imbalance(bids, asks, levels=2) == pytest.approx((8 - 2) / 10)
    assert imbalance([1.0], []) == 1.0
    assert imbalance([], [2.0]) == -1.0
    assert imbalance([], []) == 0.0


def test_imbalance_rejects_negative_quantities_and_bad_depth() -> None:
    with pytest.raises(DataError, match="non-negative"):
        imbalance([1.0, -1.0], [1.0])
    with pytest.raises(DataError, match="levels"):
        imbalance([1.0], [1.0], levels=0)
