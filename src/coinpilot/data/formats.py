"""Recognise a market-data file and what it holds from its columns and its path.

The columns decide the format (names can lie, columns cannot); the path supplies what the
columns do not carry: symbol, timeframe, market, venue. Every inferred value can be overridden
by the caller, and a value that can be neither inferred nor given is an error, not a guess.
"""

from __future__ import annotations

import gzip
import io
import re
import zipfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from coinpilot.data.report import Kind
from coinpilot.domain.errors import DataError, DataNotFoundError
from coinpilot.domain.timeframe import Timeframe

DATA_SUFFIXES = (".feather", ".parquet", ".csv", ".csv.gz", ".zip")  # .zip: data.binance.vision


class Format(StrEnum):
    """Known file layouts; the value is the human name used in messages."""
    FREQTRADE = "freqtrade feather"  # date,open,high,low,close,volume (+ name says what)
    BINANCE_KLINES = "binance klines csv"  # 12 columns, with or without header
    BINANCE_FUNDING = "binance fundingRate csv"
    REST_KLINES_SNAPSHOT = "REST klines snapshot csv"  # timestamp..close_time, last row open
    REST_FUNDING = "REST funding csv"  # timestamp,symbol,funding_rate
    REST_OPEN_INTEREST = "REST open interest csv"
    DATED_OHLCV = "dated OHLCV csv"  # Date,Open,High,Low,Close,Volume[,...] (pyupbit style)
    OI_VALUE_TABLE = "daily OI value table csv"  # date,<coin>_oi_value_usd,...
    STORE = "coinpilot parquet"


@dataclass(frozen=True, slots=True)
class FileInfo:
    """A recognised file: its format and whatever the path told about the series."""

    path: Path
    format: Format
    kind: Kind
    columns: tuple[str, ...]
    has_header: bool = True
    symbol: str | None = None
    timeframe: str | None = None
    market: str | None = None
    venue: str | None = None


def is_data_file(path: Path) -> bool:
    """Files worth opening; anything else (notes, JSON samples) is skipped with a reason."""
    return path.name.lower().endswith(DATA_SUFFIXES)


def _first_csv_line(path: Path) -> str:
    name = path.name.lower()
    try:
        if name.endswith(".zip"):  # data.binance.vision archives hold exactly one CSV
            with zipfile.ZipFile(path) as archive, archive.open(archive.namelist()[0]) as raw:
                return io.TextIOWrapper(raw, encoding="utf-8-sig").readline().strip()
        opener = gzip.open if name.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8-sig") as fh:
            return str(fh.readline()).strip()
    except (OSError, UnicodeDecodeError, EOFError, zipfile.BadZipFile, IndexError) as exc:
        raise DataError(f"{path}: cannot read as text CSV ({exc})") from None


def _columns(path: Path) -> tuple[tuple[str, ...], bool]:
    name = path.name.lower()
    try:
        if name.endswith(".feather"):
            with pa.memory_map(str(path)) as source:  # schema only: nothing is decompressed
                return tuple(pa.ipc.open_file(source).schema.names), True
        if name.endswith(".parquet"):
            return tuple(pq.read_schema(path).names), True
    except Exception as exc:  # pyarrow raises several unrelated types for corrupt files
        raise DataError(f"{path}: cannot read file ({exc})") from None
    line = _first_csv_line(path)
    cells = tuple(c.strip().strip('"') for c in line.split(","))
    has_header = not _is_number(cells[0]) if cells and cells[0] else True
    return cells, has_header


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


_FREQTRADE_NAME = re.compile(
    r"^(?P<base>[A-Za-z0-9]+)_(?P<quote>[A-Za-z0-9]+)(?:_(?P<settle>[A-Za-z0-9]+))?"
    r"-(?P<tf>\d+[mhdwM])(?:-(?P<what>futures|spot|mark|funding_rate|index|premiumIndex))?"
    r"\.feather$"
)
_BINANCE_NAME = re.compile(r"^(?P<sym>[A-Z0-9]+)-(?P<tf>\d+[smhdw])(?:-.*)?$")
_UPBIT_NAME = re.compile(r"^(?P<sym>(?:KRW|BTC|USDT)-[A-Z0-9]+)(?:-(?P<tf>\d+[mhdw]))?$")
_STORE_STEM = re.compile(r"^(?:(?P<mark>mark)-)?(?P<tf>\d+[mhdw])$|^(?P<funding>funding)$|^oi-(?P<oi>\d+[mhdw])$")


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".csv.gz", ".csv.zip", ".zip", ".csv", ".feather", ".parquet"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def _market_from_path(path: Path) -> str | None:
    words = {w for p in path.parts[:-1] for w in re.split(r"[^a-z0-9]+", p.lower())}
    if "spot" in words:
        return "spot"
    if words & {"futures", "um", "fapi", "usdm", "perp"}:
        return "futures"
    return None


def _venue_from_path(path: Path, symbol: str | None) -> str:
    if any("upbit" in p.lower() for p in path.parts) or (symbol and _UPBIT_NAME.match(symbol)):
        return "upbit"
    return "binance"


