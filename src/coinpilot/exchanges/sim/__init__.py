"""Simulated exchange: SimExchange and the intrabar fill rules it shares with the fast path."""
