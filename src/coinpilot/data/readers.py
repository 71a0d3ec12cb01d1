"""Read each recognised format into the series contracts, in file order, without judging values.

Structural problems (missing columns, text in a number column, unparseable times) raise
DataError here with the file, the column and the first offending rows; value problems (NaN or
negative prices, duplicates, gaps) are the validator's job, so that `check` can report them all.

Series contracts:
    candles        domain.candles (open_time + OHLCV float64, optional Binance columns)
    funding        funding_time datetime64[ms, UTC], rate float64
    open interest  time datetime64[ms, UTC], open_interest float64 (base units, NaN when the
                   source lacks it), open_interest_value float64 (quote currency)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coinpilot.data.formats import FileInfo, Format
from coinpilot.data.report import utc_series
from coinpilot.domain.candles import OHLCV, TIME
from coinpilot.domain.errors import DataError

FUNDING_COLUMNS = ("funding_time", "rate")
OI_COLUMNS = ("time", "open_interest", "open_interest_value")
MAX_SHOWN = 5

# every spelling of the optional Binance kline columns seen in the formats we read
_OPTIONAL_ALIASES = {
    "quote_volume": ("quote_volume", "quotevolume", "quote_asset_volume", "value"),
    "trades": ("trades", "count", "number_of_trades"),
    "taker_buy_base": ("taker_buy_base", "takerbuybase", "taker_buy_volume", "taker_buy_base_asset_volume"),
    "taker_buy_quote": ("taker_buy_quote", "takerbuyquote", "taker_buy_quote_volume", "taker_buy_quote_asset_volume"),
}
_BINANCE_12 = (
    "open_time", "open", "high", "low", "close", "volume", "close_time",
    "quote_volume", "trades", "taker_buy_base", "taker_buy_quote", "ignore",
)


def _rows(mask: np.ndarray) -> str:
    idx = np.flatnonzero(mask)[:MAX_SHOWN]
    return ", ".join(str(int(i)) for i in idx)


def _numeric(frame: pd.DataFrame, col: str, info: FileInfo) -> np.ndarray:
    """Column as float64; text that is not a number is a structural error (blank is NaN)."""
    raw = frame[col]
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        return raw.to_numpy(dtype=np.float64, na_value=np.nan)
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.isnan(values) & raw.notna().to_numpy() & (raw.astype(str).str.strip() != "").to_numpy()
    if bad.any():
        first = raw[bad].iloc[0]
        raise DataError(
            f"{info.path}: column {col!r} has {int(bad.sum())} value(s) that are not numbers, "
            f"e.g. {first!r}; first rows (0-based): {_rows(bad)}"
        )
    return values


# Epoch values by magnitude: a time between 1973 and 5138 has 12-14 digits in ms, so each unit
# owns one band and the band says the unit (Binance spot switched ms -> us in 2025).
_EPOCH_UNITS = (("s", 1e11, 1000.0), ("ms", 1e14, 1.0), ("us", 1e17, 1e-3), ("ns", 1e20, 1e-6))
EARLIEST_MS = 1_230_768_000_000  # 2009-01-01: nothing traded before Bitcoin
LATEST_MS = 4_102_444_800_000  # 2100-01-01


def epoch_unit(value: float) -> str | None:
    """'s', 'ms', 'us' or 'ns' for an epoch timestamp of plausible size, else None."""
    for unit, below, _ in _EPOCH_UNITS:
        if abs(value) < below:
            return unit
    return None


def _epoch_ms(frame: pd.DataFrame, col: str, info: FileInfo) -> np.ndarray:
    """Epoch timestamps in s, ms, us or ns (told apart by size, row by row) to int64 ms.

    Times that still land before 2009 or after 2100 are refused naming the value and the unit
    it was read in, so a wrong unit is never silently imported as 1970 or the far future.
    """
    values = _numeric(frame, col, info)
    if np.isnan(values).any():
        raise DataError(
            f"{info.path}: column {col!r} has empty or unparseable times; "
            f"first rows (0-based): {_rows(np.isnan(values))}"
        )
    magnitude = np.abs(values)
    if ((magnitude >= 1e11) & (magnitude < 1e14) & (values >= EARLIEST_MS) & (values <= LATEST_MS)).all():
        return values.astype(np.int64)  # all plausible milliseconds: the usual case
    raw = frame[col].to_numpy()
    exact = pd.api.types.is_integer_dtype(frame[col].dtype)  # ns values exceed float precision
    ms = np.zeros(values.size, dtype=np.int64)
    done = np.zeros(values.size, dtype=bool)
    lower = 0.0
    for _, below, scale in _EPOCH_UNITS:
        band = (np.abs(values) >= lower) & (np.abs(values) < below)
        if exact and scale < 1:
            ms[band] = raw[band].astype(np.int64) // round(1 / scale)
        elif exact:
            ms[band] = raw[band].astype(np.int64) * round(scale)
        else:
            ms[band] = np.round(values[band] * scale).astype(np.int64)
        done |= band
        lower = below
    wrong = ~done | (ms < EARLIEST_MS) | (ms > LATEST_MS)
    if wrong.any():
        i = int(np.flatnonzero(wrong)[0])
        unit = epoch_unit(float(values[i]))
        read_as = f"read as epoch {unit}" if unit else "too large for any epoch unit (s, ms, us, ns)"
        when = f" = {pd.Timestamp(int(ms[i]), unit='ms')}" if unit else ""
        raise DataError(
            f"{info.path}: column {col!r} has {int(wrong.sum())} time(s) outside 2009..2100, e.g. "
            f"row {i}: {frame[col].iloc[i]!r} {read_as}{when}; epoch times must be seconds, "
            f"milliseconds, microseconds or nanoseconds since 1970 UTC; first rows (0-based): {_rows(wrong)}"
        )
    return ms


def _datetime_ms(values: pd.Series, col: str, info: FileInfo, *, upbit: bool = False) -> np.ndarray:
    """Datetime column or date strings to int64 ms UTC.

    Naive times are only accepted where their zone is known: Upbit writes KST, and a bare date
    is a day candle's date (Upbit day candles open 09:00 KST = 00:00 UTC of that date).
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(values.dtype):
        parsed = pd.DatetimeIndex(values)
    else:
        parsed = pd.DatetimeIndex(pd.to_datetime(values, errors="coerce", format="mixed"))
    if parsed.isna().any():
        bad = np.asarray(parsed.isna())
        raise DataError(
            f"{info.path}: column {col!r} has unparseable times, e.g. {values[bad].iloc[0]!r}; "
            f"first rows (0-based): {_rows(bad)}"
        )
    if parsed.tz is None:
        bare_dates = bool((parsed.normalize() == parsed).all())
        if bare_dates:
            parsed = parsed.tz_localize("UTC")
        elif upbit:
            parsed = parsed.tz_localize("Asia/Seoul")  # KST clock times: 09:00 KST = 00:00 UTC
        else:
            raise DataError(
                f"{info.path}: column {col!r} holds times without a timezone, e.g. "
                f"{values.iloc[0]!r}; coinpilot never guesses one: write them in UTC with an "
                "offset (+00:00), or import with --venue upbit if they are Upbit KST times"
            )
    ms = parsed.tz_convert("UTC").as_unit("ms").asi8
    wrong = (ms < EARLIEST_MS) | (ms > LATEST_MS)
    if wrong.any():
        raise DataError(
            f"{info.path}: column {col!r} has {int(wrong.sum())} time(s) outside 2009..2100, e.g. "
            f"{values[wrong].iloc[0]!r}; first rows (0-based): {_rows(wrong)}"
        )
    return ms


