"""The candle store under bad names, corrupt files, concurrent writers and killed writers.

The concurrency and kill tests use real OS processes (not threads): the lock is an fcntl lock,
which only means something between processes, and a SIGKILL is the crash a user can cause.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coinpilot.data.store import CandleStore, UnreadableSeriesError, store_in_use
from coinpilot.domain.candles import SeriesKey
from coinpilot.domain.errors import DataError, DataNotFoundError

KEY = SeriesKey("binance", "futures", "BTCUSDT", "1h")
AS_OF = "2030-01-01"

# A writer process: waits for the start file, then upserts its own rows round after round.
# Rows of writer w in round r: 5 hourly bars starting at hour (2 * r + w) * 5, so the two
# writers' rows never overlap and the expected end state is their union.
WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import numpy as np, pandas as pd
    from coinpilot.data.store import CandleStore
    from coinpilot.domain.candles import SeriesKey

    root, who, rounds, go = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
    store = CandleStore(root)
    key = SeriesKey("binance", "futures", "BTCUSDT", "1h")
    while not go.exists():
        time.sleep(0.001)
    for r in range(rounds):
        first = (2 * r + who) * 5
        hours = np.arange(first, first + 5)
        price = 100.0 + hours
        store.upsert(key, pd.DataFrame({
            "open_time": pd.to_datetime(1_735_689_600_000 + hours * 3_600_000, unit="ms", utc=True).as_unit("ms"),
            "open": price, "high": price + 1, "low": price - 1, "close": price, "volume": 1.0 + hours,
        }), as_of="2030-01-01")
""")

# A writer that is killed between writing its data and renaming it over the series: the
# parquet writer finishes the temp file, says so, then hangs until the SIGKILL.
HANGING_WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import pandas as pd
    from coinpilot.data.store import CandleStore
    from coinpilot.domain.candles import SeriesKey

    root, ready = sys.argv[1], Path(sys.argv[2])
    real = pd.DataFrame.to_parquet

    def write_then_hang(self, *args, **kwargs):
        real(self, *args, **kwargs)
        ready.write_text("written")
        time.sleep(120)

    pd.DataFrame.to_parquet = write_then_hang
    frame = pd.read_parquet(sys.argv[3])
    CandleStore(root).upsert(SeriesKey("binance", "futures", "BTCUSDT", "1h"), frame, as_of="2030-01-01")
