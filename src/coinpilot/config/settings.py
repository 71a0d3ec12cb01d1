"""Effective configuration: environment (COINPILOT_*, .env) over a YAML file over defaults.

Why one model: every command reads the same validated object, so a wrong value fails at
start with the field, the value and what is allowed, never halfway through a run. Secrets are
`SecretStr`, read only from the environment (a YAML file is shared and committed; a key in it
would leak), and never printed: `masked_dump()` is what `coinpilot config show` prints.
"""

from __future__ import annotations

from contextvars import ContextVar
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from coinpilot.risk.config import RiskConfig

Mode = Literal["backtest", "paper", "testnet", "live"]
#: the bundled sample's symbols: the default universe, so a fresh clone's commands agree
SAMPLE_SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "BNBUSDT", "DOGEUSDT")
PROFILES = ("realistic", "reference")
YAML_VALUES: ContextVar[dict[str, Any]] = ContextVar("coinpilot_yaml_values", default={})  # noqa: B039
MASK = "**********"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExchangeSettings(_Section):
    venue: Literal["binance", "upbit"] = "binance"
    market: Literal["futures", "spot"] = "futures"
    margin_mode: Literal["isolated", "cross"] = "isolated"
    position_mode: Literal["oneway", "hedge"] = "oneway"
    leverage: int = Field(5, ge=1, le=125)
    recv_window_ms: int = Field(5000, ge=1, le=60000)

    @model_validator(mode="after")
    def _upbit_is_spot(self) -> ExchangeSettings:
        if self.venue == "upbit" and self.market != "spot":
            raise ValueError("upbit only has KRW spot markets: set exchange.market to 'spot'")
        return self


class StrategySection(_Section):
    """One strategy's configuration: base params, per-symbol overrides, which symbols trade it."""

    enabled: bool = True
    symbols: list[str] | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    overrides: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="per-symbol parameter overrides, e.g. XRPUSDT: {atr_sl_mult: 1.5}"
    )