def _require(frame: pd.DataFrame, cols: tuple[str, ...], info: FileInfo) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise DataError(
            f"{info.path}: missing column(s) {missing} for {info.format.value}; "
            f"found {list(frame.columns)}"
        )


def _times(ms: np.ndarray) -> pd.Series:
    return utc_series(ms)


def _read_table(info: FileInfo) -> pd.DataFrame:
    name = info.path.name.lower()
    try:
        if name.endswith(".feather"):
            return pd.read_feather(info.path)
        if name.endswith(".parquet"):
            return pd.read_parquet(info.path)
        if info.format is Format.BINANCE_KLINES and not info.has_header:
            return pd.read_csv(info.path, header=None, names=list(_BINANCE_12))
        return pd.read_csv(info.path)
    except (OSError, ValueError, pd.errors.ParserError, EOFError) as exc:
        raise DataError(f"{info.path}: cannot read {info.format.value} ({exc})") from None


def _normalise_names(frame: pd.DataFrame) -> pd.DataFrame:
    renamed = {c: str(c).strip().lower() for c in frame.columns}
    frame = frame.rename(columns=renamed)
    if "opentime" in frame.columns:  # camelCase /fapi/v1/klines dumps
        frame = frame.rename(columns={"opentime": "open_time", "closetime": "close_time"})
    return frame


