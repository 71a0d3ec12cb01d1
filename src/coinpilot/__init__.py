"""coinpilot: crypto trading research and execution in one engine."""

__version__ = "0.1.0"
