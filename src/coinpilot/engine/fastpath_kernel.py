"""The compiled per-symbol bar loop behind `engine.fastpath.simulate`.

Kept apart from the Python driver so this file holds nothing but the loop and its small
helpers. The loop allocates nothing: the caller passes the output arrays (one slot per
possible trade: every trade starts from a distinct signal bar, so the count of non-zero
signals bounds it). Intrabar stop/target decisions go through `exchanges.sim.fillrules`, the
same functions the event-driven SimExchange calls. Semantics: `engine.profiles` and the
`simulate` docstring.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from coinpilot.engine.fastpath_rules import (
    STOP,
    TARGET,
    resolve_touched,
    round_to_decimals,
    stop_touched,
    target_touched,
)

# exit reason codes (engine.fastpath.REASONS maps them to domain.trade.ExitReason)
R_STOP, R_TARGET, R_SIGNAL, R_REVERSE, R_TIME, R_END = 1, 2, 3, 4, 5, 6
# fill phases of a bar
PH_OPEN, PH_CLOSE, PH_INTRABAR = 0, 1, 2

_ROUND_HALF_UP, _ROUND_UP, _ROUND_DOWN = 0, 1, 2


@njit(cache=True)
def level_price(mode: int, offset: float, fill: float, side: int, is_stop: bool) -> float:
    """domain.intent.ExitLevel.price with the same float expressions (0 PCT, 1 DIST, 2 PRICE)."""
    if mode == 2:
        return offset
    below = (side > 0) == is_stop
    if mode == 0:
        return fill * (1 - offset) if below else fill * (1 + offset)
    return fill - offset if below else fill + offset


@njit(cache=True)
def net_roi_ratio(side: int, qty: float, entry: float, price: float, fee: float, funding: float) -> float:
    """freqtrade's profit ratio at `price`: after both fees and the funding received so far."""
    open_trade = qty * entry
    close_trade = qty * price
    if side > 0:
        open_value = open_trade + open_trade * fee
        return (close_trade - close_trade * fee + funding) / open_value - 1.0
    open_value = open_trade - open_trade * fee
    return 1.0 - (close_trade + close_trade * fee - funding) / open_value


@njit(cache=True)
def net_roi_price(side: int, qty: float, entry: float, roi: float, fee: float, funding: float) -> float:
    """The price at which net_roi_ratio equals `roi` (freqtrade's ROI close rate)."""
    if side > 0:
        return entry * (1.0 + roi) * (1.0 + fee) / (1.0 - fee) - funding / (qty * (1.0 - fee))
    return entry * (1.0 - roi) * (1.0 - fee) / (1.0 + fee) + funding / (qty * (1.0 + fee))