def _lower(cols: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(c.lower() for c in cols)


def _classify(cols: tuple[str, ...], has_header: bool, suffix: str) -> tuple[Format, Kind] | None:
    low = _lower(cols)
    ohlc = {"open", "high", "low", "close"}
    if not has_header:
        return (Format.BINANCE_KLINES, Kind.CANDLES) if len(cols) == 12 else None
    if suffix == ".feather" and low[0] == "date":
        return Format.FREQTRADE, Kind.CANDLES
    if low[0] in ("opentime", "open_time") and len(low) == 12:
        return Format.BINANCE_KLINES, Kind.CANDLES
    if low[0] in ("fundingtime", "calc_time") and any("fundingrate" in c or c == "last_funding_rate" for c in low):
        return Format.BINANCE_FUNDING, Kind.FUNDING
    if low[0] == "timestamp" and {*ohlc, "volume", "close_time"} <= set(low):
        return Format.REST_KLINES_SNAPSHOT, Kind.CANDLES
    if low[0] == "timestamp" and "funding_rate" in low:
        return Format.REST_FUNDING, Kind.FUNDING
    if low[0] == "timestamp" and "sum_open_interest" in low:
        return Format.REST_OPEN_INTEREST, Kind.OPEN_INTEREST
    if low[0] in ("date", "index", "datetime", "") and {*ohlc, "volume"} <= set(low):
        return Format.DATED_OHLCV, Kind.CANDLES
    if low[0] == "date" and any(c.endswith("_oi_value_usd") for c in low):
        return Format.OI_VALUE_TABLE, Kind.OPEN_INTEREST
    if suffix != ".parquet":
        return None
    if "open_time" in low:
        return Format.STORE, Kind.CANDLES
    if "funding_time" in low:
        return Format.STORE, Kind.FUNDING
    if "time" in low and "open_interest_value" in low:
        return Format.STORE, Kind.OPEN_INTEREST
    return None


def detect(path: str | Path) -> FileInfo:
    """Recognise `path`; raises DataError naming the columns when no known format fits."""
    path = Path(path)
    if not path.is_file():
        raise DataNotFoundError(f"no such data file: {path}")
    cols, has_header = _columns(path)
    found = _classify(cols, has_header, path.suffix.lower())
    if found is None:
        raise DataError(
            f"{path}: unrecognised columns {list(cols)[:14]}; supported: freqtrade feather, "
            "Binance 12-column klines CSV, Binance fundingRate CSV, REST klines/funding/"
            "open-interest CSV, dated OHLCV CSV (Upbit), coinpilot parquet"
        )
    fmt, kind = found
    stem = _stem(path)
    symbol = timeframe = market = None
    if fmt is Format.FREQTRADE:
        m = _FREQTRADE_NAME.match(path.name)
        if m:
            symbol = (m["base"] + m["quote"]).upper()
            timeframe = m["tf"]
            what = m["what"]
            kind = {"mark": Kind.MARK, "funding_rate": Kind.FUNDING}.get(what or "", Kind.CANDLES)
            if what in ("index", "premiumIndex"):
                raise DataError(f"{path}: {what} candles are not supported (only trade, mark, funding)")
            # freqtrade names futures pairs with their settle currency (BTC_USDT_USDT)
            market = "futures" if (m["settle"] or what in ("futures", "mark", "funding_rate")) else "spot"
    elif fmt in (Format.BINANCE_KLINES, Format.BINANCE_FUNDING):
        m = _BINANCE_NAME.match(stem)
        symbol = m["sym"] if m else _symbol_like(stem.split("-")[0])
        timeframe = m["tf"] if m and fmt is Format.BINANCE_KLINES else None
    elif fmt in (Format.REST_KLINES_SNAPSHOT, Format.REST_FUNDING, Format.REST_OPEN_INTEREST):
        symbol = _symbol_like(stem.split("-")[0])
        parent = path.parent.name.lower()
        if fmt is Format.REST_KLINES_SNAPSHOT and _is_timeframe(parent):
            timeframe = parent
        if fmt is Format.REST_OPEN_INTEREST:
            period = parent.removeprefix("oi_").removeprefix("oi-")
            timeframe = period if _is_timeframe(period) else None
    elif fmt is Format.DATED_OHLCV:
        m = _UPBIT_NAME.match(stem) or _BINANCE_NAME.match(stem)
        symbol = m.group(1) if m else None
        timeframe = m["tf"] if m else None  # else inferred from the data by the importer
    elif fmt is Format.OI_VALUE_TABLE:
        timeframe = "1d"
    elif fmt is Format.STORE:
        m = _STORE_STEM.match(stem)
        if m:
            timeframe = m["tf"] or m["oi"]
            kind = Kind.MARK if m["mark"] else kind
        if m and len(path.parts) >= 4 and path.parents[1].name in ("futures", "spot"):
            symbol, market = path.parent.name.upper(), path.parents[1].name  # store layout
    venue = _venue_from_path(path, symbol)
    if fmt is Format.STORE and symbol is not None:
        venue = path.parents[2].name
    if venue == "upbit":
        market = "spot"
    market = market or _market_from_path(path)
    return FileInfo(path, fmt, kind, cols, has_header, symbol, timeframe, market, venue)


def _symbol_like(text: str) -> str | None:
    """A file-name part that reads as an exchange symbol (BTCUSDT), else None: never guess."""
    return text if re.fullmatch(r"[A-Z0-9]{5,20}", text) else None


def _is_timeframe(text: str) -> bool:
    try:
        Timeframe.parse(text)
    except ValueError:
        return False
    return True
