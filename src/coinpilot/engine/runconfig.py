"""One configuration for every research command: settings (file < env) < command options.

Why here and once: `backtest`, `sweep`, `walkforward` and `demo` each built their run from
their own options and ignored the configuration file, so `config show` said one thing and the
run did another. Every command now calls `backtest_config`, which lays, in this order:

1. the preset named by `backtest.profile` (or `--profile`): `realistic` or `reference`;
2. every value the user wrote in the YAML file, `.env` or the environment (only those: a
   setting left at its default does not override the preset, so `reference` stays the
   benchmark unless the user says otherwise): `exchange.leverage/margin_mode/position_mode`,
   `backtest.*`, `risk.*` (deep-merged), strategy params with their per-symbol overrides and
   `<strategies_dir>/<name>/<SYMBOL>.yaml` files;
3. the command's options.

The result is validated once (`BacktestConfig.checked`) and stored as the run's config.json.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from coinpilot.config.settings import PROFILES, Settings, StrategySection
from coinpilot.domain.errors import ConfigError, UnknownStrategyError
from coinpilot.engine.backtest import BacktestConfig
from coinpilot.engine.presets import preset
from coinpilot.risk.config import deep_merge
from coinpilot.strategies import registry
from coinpilot.strategies.base import Strategy
from coinpilot.strategies.loader import resolve_strategy


@dataclass(frozen=True)
class RunOptions:
    """A command's options; None means "not given" (the configuration decides)."""

    symbols: Sequence[str] | None = None
    start: str | None = None
    end: str | None = None
    profile: str | None = None
    timeframe: str | None = None
    balance: float | Decimal | None = None
    leverage: int | None = None
    position_mode: str | None = None
    margin_mode: str | None = None
    clock: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)


def strategy_dirs(settings: Settings) -> list[Path]:
    """Where user strategy modules are looked up (`strategies_dir`, if set)."""
    return [settings.strategies_dir] if settings.strategies_dir is not None else []


def strategy_class(settings: Settings, name: str) -> type[Strategy]:
    """A built-in or the user's `<strategies_dir>/<name>.py` (ConfigError/UnknownStrategyError)."""
    return resolve_strategy(name, strategy_dirs(settings))


def parse_symbols(text: str | Sequence[str] | None, option: str = "--symbols") -> list[str] | None:
    """'BTCUSDT, ethusdt' or a list → ['BTCUSDT', 'ETHUSDT']; None stays None."""
    if text is None:
        return None
    from coinpilot.domain.symbols import check_symbol_name

    items = text.split(",") if isinstance(text, str) else [p for t in text for p in str(t).split(",")]
    out = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        try:
            out.append(check_symbol_name(item))
        except ValueError as exc:
            raise ConfigError(f"{option}: {exc}") from None
    if not out:
        raise ConfigError(f"{option} is empty: give comma-separated symbols, e.g. BTCUSDT,ETHUSDT")
    return list(dict.fromkeys(out))


def _given(model: Any, name: str) -> bool:
    return name in model.model_fields_set


def _strategy_symbols(settings: Settings, name: str, opts: RunOptions) -> list[str]:
    if opts.symbols is not None:
        return parse_symbols(opts.symbols) or []
    section = settings.strategies.get(name, StrategySection())
    return list(section.symbols or settings.symbols)


def _symbol_params(
    settings: Settings, cls: type[Strategy], symbols: list[str], opts: RunOptions
) -> tuple[dict[str, Any], dict[str, dict[str, Any]], list[str]]:
    """(params for every symbol, per-symbol params, symbols switched off by `enabled: false`)."""
    section = settings.strategies.get(cls.name, StrategySection())
    common = {**section.params, **dict(opts.params)}
    if opts.timeframe is not None:
        common["timeframe"] = opts.timeframe
    per_symbol: dict[str, dict[str, Any]] = {}
    disabled: list[str] = []
    for symbol in symbols:
        if not settings.strategy_enabled(cls.name, symbol):
            disabled.append(symbol)
            continue
        merged = settings.strategy_params(cls.name, symbol)  # section < overrides < YAML file
        merged.update(opts.params)  # options beat every file
        if opts.timeframe is not None:
            merged["timeframe"] = opts.timeframe
        specific = {k: v for k, v in merged.items() if common.get(k, _MISSING) != v}
        registry.instantiate(cls, {**common, **specific})  # ConfigError names the parameter
        if specific:
            per_symbol[symbol] = specific
    return common, per_symbol, disabled


_MISSING = object()