@njit(cache=True, nogil=True)  # nogil: a thread pool may run symbols in parallel
def simulate_kernel(
    open_: np.ndarray, high: np.ndarray, low: np.ndarray, close: np.ndarray, times: np.ndarray,
    signal: np.ndarray, exit_sig: np.ndarray, stop_off: np.ndarray, target_off: np.ndarray,
    decimals: np.ndarray, roi_trigger: np.ndarray, fund_times: np.ndarray, fund_unit: np.ndarray,
    level_mode: int, entry_timing: int, on_opposite: int, conflict: int, stop_gap: int,
    target_gap: int, net_roi: bool, tick_rounding: bool, reenter: bool, no_entry_last: bool,
    fee: float, entry_slip: float, exit_slip: float, equity_sizing: bool, notional: float,
    fraction: float, equity0: float, time_limit: int,
    o_entry_idx: np.ndarray, o_exit_idx: np.ndarray, o_side: np.ndarray,
    o_entry_phase: np.ndarray, o_exit_phase: np.ndarray, o_entry: np.ndarray,
    o_exit: np.ndarray, o_qty: np.ndarray, o_fees: np.ndarray, o_funding: np.ndarray,
    o_pnl: np.ndarray, o_reason: np.ndarray, o_stop: np.ndarray, o_target: np.ndarray,
) -> int:
    """Simulate one symbol; fills the o_* arrays and returns the number of trades."""
    n = open_.shape[0]
    nf = fund_times.shape[0]
    k = 0  # trades written
    equity = equity0
    pos = 0
    qty = entry = stop = target = roi = roi_thr = funding = 0.0
    entry_idx = first_bar = entry_phase = dec = fund_ptr = 0
    for i in range(n):
        last = i == n - 1
        # ---- at the open: a pending signal enters a flat book
        if pos == 0 and entry_timing == 0 and i > 0 and signal[i - 1] != 0 and not (last and no_entry_last):
            pos, entry, qty, stop, target, roi, roi_thr, dec, fund_ptr = _open(
                i - 1, i, open_[i], times[i], signal, stop_off, target_off, decimals,
                roi_trigger, fund_times, level_mode, net_roi, tick_rounding, entry_slip,
                equity_sizing, equity, fraction, notional,
            )
            entry_idx, first_bar, entry_phase, funding = i, i, PH_OPEN, 0.0
        # ---- during the bar: funding, exits at the open, stop/target (twice with re-entry)
        for _attempt in range(2):
            if pos == 0 or first_bar > i:
                break
            while fund_ptr < nf and fund_times[fund_ptr] <= times[i]:
                funding += fund_unit[fund_ptr] * qty
                fund_ptr += 1
            reason = 0
            px = 0.0
            phase = PH_OPEN
            if i > 0 and exit_sig[i - 1] == pos and signal[i - 1] == 0:
                reason, px = R_SIGNAL, open_[i]
            elif time_limit > 0 and i - first_bar >= time_limit:
                reason, px = R_TIME, open_[i]
            else:
                signed_funding = -pos * funding
                stop_hit = stop_touched(pos, high[i], low[i], stop)
                if net_roi:
                    best = high[i] if pos > 0 else low[i]
                    target_hit = net_roi_ratio(pos, qty, entry, best, fee, signed_funding) >= roi_thr
                    if target_hit:
                        target = net_roi_price(pos, qty, entry, roi, fee, signed_funding)
                else:
                    target_hit = target_touched(pos, high[i], low[i], target)
                event, fill = resolve_touched(
                    pos, open_[i], high[i], low[i], close[i], stop, target,
                    stop_hit, target_hit, conflict, stop_gap, target_gap,
                )
                if event == STOP:
                    reason, px, phase = R_STOP, fill, PH_INTRABAR
                elif event == TARGET:
                    reason, px, phase = R_TARGET, fill, PH_INTRABAR
            if reason == 0:
                break
            closed_side = pos
            k, equity = _close(
                k, equity, i, phase, px, reason, pos, qty, entry, entry_idx, entry_phase, stop,
                target, funding, fee, exit_slip, dec, tick_rounding,
                o_entry_idx, o_exit_idx, o_side, o_entry_phase, o_exit_phase, o_entry, o_exit,
                o_qty, o_fees, o_funding, o_pnl, o_reason, o_stop, o_target,
            )
            pos = 0
            # freqtrade rule 8: an opposite pending signal re-enters at this bar's open
            if not (reenter and reason <= R_TARGET and i > 0 and signal[i - 1] == -closed_side):
                break
            if last and no_entry_last:
                break
            pos, entry, qty, stop, target, roi, roi_thr, dec, fund_ptr = _open(
                i - 1, i, open_[i], times[i], signal, stop_off, target_off, decimals,
                roi_trigger, fund_times, level_mode, net_roi, tick_rounding, entry_slip,
                equity_sizing, equity, fraction, notional,
            )
            entry_idx, first_bar, entry_phase, funding = i, i, PH_OPEN, 0.0
        # ---- at the close: reverse, or enter at the close (C41)
        s = signal[i]
        if s == 0:
            continue
        if pos != 0 and s == -pos and on_opposite == 1:
            k, equity = _close(
                k, equity, i, PH_CLOSE, close[i], R_REVERSE, pos, qty, entry, entry_idx,
                entry_phase, stop, target, funding, fee, exit_slip, dec, tick_rounding,
                o_entry_idx, o_exit_idx, o_side, o_entry_phase, o_exit_phase, o_entry, o_exit,
                o_qty, o_fees, o_funding, o_pnl, o_reason, o_stop, o_target,
            )
            pos = 0
        if pos == 0 and entry_timing == 1 and not last:
            pos, entry, qty, stop, target, roi, roi_thr, dec, fund_ptr = _open(
                i, i, close[i], times[i + 1], signal, stop_off, target_off, decimals,
                roi_trigger, fund_times, level_mode, net_roi, tick_rounding, entry_slip,
                equity_sizing, equity, fraction, notional,
            )
            entry_idx, first_bar, entry_phase, funding = i, i + 1, PH_CLOSE, 0.0
    # ---- end of data: close at the last bar's open
    if pos != 0 and n > 0:
        k, equity = _close(
            k, equity, n - 1, PH_OPEN, open_[n - 1], R_END, pos, qty, entry, entry_idx,
            entry_phase, stop, target, funding, fee, exit_slip, dec, tick_rounding,
            o_entry_idx, o_exit_idx, o_side, o_entry_phase, o_exit_phase, o_entry, o_exit,
            o_qty, o_fees, o_funding, o_pnl, o_reason, o_stop, o_target,
        )
    return k


