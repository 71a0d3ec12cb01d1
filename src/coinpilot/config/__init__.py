"""Configuration layer: pydantic-settings over env, .env and a YAML file."""

from coinpilot.config.loader import load_settings
from coinpilot.config.settings import Settings, StrategySection

__all__ = ["Settings", "StrategySection", "load_settings"]
