"""Binance USDⓈ-M futures: trading rules now; the ccxt-backed adapter comes with the live layer."""