def check_strategy_sections(settings: Settings) -> None:
    """Every `strategies.<name>` section names a strategy and holds valid parameters, so a
    typo (`c_scroe:`) is an error at start instead of a section nobody reads."""
    for name, section in settings.strategies.items():
        try:
            cls = strategy_class(settings, name)
        except (ConfigError, UnknownStrategyError) as exc:
            raise ConfigError(f"strategies.{name}: {exc}") from None
        registry.instantiate(cls, section.params)
        for symbol, values in section.overrides.items():
            try:
                registry.instantiate(cls, {**section.params, **values})
            except ConfigError as exc:
                raise ConfigError(f"strategies.{name}.overrides.{symbol}: {exc}") from None


def backtest_config(settings: Settings, strategy: str, opts: RunOptions | None = None) -> BacktestConfig:
    """The run of `strategy` that `settings` and the command's options describe (module doc)."""
    opts = opts or RunOptions()
    bt = settings.backtest
    profile = opts.profile if opts.profile is not None else bt.profile
    if profile not in PROFILES:
        raise ConfigError(f"--profile {profile!r}: choose one of {', '.join(PROFILES)}")
    check_strategy_sections(settings)
    cls = strategy_class(settings, strategy)
    symbols = _strategy_symbols(settings, cls.name, opts)
    params, symbol_params, disabled = _symbol_params(settings, cls, symbols, opts)
    symbols = [s for s in symbols if s not in disabled]
    if not symbols:
        raise ConfigError(
            f"{cls.name}: every symbol is switched off (enabled: false in {', '.join(disabled)}'s "
            "config); enable one or pick others with --symbols"
        )
    cfg = preset(profile, cls.name, symbols)
    data = cfg.model_dump()
    data.update(params=params, symbol_params=symbol_params)
    if settings.strategies_dir is not None:
        data["strategies_dir"] = str(settings.strategies_dir)

    # 2. what the user wrote in the file or the environment
    ex = settings.exchange
    if _given(ex, "leverage"):
        data["leverage"] = ex.leverage
    if _given(ex, "margin_mode"):
        data["sim"]["margin_mode"] = ex.margin_mode
    if _given(ex, "position_mode"):
        data["sim"]["hedge_mode"] = ex.position_mode == "hedge"
    if _given(ex, "venue") or _given(ex, "market"):
        data["venue"], data["market"] = ex.venue, ex.market
    for name in ("start", "end", "clock"):
        if _given(bt, name):
            data[name] = getattr(bt, name)
    if _given(bt, "initial_balance"):
        data["sim"]["initial_balance"] = bt.initial_balance
    data["sim"] = deep_merge(data["sim"], bt.sim)
    data["execution"] = deep_merge(data["execution"], bt.execution)
    if _given(settings, "risk"):
        data["risk"] = deep_merge(data["risk"], settings.risk.model_dump(exclude_unset=True))

    # 3. the command's options
    for name in ("start", "end"):
        value = getattr(opts, name)
        if value is not None:
            data[name] = _checked_time(value, f"--{name}")
    if data.get("start") and data.get("end") and _checked_time(data["start"], "start", parse=True) >= _checked_time(
            data["end"], "end", parse=True):
        raise ConfigError(f"--start {data['start']} is not before --end {data['end']}: nothing to test")
    if opts.clock is not None:
        data["clock"] = opts.clock
    if opts.leverage is not None:
        data["leverage"] = opts.leverage
    if opts.balance is not None:
        data["sim"]["initial_balance"] = _balance(opts.balance)
    if opts.position_mode is not None:
        if opts.position_mode not in ("oneway", "hedge"):
            raise ConfigError(f"--position-mode {opts.position_mode!r}: choose oneway or hedge")
        data["sim"]["hedge_mode"] = opts.position_mode == "hedge"
    if opts.margin_mode is not None:
        if opts.margin_mode not in ("isolated", "cross"):
            raise ConfigError(f"--margin-mode {opts.margin_mode!r}: choose isolated or cross")
        data["sim"]["margin_mode"] = opts.margin_mode
    if opts.clock is not None and opts.clock not in ("sparse", "dense"):
        raise ConfigError(f"--clock {opts.clock!r}: choose sparse (fast) or dense (every bar)")
    return BacktestConfig.checked(data, f"invalid {cls.name} run configuration")


def _checked_time(value: str, option: str, parse: bool = False) -> Any:
    from coinpilot.domain.timeframe import parse_utc

    try:
        ts = parse_utc(value)
    except ValueError as exc:
        raise ConfigError(f"{option}: {exc}") from None
    return ts if parse else value


def _balance(value: float | Decimal) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ConfigError(f"--balance {value!r}: not a number") from None
    if not amount.is_finite() or amount <= 0 or amount > Decimal("1e12"):
        raise ConfigError(
            f"--balance {value}: give a positive amount of quote currency up to 1e12 "
            "(larger balances exceed every exchange's position limits)"
        )
    return amount


__all__ = ["RunOptions", "backtest_config", "parse_symbols", "strategy_class", "strategy_dirs"]
