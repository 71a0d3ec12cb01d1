"""data layer (see docs/architecture.md): read, validate, store, resample and align market data.

formats/readers/importers  recognise and read every supported file into the series contracts
validate/validate_aux      find, fix (sort, de-duplicate, drop open candles) or refuse problems
gaps, resample, mtf        gap ranges (never filled), Binance-rule resampling, as-of MTF joins
consistency, check         cross-timeframe agreement; `coinpilot data check` over many files
merge, store               idempotent upsert into the Parquet candle store
"""
