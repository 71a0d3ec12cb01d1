"""Every supported file format reads into the series contracts; bad files raise typed errors."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coinpilot.data.formats import Format, detect
from coinpilot.data.importers import iter_data_files, load_file
from coinpilot.data.report import Kind
from coinpilot.domain.candles import SeriesKey
from coinpilot.domain.errors import DataError, DataNotFoundError

H = 3_600_000
T0 = 1_735_689_600_000  # 2025-01-01 00:00 UTC in ms
KLINE_HEADER = "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore"


def kline_rows(n: int, step: int = H, t0: int = T0) -> list[str]:
    rows = []
    for i in range(n):
        t = t0 + i * step
        rows.append(f"{t},100.0,101.5,99.5,100.5,10.25,{t + step - 1},1030.1,42,5.5,552.2,0")
    return rows


def write(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(lines) + "\n"
    if path.name.endswith(".gz"):
        with gzip.open(path, "wt") as fh:
            fh.write(text)
    else:
        path.write_text(text)
    return path


def freqtrade_frame(n: int = 6, freq: str = "1h") -> pd.DataFrame:
    return pd.DataFrame({
        "date": pd.date_range("2025-01-01", periods=n, freq=freq, tz="UTC"),
        "open": 1.0, "high": 2.0, "low": 0.5, "close": 1.5, "volume": 3.0,
    })


def test_freqtrade_futures_feather_infers_symbol_timeframe_market(tmp_path: Path) -> None:
    path = tmp_path / "futures" / "BTC_USDT_USDT-5m-futures.feather"
    path.parent.mkdir()
    freqtrade_frame(6, "5min").to_feather(path)
    (series,) = load_file(path)
    assert series.key == SeriesKey("binance", "futures", "BTCUSDT", "5m")
    assert series.info.format is Format.FREQTRADE
    assert series.frame["open_time"].dtype == "datetime64[ms, UTC]"
    assert list(series.frame.columns) == ["open_time", "open", "high", "low", "close", "volume"]


def test_freqtrade_spot_name_without_settle_currency_is_spot(tmp_path: Path) -> None:
    path = tmp_path / "BTC_USDT-1h.feather"
    freqtrade_frame().to_feather(path)
    assert load_file(path)[0].key == SeriesKey("binance", "spot", "BTCUSDT", "1h")


def test_freqtrade_mark_file_is_a_mark_series_without_volume_checks(tmp_path: Path) -> None:
    path = tmp_path / "ETH_USDT_USDT-1h-mark.feather"
    frame = freqtrade_frame()
    frame["volume"] = np.nan  # old freqtrade mark files carry NaN volume
    frame.to_feather(path)
    (series,) = load_file(path)
    assert series.kind is Kind.MARK
    assert series.key.timeframe == "mark-1h"
    assert series.report.ok


def test_freqtrade_funding_rate_is_read_from_open_column(tmp_path: Path) -> None:
    path = tmp_path / "XRP_USDT_USDT-8h-funding_rate.feather"
    frame = freqtrade_frame(3, "8h")
    frame["open"] = [0.0001, -0.0002, 0.00005]
    frame[["high", "low", "close", "volume"]] = 0.0
    frame.to_feather(path)
    (series,) = load_file(path)
    assert series.key == SeriesKey("binance", "futures", "XRPUSDT", "funding")
    assert list(series.frame.columns) == ["funding_time", "rate"]
    assert series.frame["rate"].tolist() == [0.0001, -0.0002, 0.00005]
    assert series.frame["funding_time"].dtype == "datetime64[ms, UTC]"


def test_data_vision_csv_with_header_keeps_optional_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "um" / "LTCUSDT-1h-2026-02.csv.gz", [KLINE_HEADER, *kline_rows(3)])
    (series,) = load_file(path)
    assert series.key == SeriesKey("binance", "futures", "LTCUSDT", "1h")
    assert list(series.frame.columns) == [
        "open_time", "open", "high", "low", "close", "volume",
        "quote_volume", "trades", "taker_buy_base", "taker_buy_quote",
    ]
    assert series.frame["trades"].tolist() == [42.0] * 3
    assert series.frame["open_time"].iloc[0] == pd.Timestamp("2025-01-01", tz="UTC")


def test_headerless_binance_klines_and_microsecond_times(tmp_path: Path) -> None:
    # data.binance.vision spot files since 2025 carry microseconds, and often no header
    rows = [r.replace(str(T0 + i * H), str((T0 + i * H) * 1000), 1) for i, r in enumerate(kline_rows(3))]
    rows = [",".join([*r.split(",")[:6], str((T0 + (i + 1) * H - 1) * 1000), *r.split(",")[7:]]) for i, r in enumerate(rows)]
    path = write(tmp_path / "spot" / "BTCUSDT-1h-2025-01.csv", rows)
    info = detect(path)
    assert info.format is Format.BINANCE_KLINES
    assert not info.has_header
    (series,) = load_file(path)
    assert series.key.market == "spot"
    assert series.frame["open_time"].iloc[2] == pd.Timestamp("2025-01-01 02:00", tz="UTC")
    assert series.report.ok  # close_time in microseconds was scaled too


def test_camelcase_rest_klines_dump(tmp_path: Path) -> None:
    header = "openTime,open,high,low,close,volume,closeTime,quoteVolume,trades,takerBuyBase,takerBuyQuote,ignore"
    path = write(tmp_path / "binance_um_futures" / "BTCUSDT-1h-futures.csv.gz", [header, *kline_rows(4)])
    (series,) = load_file(path)
    assert series.key == SeriesKey("binance", "futures", "BTCUSDT", "1h")
    assert series.frame["taker_buy_quote"].iloc[0] == 552.2


def test_binance_funding_csv_normalises_jitter(tmp_path: Path) -> None:
    lines = ["fundingTime,fundingIntervalHours,fundingRate", f"{T0 + 15},8,0.0001", f"{T0 + 8 * H},8,-0.00002"]
    path = write(tmp_path / "futures" / "BTCUSDT-funding.csv.gz", lines)
    (series,) = load_file(path)
    assert series.key.timeframe == "funding"
    assert series.frame["funding_time"].iloc[0] == pd.Timestamp("2025-01-01", tz="UTC")
    assert series.report.get("funding_time_jitter") is not None


def test_rest_snapshot_last_row_is_dropped_as_open(tmp_path: Path) -> None:
    header = "timestamp,open,high,low,close,volume,quote_volume,trades,close_time"
    rows = [",".join([*r.split(",")[:6], "1030.1", "42", r.split(",")[6]]) for r in kline_rows(5)]
    path = write(tmp_path / "binance_um_futures" / "gravestone" / "1h" / "SOLUSDT.csv.gz", [header, *rows])
    (series,) = load_file(path)
    assert series.info.format is Format.REST_KLINES_SNAPSHOT
    assert series.key == SeriesKey("binance", "futures", "SOLUSDT", "1h")
    assert len(series.frame) == 4
    issue = series.report.get("open_candle")
    assert issue is not None
    assert issue.times == (pd.Timestamp("2025-01-01 04:00", tz="UTC"),)


def test_rest_funding_and_open_interest(tmp_path: Path) -> None:
    fund = write(tmp_path / "futures" / "funding" / "ADAUSDT.csv.gz",
                 ["timestamp,symbol,funding_rate", f"{T0 + 7},ADAUSDT,0.0001", f"{T0 + 8 * H + 2},ADAUSDT,0.00002"])
    oi = write(tmp_path / "futures" / "oi_4h" / "ADAUSDT.csv.gz",
               ["timestamp,symbol,sum_open_interest,sum_open_interest_value",
                f"{T0},ADAUSDT,100.5,70.25", f"{T0 + 4 * H},ADAUSDT,101.0,71.0"])
    (funding,) = load_file(fund)
    assert funding.frame["funding_time"].tolist() == [pd.Timestamp("2025-01-01", tz="UTC"), pd.Timestamp("2025-01-01 08:00", tz="UTC")]
    (interest,) = load_file(oi)
    assert interest.key == SeriesKey("binance", "futures", "ADAUSDT", "oi-4h")
    assert list(interest.frame.columns) == ["time", "open_interest", "open_interest_value"]
    assert interest.frame["open_interest"].tolist() == [100.5, 101.0]


def test_oi_value_table_yields_one_series_per_coin(tmp_path: Path) -> None:
    path = write(tmp_path / "binance_um_futures" / "open_interest.csv",
                 ["date,btc_oi_value_usd,eth_oi_value_usd", "2025-11-07,8.3e9,5.6e9", "2025-11-08,8.9e9,5.9e9"])
    series = load_file(path)
    assert [s.key.symbol for s in series] == ["BTCUSDT", "ETHUSDT"]
    assert all(s.key.timeframe == "oi-1d" for s in series)
    assert series[0].frame["open_interest"].isna().all()
    assert series[1].frame["open_interest_value"].tolist() == [5.6e9, 5.9e9]


def test_upbit_daily_csv_kst_date_is_utc_midnight_and_ma_columns_dropped(tmp_path: Path) -> None:
    path = write(tmp_path / "upbit" / "KRW-BTC-1d.csv", [
        "Date,Open,High,Low,Close,Volume,MA5,MA3",
        "2024-01-02,58839000.0,60997000.0,58814000.0,60206000.0,8221.19,,",
        "2024-01-03,60205000.0,60799000.0,54346000.0,58581000.0,16310.30,,59393500.0",
    ])
    (series,) = load_file(path)
    assert series.key == SeriesKey("upbit", "spot", "KRW-BTC", "1d")
    # the Upbit day candle of KST date 2024-01-02 opens 09:00 KST = 00:00 UTC that date
    assert series.frame["open_time"].iloc[0] == pd.Timestamp("2024-01-02 00:00", tz="UTC")
    assert "MA5" not in series.frame.columns
    assert "ma5" not in series.frame.columns


def test_upbit_kst_clock_times_convert_to_utc(tmp_path: Path) -> None:
    path = write(tmp_path / "upbit" / "KRW-ETH.csv", [
        ",open,high,low,close,volume,value",
        "2024-01-02 09:00:00,1.0,2.0,0.5,1.5,3.0,4.5",
        "2024-01-03 09:00:00,1.0,2.0,0.5,1.5,3.0,4.5",
    ])
    (series,) = load_file(path)
    assert series.frame["open_time"].iloc[0] == pd.Timestamp("2024-01-02 00:00", tz="UTC")
    assert series.key.timeframe == "1d"  # inferred from the data
    assert series.frame["quote_volume"].iloc[0] == 4.5  # pyupbit 'value' is the KRW turnover


def test_naive_clock_times_outside_upbit_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "spot" / "BTCUSDT-1h.csv", [
        "date,open,high,low,close,volume", "2024-01-02 01:00:00,1,2,0.5,1.5,3",
    ])
    with pytest.raises(DataError, match="without a timezone"):
        load_file(path)


def test_missing_file_raises_data_not_found(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError, match=r"nope\.csv"):
        load_file(tmp_path / "nope.csv")


def test_unrecognised_columns_name_the_file_and_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "weird.csv", ["a,b,c", "1,2,3"])
    with pytest.raises(DataError, match=r"weird.csv: unrecognised columns \['a', 'b', 'c'\]"):
        load_file(path)


def test_missing_column_names_the_column(tmp_path: Path) -> None:
    path = tmp_path / "BTC_USDT_USDT-1h-futures.feather"
    freqtrade_frame().drop(columns=["volume"]).assign(extra=1.0).to_feather(path)
    with pytest.raises(DataError, match=r"missing column\(s\) \['volume'\]"):
        load_file(path)


def test_text_in_price_column_names_column_value_and_row(tmp_path: Path) -> None:
    rows = kline_rows(4)
    rows[2] = rows[2].replace(",101.5,", ",oops,")
    path = write(tmp_path / "futures" / "BTCUSDT-1h-2025-01.csv", [KLINE_HEADER, *rows])
    with pytest.raises(DataError, match=r"column 'high' has 1 value\(s\) that are not numbers, e.g. 'oops'; first rows \(0-based\): 2"):
        load_file(path)


def test_unparseable_times_raise(tmp_path: Path) -> None:
    rows = kline_rows(3)
    rows[1] = "yesterday" + rows[1][13:]
    path = write(tmp_path / "futures" / "BTCUSDT-1h-2025-01.csv", [KLINE_HEADER, *rows])
    with pytest.raises(DataError, match="open_time"):
        load_file(path)


def test_nan_price_is_fatal_on_import_but_reported_by_check_mode(tmp_path: Path) -> None:
    rows = kline_rows(4)
    rows[3] = rows[3].replace(",100.5,", ",,")
    path = write(tmp_path / "futures" / "BTCUSDT-1h-2025-01.csv", [KLINE_HEADER, *rows])
    with pytest.raises(DataError, match=r"NaN open/high/low/close; first rows \(0-based\): 3 \(2025-01-01 03:00\)"):
        load_file(path)
    (series,) = load_file(path, strict=False)
    assert series.report.get("nan_price") is not None
    assert not series.report.ok


def test_market_that_cannot_be_inferred_must_be_given(tmp_path: Path) -> None:
    path = write(tmp_path / "BTCUSDT-1h-2025-01.csv", [KLINE_HEADER, *kline_rows(2)])
    with pytest.raises(DataError, match="--market"):
        load_file(path)
    (series,) = load_file(path, market="futures", symbol="btcusdt", timeframe="1h")
    assert series.key == SeriesKey("binance", "futures", "BTCUSDT", "1h")


def test_override_timeframe_is_checked_against_close_time(tmp_path: Path) -> None:
    path = write(tmp_path / "futures" / "BTCUSDT-1h-2025-01.csv", [KLINE_HEADER, *kline_rows(3)])
    (series,) = load_file(path, timeframe="15m", strict=False)
    assert series.report.get("close_time_mismatch") is not None


def test_iter_data_files_skips_non_data_files_with_a_reason(tmp_path: Path) -> None:
    write(tmp_path / "a" / "BTCUSDT-1h-2025-01.csv", [KLINE_HEADER])
    (tmp_path / "SOURCES.md").write_text("# notes")
    (tmp_path / "sample.json").write_text("{}")
    files, skipped = iter_data_files([tmp_path])
    assert [f.name for f in files] == ["BTCUSDT-1h-2025-01.csv"]
    assert sorted(p.name for p, _ in skipped) == ["SOURCES.md", "sample.json"]
    assert all("not a data file" in why for _, why in skipped)


def test_zipped_data_vision_download_is_read(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "futures" / "um" / "DOTUSDT-1h-2025-01.zip"
    path.parent.mkdir(parents=True)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("DOTUSDT-1h-2025-01.csv", "\n".join(kline_rows(3)) + "\n")
    (series,) = load_file(path)
    assert series.key == SeriesKey("binance", "futures", "DOTUSDT", "1h")
    assert len(series.frame) == 3


def test_unknown_timeframe_is_a_data_error(tmp_path: Path) -> None:
    path = write(tmp_path / "futures" / "BTCUSDT-1h-2025-01.csv", [KLINE_HEADER, *kline_rows(2)])
    with pytest.raises(DataError, match="unknown timeframe '1M'"):
        load_file(path, timeframe="1M")
