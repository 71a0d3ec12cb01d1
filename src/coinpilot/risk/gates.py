"""W11 signal gates: is this forecast worth trading at all, before any account rule?

Each gate returns a verdict and never raises on missing inputs: what an intent does not
carry (no probability, no levels, no ATR) or the market does not know (spread in a backtest)
is reported as 'n/a', so one gate set serves LLM forecasts and rule strategies alike.
"""

from __future__ import annotations

import math

from coinpilot.domain.intent import Intent
from coinpilot.domain.timeframe import Timeframe
from coinpilot.risk.config import GateConfig
from coinpilot.risk.types import GateVerdict, MarketView, Rule


def check_probability(intent: Intent, cfg: GateConfig) -> GateVerdict:
    """MIN_PROB on the calibrated probability (W10: calibration happens upstream)."""
    name = Rule.PROBABILITY.value
    if cfg.min_probability is None:
        return GateVerdict.na(name, "off")
    if intent.probability is None:
        return GateVerdict.na(name, "n/a: the intent carries no probability")
    p = intent.probability
    if not math.isfinite(p) or p < cfg.min_probability:
        return GateVerdict.fail(name, f"probability {p:.4f} < min {cfg.min_probability}")
    return GateVerdict.ok(name, f"probability {p:.4f} >= {cfg.min_probability}")


def _forecast_skip(intent: Intent, cfg: GateConfig) -> bool:
    return cfg.forecast_only and intent.probability is None


def check_reward_risk(intent: Intent, cfg: GateConfig) -> GateVerdict:
    """RR >= RR_MIN, relaxed to RR_MIN_HIGH_PROB when prob >= PROB_RELAX_THRESHOLD (>=: W11)."""
    name = Rule.REWARD_RISK.value
    if cfg.min_reward_risk is None:
        return GateVerdict.na(name, "off")
    if _forecast_skip(intent, cfg):
        return GateVerdict.na(name, "n/a: not a forecast (forecast_only)")
    rr = intent.reward_risk
    if rr is None:
        return GateVerdict.na(name, "n/a: the intent has no stop and target to measure")
    p = intent.probability
    relaxed = p is not None and p >= cfg.relax_probability
    minimum = cfg.relaxed_reward_risk if relaxed else cfg.min_reward_risk
    why = f" (relaxed: probability {p} >= {cfg.relax_probability})" if relaxed else ""
    if rr < minimum:
        return GateVerdict.fail(name, f"reward/risk {rr:.3f} < {minimum}{why}")
    return GateVerdict.ok(name, f"reward/risk {rr:.3f} >= {minimum}{why}")


def check_spread(market: MarketView, cfg: GateConfig) -> GateVerdict:
    name = Rule.SPREAD.value
    if cfg.max_spread_bps is None:
        return GateVerdict.na(name, "off")
    if market.spread_bps is None:
        return GateVerdict.na(name, "n/a: spread unknown (no order book)")
    if market.spread_bps > cfg.max_spread_bps:
        return GateVerdict.fail(
            name, f"{market.symbol} spread {market.spread_bps:.2f} bps > max {cfg.max_spread_bps}"
        )
    return GateVerdict.ok(name, f"spread {market.spread_bps:.2f} bps <= {cfg.max_spread_bps}")


def check_horizon(intent: Intent, cfg: GateConfig) -> GateVerdict:
    """Reject a target the price cannot plausibly reach within the horizon.

    The seed names the gate without its test; we use SPEC's suggestion: a random walk moves
    about ATR × sqrt(bars), so a target farther than ATR × sqrt(horizon / bar length) is out
    of reach. ATR comes from intent.meta['atr'] (bar length meta['atr_timeframe'] if given).
    """
    name = Rule.HORIZON.value
    if cfg.horizon_minutes is None:
        return GateVerdict.na(name, "off")
    if _forecast_skip(intent, cfg):
        return GateVerdict.na(name, "n/a: not a forecast (forecast_only)")
    atr_raw = intent.meta.get("atr")
    if atr_raw is None or intent.target is None:
        return GateVerdict.na(name, "n/a: no ATR in intent.meta or no target")
    atr = float(atr_raw)
    if not math.isfinite(atr) or atr <= 0:
        return GateVerdict.na(name, f"n/a: ATR {atr_raw!r} is not a positive number")
    tf = intent.meta.get("atr_timeframe")
    bar_minutes = Timeframe.parse(tf).ms / 60_000 if tf else cfg.atr_timeframe_minutes
    reach = atr * math.sqrt(cfg.horizon_minutes / bar_minutes)
    distance = abs(intent.target.price(intent.price, intent.side, is_stop=False) - intent.price)
    if distance > reach:
        return GateVerdict.fail(
            name,
            f"target {distance:.6g} away > ATR {atr:.6g} × sqrt({cfg.horizon_minutes}/"
            f"{bar_minutes:g}) = {reach:.6g} reachable in the horizon",
        )
    return GateVerdict.ok(name, f"target {distance:.6g} away <= {reach:.6g}")


def signal_gates(intent: Intent, market: MarketView, cfg: GateConfig) -> list[GateVerdict]:
    return [
        check_probability(intent, cfg),
        check_reward_risk(intent, cfg),
        check_spread(market, cfg),
        check_horizon(intent, cfg),
    ]
