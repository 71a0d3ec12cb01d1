"""Effective configuration: environment (COINPILOT_*, .env) over a YAML file over defaults.

Why one model: every command reads the same validated object, so a wrong value fails at
start with the field, the value and what is allowed, never halfway through a run. Secrets are
`SecretStr`, read only from the environment (a YAML file is shared and committed; a key in it
would leak), and never printed: `masked_dump()` is what `coinpilot config show` prints.
"""

from __future__ import annotations

from contextvars import ContextVar
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

Mode = Literal["backtest", "paper", "testnet", "live"]
YAML_VALUES: ContextVar[dict[str, Any]] = ContextVar("coinpilot_yaml_values", default={})  # noqa: B039
MASK = "**********"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExchangeSettings(_Section):
    venue: Literal["binance", "upbit"] = "binance"
    market: Literal["futures", "spot"] = "futures"
    margin_mode: Literal["isolated", "cross"] = "isolated"
    position_mode: Literal["oneway", "hedge"] = "oneway"
    leverage: int = Field(10, ge=1, le=125)
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
    symbols: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["BTCUSDT", "ETHUSDT"])
    timeframe: str = "5m"
    exchange: ExchangeSettings = Field(default_factory=ExchangeSettings)
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
        return [s.strip().upper() for s in value]

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
        return (init_settings, env_settings, dotenv_settings, yaml_source)

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

    def masked_dump(self) -> dict[str, Any]:
        """The effective config as plain data, secrets replaced by a mask (or null if unset)."""
        data = self.model_dump(mode="json", exclude={"secrets", "yaml_path"})
        data["secrets"] = {
            name: (MASK if getattr(self.secrets, name) is not None else None)
            for name in Secrets.model_fields
        }
        return data
