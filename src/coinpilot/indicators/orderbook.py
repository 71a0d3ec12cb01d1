"""Order-book microstructure from one depth snapshot (W04): spread in bps and imbalance.

Inputs are the levels as the exchange returns them (best first). A crossed or empty book is
bad data, not a number: it raises DataError so a gate never passes on a garbage spread.
"""

from __future__ import annotations

import numpy as np

from coinpilot.domain.errors import DataError
from coinpilot.indicators._arrays import ArrayLike, as_f64


def spread_bps(best_bid: float, best_ask: float) -> float:
    """(ask − bid) / mid × 10 000: the cost of crossing the book, for the MAX_SPREAD_BPS gate."""
    bid = float(best_bid)
    ask = float(best_ask)
    if not (np.isfinite(bid) and np.isfinite(ask)) or bid <= 0 or ask <= 0:
        raise DataError(f"order book: best bid {bid} / best ask {ask} must be positive prices")
    if ask < bid:
        raise DataError(f"order book is crossed: best ask {ask} < best bid {bid}; refetch the snapshot")
    mid = (bid + ask) / 2.0
    return (ask - bid) / mid * 10_000.0


def imbalance(bid_qty: ArrayLike, ask_qty: ArrayLike, levels: int | None = None) -> float:
    """(Σ bid qty − Σ ask qty) / (Σ bid qty + Σ ask qty) over the top `levels` levels.

    +1 means only bids, −1 only asks; an empty book on both sides gives 0 (no pressure).
    """
    bids = as_f64(bid_qty)
    asks = as_f64(ask_qty)
    if levels is not None:
        if levels <= 0:
            raise DataError(f"order book imbalance: levels must be positive, got {levels}")
        bids, asks = bids[:levels], asks[:levels]
    if (bids < 0).any() or (asks < 0).any() or not (np.isfinite(bids).all() and np.isfinite(asks).all()):
        raise DataError("order book quantities must be finite and non-negative")
    total_bid = float(bids.sum())
    total_ask = float(asks.sum())
    total = total_bid + total_ask
    if total == 0:
        return 0.0
    return (total_bid - total_ask) / total