class BacktestSettings(_Section):
    """How research commands (backtest, sweep, walkforward, demo) simulate.

    `profile` picks a preset (README: `realistic` or `reference`); every value written in this
    file or the environment is laid over that preset, and command-line options over both.
    `sim` and `execution` are partial mappings over the preset's simulator and order-manager
    settings (exchanges/sim/config.py, execution/config.py), checked key by key at start.
    """

    profile: Literal["realistic", "reference"] = "realistic"
    initial_balance: Decimal | None = Field(
        None, gt=0, le=Decimal("1e12"), description="starting balance, quote currency (preset: 10,000)"
    )
    start: str | None = Field(None, description="first candle (UTC), e.g. 2025-01-01")
    end: str | None = Field(None, description="end, exclusive (UTC)")
    clock: Literal["sparse", "dense"] = "sparse"
    results_dir: Path = Path("results")
    sim: dict[str, Any] = Field(default_factory=dict)
    execution: dict[str, Any] = Field(default_factory=dict)

    @field_validator("start", "end", mode="before")
    @classmethod
    def _dates_as_text(cls, value: Any) -> Any:
        from datetime import date

        return value.isoformat() if isinstance(value, date) else value  # YAML's unquoted 2025-02-01

    @field_validator("start", "end")
    @classmethod
    def _utc_time(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from coinpilot.domain.timeframe import parse_utc

        parse_utc(value)  # ValueError names the value and the accepted forms
        return value

    @model_validator(mode="after")
    def _partial_sections_valid(self) -> BacktestSettings:
        from coinpilot.exchanges.sim.config import SimConfig
        from coinpilot.execution.config import ExecutionConfig

        for _name, model, values in (("sim", SimConfig, self.sim), ("execution", ExecutionConfig, self.execution)):
            if values:
                model.model_validate({**model().model_dump(), **values})
        return self


class Secrets(_Section):
    """Credentials. Only the environment sets them (COINPILOT_SECRETS__BINANCE_API_KEY, ...)."""

    binance_api_key: SecretStr | None = None
    binance_api_secret: SecretStr | None = None
    binance_testnet_api_key: SecretStr | None = None
    binance_testnet_api_secret: SecretStr | None = None
    upbit_access_key: SecretStr | None = None
    upbit_secret_key: SecretStr | None = None
    gemini_api_key: SecretStr | None = None
    discord_webhook_url: SecretStr | None = None
    slack_webhook_url: SecretStr | None = None
    telegram_bot_token: SecretStr | None = None
    api_token: SecretStr | None = None


# env var name for each secret (used in error messages, so users know what to set)
def secret_env_name(field: str) -> str:
    return f"COINPILOT_SECRETS__{field.upper()}"


class Settings(BaseSettings):
    """All of coinpilot's configuration. See docs/config.md for every field."""

    model_config = SettingsConfigDict(
        env_prefix="COINPILOT_",
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="forbid",
        validate_default=True,
    )

    mode: Mode = "backtest"
    live_confirm: bool = Field(False, description="must be true to run in live mode")
    data_dir: Path = Path("data")
    strategies_dir: Path | None = Field(
        None, description="directory with user strategy modules and <name>/<SYMBOL>.yaml params"
    )
    db_url: str = "sqlite:///coinpilot.db"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = False
    symbols: Annotated[list[str], NoDecode] = Field(default_factory=lambda: list(SAMPLE_SYMBOLS))
    timeframe: str = "5m"
    exchange: ExchangeSettings = Field(default_factory=ExchangeSettings)
    backtest: BacktestSettings = Field(default_factory=BacktestSettings)
    risk: RiskConfig = Field(default_factory=RiskConfig)
    strategies: dict[str, StrategySection] = Field(default_factory=dict)
    secrets: Secrets = Field(default_factory=Secrets)

    @field_validator("symbols", mode="before")
    @classmethod
    def _split_symbols(cls, value: Any) -> Any:
        if isinstance(value, str):  # SYMBOLS=BTCUSDT, ETHUSDT (C59: comma split, trimmed)
            value = [s for s in (p.strip() for p in value.split(",")) if s]
        return value

    @field_validator("symbols")
    @classmethod
    def _upper_symbols(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("at least one symbol is needed")
        from coinpilot.domain.symbols import check_symbol_name

        return [check_symbol_name(s) for s in value]

    @field_validator("timeframe")
    @classmethod
    def _valid_timeframe(cls, value: str) -> str:
        from coinpilot.domain.timeframe import Timeframe

        return Timeframe.parse(value).name

    @model_validator(mode="after")
    def _mode_requirements(self) -> Settings:
        from coinpilot.domain.errors import ConfigError, MissingSecretError

        if self.mode == "live" and not self.live_confirm:
            raise ConfigError(
                "mode is 'live' but live_confirm is false: live trading sends real orders; "
                "set live_confirm: true (or COINPILOT_LIVE_CONFIRM=true) to confirm"
            )
        needed: tuple[str, ...] = ()
        if self.mode in ("live", "testnet"):
            if self.exchange.venue == "binance":
                needed = (
                    ("binance_api_key", "binance_api_secret")
                    if self.mode == "live"
                    else ("binance_testnet_api_key", "binance_testnet_api_secret")
                )
            else:
                if self.mode == "testnet":
                    raise ConfigError("upbit has no testnet: use mode 'paper' or 'live'")
                needed = ("upbit_access_key", "upbit_secret_key")
        missing = [f for f in needed if getattr(self.secrets, f) is None]
        if missing:
            names = ", ".join(secret_env_name(f) for f in missing)
            raise MissingSecretError(
                f"mode '{self.mode}' on {self.exchange.venue} needs credentials: set {names} "
                "in the environment or .env (secrets are never read from the YAML file)"
            )
        return self

    # YAML is the lowest-priority source; env and .env override it (12-factor style).
    yaml_path: Path | None = Field(None, exclude=True, description="YAML file that was loaded")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # YAML values (set by config.loader for the duration of one load) rank below env/.env
        yaml_source = InitSettingsSource(settings_cls, init_kwargs=YAML_VALUES.get())
        return (init_settings, env_settings, _OwnKeysOnly(dotenv_settings), yaml_source)

    def strategy_params(self, name: str, symbol: str) -> dict[str, Any]:
        """Merged params for (strategy, symbol): section params < per-symbol overrides < YAML file.

        The per-symbol file `<strategies_dir>/<name>/<SYMBOL>.yaml` (A06's pattern) wins last,
        so an operator can tune one symbol without touching the shared config.
        """
        section = self.strategies.get(name, StrategySection())
        merged: dict[str, Any] = dict(section.params)
        merged.update(section.overrides.get(symbol.upper(), {}))
        if self.strategies_dir is not None:
            from coinpilot.strategies.loader import load_symbol_params

            merged.update(load_symbol_params(self.strategies_dir, name, symbol.upper()))
        merged.pop("enabled", None)
        return merged

    def strategy_enabled(self, name: str, symbol: str) -> bool:
        """False when the strategy's section or `<strategies_dir>/<name>/<SYMBOL>.yaml` says
        `enabled: false` (that symbol is left out of the run)."""
        section = self.strategies.get(name, StrategySection())
        if not section.enabled:
            return False
        if self.strategies_dir is None:
            return True
        from coinpilot.strategies.loader import load_symbol_params

        return load_symbol_params(self.strategies_dir, name, symbol.upper()).get("enabled", True) is not False

    def masked_dump(self) -> dict[str, Any]:
        """The effective config as plain data, secrets replaced by a mask (or null if unset)
        and the password of the database URL hidden."""
        data = self.model_dump(mode="json", exclude={"secrets", "yaml_path"})
        data["db_url"] = mask_url(self.db_url)
        data["secrets"] = {
            name: (MASK if getattr(self.secrets, name) is not None else None)
            for name in Secrets.model_fields
        }
        return data


class _OwnKeysOnly(PydanticBaseSettingsSource):
    """`.env` without the keys that belong to other programs.

    A `.env` is often shared (DATABASE_PASSWORD=... for another tool); with `extra="forbid"`
    those keys failed the load and their values were echoed in the error. Keys with our prefix
    that name no field are still refused, by `config.loader.check_env_keys`, without values.
    """

    def __init__(self, inner: PydanticBaseSettingsSource) -> None:
        super().__init__(inner.settings_cls)
        self._inner = inner

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._inner.get_field_value(field, field_name)

    def __call__(self) -> dict[str, Any]:
        fields = self.settings_cls.model_fields
        return {k: v for k, v in self._inner().items() if k in fields}


def mask_url(url: str) -> str:
    """A database URL with its password replaced by ***, for anything printed or logged."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return url.split("@", 1)[-1] if "@" in url else url
    return parsed.render_as_string(hide_password=True) if parsed.password is not None else url