@njit(cache=True)
def _open(
    t: int, i: int, price: float, exposed_from_ms: int, signal: np.ndarray,
    stop_off: np.ndarray, target_off: np.ndarray, decimals: np.ndarray, roi_trigger: np.ndarray,
    fund_times: np.ndarray, level_mode: int, net_roi: bool, tick_rounding: bool,
    entry_slip: float, equity_sizing: bool, equity: float, fraction: float, notional: float,
) -> tuple[int, float, float, float, float, float, float, int, int]:
    """A position from the signal of bar t filled at `price` on bar i.

    Returns (side, entry, qty, stop, target, roi, roi trigger, tick decimals, index of the
    first funding event the position pays: the first at or after `exposed_from_ms`).
    """
    side = int(signal[t])
    entry = price * (1.0 + side * entry_slip)
    qty = (equity * fraction if equity_sizing else notional) / entry
    dec = int(decimals[i]) if tick_rounding else 0
    stop = level_price(level_mode, stop_off[t], entry, side, True)
    if tick_rounding:
        # freqtrade rounds the stop towards the entry: up for a long, down for a short
        stop = round_to_decimals(stop, dec, _ROUND_UP if side > 0 else _ROUND_DOWN)
    roi = roi_thr = target = np.nan
    if net_roi:
        roi, roi_thr = target_off[t], roi_trigger[t]
    else:
        target = level_price(level_mode, target_off[t], entry, side, False)
    fund_ptr = int(np.searchsorted(fund_times, exposed_from_ms)) if fund_times.shape[0] > 0 else 0
    return side, entry, qty, stop, target, roi, roi_thr, dec, fund_ptr


@njit(cache=True)
def _close(
    k: int, equity: float, i: int, phase: int, px: float, reason: int, side: int, qty: float,
    entry: float, entry_idx: int, entry_phase: int, stop: float, target: float,
    funding_paid: float, fee: float, exit_slip: float, dec: int, tick_rounding: bool,
    o_entry_idx: np.ndarray, o_exit_idx: np.ndarray, o_side: np.ndarray,
    o_entry_phase: np.ndarray, o_exit_phase: np.ndarray, o_entry: np.ndarray,
    o_exit: np.ndarray, o_qty: np.ndarray, o_fees: np.ndarray, o_funding: np.ndarray,
    o_pnl: np.ndarray, o_reason: np.ndarray, o_stop: np.ndarray, o_target: np.ndarray,
) -> tuple[int, float]:
    """Write trade k (exit fill, fees, funding, net PnL) and return (k + 1, new equity)."""
    exit_px = px * (1.0 - side * exit_slip)
    if tick_rounding:
        exit_px = round_to_decimals(exit_px, dec, _ROUND_HALF_UP)
    funding = -side * funding_paid
    # the reference's expression order: side*qty*(exit-entry) - f*qty*entry - f*qty*exit
    fee_in = fee * qty * entry
    fee_out = fee * qty * exit_px
    pnl = side * qty * (exit_px - entry) - fee_in - fee_out + funding
    o_entry_idx[k] = entry_idx
    o_exit_idx[k] = i
    o_side[k] = side
    o_entry_phase[k] = entry_phase
    o_exit_phase[k] = phase
    o_entry[k] = entry
    o_exit[k] = exit_px
    o_qty[k] = qty
    o_fees[k] = fee_in + fee_out
    o_funding[k] = funding
    o_pnl[k] = pnl
    o_reason[k] = reason
    o_stop[k] = stop
    o_target[k] = target
    return k + 1, equity + pnl