def read_candles(info: FileInfo) -> tuple[pd.DataFrame, np.ndarray | None]:
    """Candles in file order, plus the file's close_time column (ms) when it has one."""
    frame = _normalise_names(_read_table(info))
    time_col = {
        Format.FREQTRADE: "date",
        Format.BINANCE_KLINES: "open_time",
        Format.REST_KLINES_SNAPSHOT: "timestamp",
        Format.STORE: "open_time",
    }.get(info.format, frame.columns[0])
    _require(frame, (time_col, *OHLCV), info)
    raw_time = frame[time_col]
    if info.format is Format.DATED_OHLCV or pd.api.types.is_datetime64_any_dtype(raw_time.dtype):
        ms = _datetime_ms(raw_time, time_col, info, upbit=info.venue == "upbit")
    else:
        ms = _epoch_ms(frame, time_col, info)
    out: dict[str, pd.Series | np.ndarray] = {TIME: _times(ms)}
    for col in OHLCV:
        out[col] = _numeric(frame, col, info)
    for name, aliases in _OPTIONAL_ALIASES.items():
        found = next((a for a in aliases if a in frame.columns), None)
        if found is not None:
            out[name] = _numeric(frame, found, info)
    close_time = _epoch_ms(frame, "close_time", info) if "close_time" in frame.columns else None
    return pd.DataFrame(out), close_time


def read_funding(info: FileInfo) -> pd.DataFrame:
    """Funding events in file order; times as written (jitter is normalised by validation)."""
    frame = _normalise_names(_read_table(info))
    if info.format is Format.FREQTRADE:  # freqtrade keeps the rate in `open`
        time_col, rate_col = "date", "open"
    elif info.format is Format.STORE:
        time_col, rate_col = "funding_time", "rate"
    elif info.format is Format.REST_FUNDING:
        time_col, rate_col = "timestamp", "funding_rate"
    else:
        time_col = frame.columns[0]
        rate_col = next(c for c in frame.columns if "fundingrate" in c or c == "last_funding_rate")
    _require(frame, (time_col, rate_col), info)
    raw_time = frame[time_col]
    if pd.api.types.is_datetime64_any_dtype(raw_time.dtype):
        ms = _datetime_ms(raw_time, time_col, info)
    else:
        ms = _epoch_ms(frame, time_col, info)
    return pd.DataFrame({"funding_time": _times(ms), "rate": _numeric(frame, rate_col, info)})


def read_open_interest(info: FileInfo) -> dict[str | None, pd.DataFrame]:
    """Open-interest series keyed by symbol (a table file can hold several symbols)."""
    frame = _normalise_names(_read_table(info))
    if info.format is Format.OI_VALUE_TABLE:
        ms = _datetime_ms(frame["date"], "date", info)
        series: dict[str | None, pd.DataFrame] = {}
        for col in [c for c in frame.columns if c.endswith("_oi_value_usd")]:
            coin = col.removesuffix("_oi_value_usd").upper() + "USDT"
            series[coin] = pd.DataFrame({
                "time": _times(ms),
                "open_interest": np.full(len(frame), np.nan),
                "open_interest_value": _numeric(frame, col, info),
            })
        return series
    if info.format is Format.STORE:
        _require(frame, OI_COLUMNS, info)
        ms = _datetime_ms(frame["time"], "time", info)
        base, value = _numeric(frame, "open_interest", info), _numeric(frame, "open_interest_value", info)
    else:
        _require(frame, ("timestamp", "sum_open_interest", "sum_open_interest_value"), info)
        ms = _epoch_ms(frame, "timestamp", info)
        base = _numeric(frame, "sum_open_interest", info)
        value = _numeric(frame, "sum_open_interest_value", info)
    symbol = info.symbol
    if "symbol" in frame.columns and frame["symbol"].nunique() == 1:
        symbol = str(frame["symbol"].iloc[0]).upper()
    return {symbol: pd.DataFrame({"time": _times(ms), "open_interest": base, "open_interest_value": value})}
