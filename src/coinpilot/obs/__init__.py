"""Observability: structured logging (metrics and alerts join in later issues)."""