""")


def candles(hours: range | np.ndarray) -> pd.DataFrame:
    h = np.asarray(hours)
    price = 100.0 + h
    return pd.DataFrame({
        "open_time": pd.to_datetime(1_735_689_600_000 + h * 3_600_000, unit="ms", utc=True).as_unit("ms"),
        "open": price, "high": price + 1, "low": price - 1, "close": price, "volume": 1.0 + h,
    })


def python(code: str, *args: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], stderr=subprocess.PIPE)


def temp_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.name.endswith(".tmp"))


# --- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        SeriesKey("binance", "futures", "../../../../tmp/x", "1h"),
        SeriesKey("binance", "futures", "BTC/USDT", "1h"),
        SeriesKey("binance", "futures", "..", "1h"),
        SeriesKey("binance", "futures", "", "1h"),
        SeriesKey("kraken", "futures", "BTCUSDT", "1h"),
        SeriesKey("binance", "options", "BTCUSDT", "1h"),
        SeriesKey("upbit", "futures", "KRW-BTC", "1h"),
        SeriesKey("binance", "futures", "BTCUSDT", "../1h"),
        SeriesKey("../..", "futures", "BTCUSDT", "1h"),
    ],
)
def test_store_refuses_names_that_are_not_a_known_series(tmp_path: Path, key: SeriesKey) -> None:
    store = CandleStore(tmp_path / "store")
    with pytest.raises(DataError):
        store.upsert(key, candles(range(3)), as_of=AS_OF)
    with pytest.raises(DataError):
        store.load(key)
    assert [p for p in tmp_path.rglob("*") if p.suffix == ".parquet"] == []


def test_store_accepts_upbit_quote_first_symbols(tmp_path: Path) -> None:
    store = CandleStore(tmp_path)
    store.upsert(SeriesKey("upbit", "spot", "krw-btc", "1d"), candles(range(0, 72, 24)), as_of=AS_OF)
    assert store.keys() == [SeriesKey("upbit", "spot", "KRW-BTC", "1d")]


# --- corrupt files ---------------------------------------------------------------------------


def test_a_corrupt_file_is_a_data_error_naming_it(tmp_path: Path) -> None:
    store = CandleStore(tmp_path)
    store.upsert(KEY, candles(range(5)), as_of=AS_OF)
    store.path(KEY).write_bytes(b"not parquet at all" * 50)
    with pytest.raises(UnreadableSeriesError, match=r"1h\.parquet cannot be read .*re-import the series"):
        store.load(KEY)
    with pytest.raises(UnreadableSeriesError):
        store.summary(KEY)


def test_reimport_over_a_corrupt_file_replaces_it_and_keeps_the_bad_bytes_aside(tmp_path: Path) -> None:
    store = CandleStore(tmp_path)
    store.upsert(KEY, candles(range(5)), as_of=AS_OF)
    file = store.path(KEY)
    file.write_bytes(b"PAR1 garbage")
    result = store.upsert(KEY, candles(range(3, 8)), as_of=AS_OF)
    assert result.written
    assert result.unreadable is not None
    aside, why = result.unreadable
    assert aside.read_bytes() == b"PAR1 garbage"
    assert str(file) in why
    assert store.load(KEY)["open"].tolist() == [103.0, 104.0, 105.0, 106.0, 107.0]
    assert store.keys() == [KEY]  # the file set aside is not listed as a series


# --- concurrency -----------------------------------------------------------------------------


@pytest.mark.slow  # ~3 s: four Python processes
def test_two_processes_upserting_one_series_at_once_end_with_the_union(tmp_path: Path) -> None:
    rounds = 8  # each round of each writer races the other writer's read-merge-write
    for trial in range(2):
        root, go = tmp_path / f"store{trial}", tmp_path / f"go{trial}"
        writers = [python(WRITER, root, who, rounds, go) for who in (0, 1)]
        time.sleep(0.3)  # both imported and waiting
        go.touch()
        for w in writers:
            _, err = w.communicate(timeout=120)
            assert w.returncode == 0, err.decode()[-2000:]
        stored = CandleStore(root).load(KEY)  # readable
        expected = candles(range(2 * rounds * 5))
        pd.testing.assert_frame_equal(stored[expected.columns], expected)
        assert temp_files(root) == []


def test_a_writer_killed_mid_write_leaves_the_old_file_and_its_temp_is_cleaned(tmp_path: Path) -> None:
    store = CandleStore(tmp_path / "store")
    store.upsert(KEY, candles(range(5)), as_of=AS_OF)
    before = store.path(KEY).read_bytes()
    incoming = tmp_path / "incoming.parquet"
    candles(range(5, 10)).to_parquet(incoming)
    ready = tmp_path / "ready"
    writer = python(HANGING_WRITER, store.root, ready, incoming)
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert writer.poll() is None, writer.communicate()[1].decode()[-2000:]
        assert time.monotonic() < deadline, "the writer never got to write its temp file"
        time.sleep(0.01)
    assert len(temp_files(store.root)) == 1  # the new data sits in a temp file
    os.kill(writer.pid, signal.SIGKILL)
    writer.communicate(timeout=30)

    assert store.path(KEY).read_bytes() == before  # the old file is intact
    assert store.load(KEY)["open"].tolist() == [100.0, 101.0, 102.0, 103.0, 104.0]
    stray = temp_files(store.root)
    assert len(stray) == 1
    assert store.sweep_temp_files() == stray  # the dead writer's lock is free: its temp goes
    assert temp_files(store.root) == []


def test_the_next_write_of_a_series_removes_its_stray_temp_files(tmp_path: Path) -> None:
    store = CandleStore(tmp_path)
    store.upsert(KEY, candles(range(3)), as_of=AS_OF)
    file = store.path(KEY)
    old_style = file.with_name("1h.parquet.tmp")
    dead = file.with_name(".1h.parquet.0123abcd.tmp")
    for stray in (old_style, dead):
        stray.write_bytes(b"half a parquet file")
    store.upsert(KEY, candles(range(3, 6)), as_of=AS_OF)
    assert temp_files(tmp_path) == []


def test_sweep_leaves_the_temp_file_of_a_live_writer(tmp_path: Path) -> None:
    store = CandleStore(tmp_path)
    store.upsert(KEY, candles(range(3)), as_of=AS_OF)
    live = store.path(KEY).with_name(".1h.parquet.feedbeef.tmp")
    live.write_bytes(b"being written")
    with store._locked(store.path(KEY)):  # what a live writer holds while its temp file exists
        assert store.sweep_temp_files() == []
    assert live.exists()
    assert store.sweep_temp_files() == [live]


# --- which store ------------------------------------------------------------------------------


def test_store_in_use_prefers_the_option_then_a_data_dir_with_data_then_the_sample(tmp_path: Path) -> None:
    from coinpilot.config import Settings

    given, said = store_in_use(tmp_path / "given", Settings(data_dir=tmp_path / "dd"))
    assert given.root == tmp_path / "given"
    assert "--store" in said
    empty = tmp_path / "dd"
    empty.mkdir()
    sample, said = store_in_use(None, Settings(data_dir=empty))
    assert sample.root.name == "sample"
    assert said.startswith("bundled sample (")
    assert "holds no series" in said
    CandleStore(empty).upsert(KEY, candles(range(3)), as_of=AS_OF)
    used, said = store_in_use(None, Settings(data_dir=empty))
    assert used.root == empty
    assert "data_dir" in said
    (tmp_path / "file").write_text("x")
    with pytest.raises(DataError, match=r"--store .*is a file"):
        store_in_use(tmp_path / "file")


def test_missing_series_is_still_data_not_found(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError):
        CandleStore(tmp_path).load(KEY)
