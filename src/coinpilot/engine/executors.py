"""Where a sweep's independent tasks run: in this process, a local process pool, or Dask.

A sweep is a list of independent tasks (chunks of parameter sets); an executor maps one
module-level function over them and returns the results in task order. Three kinds, one
interface, so the sweep code never asks where it runs:

- `SerialExecutor` (workers=1): this process, no pickling; for tests and debugging.
- `LocalExecutor`: a `ProcessPoolExecutor`. Workers start from a forkserver (POSIX) rather
  than a plain fork: the parent may hold pyarrow/numba thread pools, and forking a process
  with live threads can deadlock the child. The price is ~2 s to start the server (it imports
  coinpilot once; workers fork from it), and, as with `spawn`, a script that starts a pool
  needs the `if __name__ == "__main__":` guard. `start_method="fork"` skips that cost where
  it is known to be safe. Each worker loads its data once and keeps it (`worker_cached`),
  so the tasks only carry parameters.
- `DaskExecutor`: a `distributed.Client` connected to a scheduler address ('tcp://host:8786').
  Workers must be able to import coinpilot and read the candle store path the tasks name
  (a shared filesystem, or the same path on every machine).
"""

from __future__ import annotations

import multiprocessing
import os
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from types import TracebackType
from typing import Any, Protocol, TypeVar

from coinpilot.domain.errors import ConfigError

A = TypeVar("A")
R = TypeVar("R")
T = TypeVar("T")

_WORKER_CACHE: OrderedDict[str, Any] = OrderedDict()


def worker_cached(key: str, factory: Callable[[], T], max_items: int = 4) -> T:
    """A per-process cache: the first task in a worker builds the value, later tasks reuse it.

    Holds at most `max_items` values (least recently used dropped), so a long-lived Dask
    worker serving several sweeps does not keep every data set it ever loaded."""
    if key in _WORKER_CACHE:
        _WORKER_CACHE.move_to_end(key)
        return _WORKER_CACHE[key]
    value = factory()
    _WORKER_CACHE[key] = value
    while len(_WORKER_CACHE) > max_items:
        _WORKER_CACHE.popitem(last=False)
    return value


def clear_worker_cache() -> None:
    """Forget cached values in this process (tests; a store that changed on disk)."""
    _WORKER_CACHE.clear()


class Executor(Protocol):
    """Runs `fn` over `items`, results in item order. Use as a context manager."""

    workers: int
    description: str

    def map(self, fn: Callable[[A], R], items: Sequence[A]) -> list[R]: ...

    def close(self) -> None: ...

    def __enter__(self) -> Executor: ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...


class _Base:
    workers: int = 1
    description: str = ""

    def close(self) -> None:
        return None

    def __enter__(self) -> Executor:
        return self  # type: ignore[return-value]

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


class SerialExecutor(_Base):
    """Everything in this process, in order."""

    def __init__(self) -> None:
        self.workers = 1
        self.description = "this process"

    def map(self, fn: Callable[[A], R], items: Sequence[A]) -> list[R]:
        return [fn(item) for item in items]


class LocalExecutor(_Base):
    """A local process pool of `workers` processes, created on first use."""

    def __init__(self, workers: int, preload: Sequence[str] = ("coinpilot.engine.sweep",),
                 start_method: str | None = None) -> None:
        if workers < 1:
            raise ConfigError(f"workers must be >= 1, got {workers}")
        methods = multiprocessing.get_all_start_methods()
        method = start_method or ("forkserver" if "forkserver" in methods else "spawn")
        if method not in methods:
            raise ConfigError(f"start method {method!r} is not available here; choose one of {methods}")
        self.workers = workers
        self.start_method = method
        self.description = f"{workers} local processes"
        self._preload = list(preload)
        self._pool: ProcessPoolExecutor | None = None

    def _ensure(self) -> ProcessPoolExecutor:
        if self._pool is None:
            ctx = multiprocessing.get_context(self.start_method)
            if self.start_method == "forkserver":
                ctx.set_forkserver_preload(self._preload)
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx)
        return self._pool

    def map(self, fn: Callable[[A], R], items: Sequence[A]) -> list[R]:
        if not items:
            return []
        return list(self._ensure().map(fn, items))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class DaskExecutor(_Base):
    """Tasks on a Dask distributed cluster reached at `address`."""

    def __init__(self, address: str, timeout_s: float = 30.0) -> None:
        from distributed import Client

        try:
            self._client = Client(address, timeout=timeout_s, set_as_default=False)
        except OSError as exc:
            raise ConfigError(
                f"cannot reach the Dask scheduler at {address!r} ({exc}); start one with "
                "`dask scheduler` and workers with `dask worker ADDRESS`, or drop --dask"
            ) from None
        threads = self._client.nthreads()
        self.workers = max(1, sum(threads.values()))
        self.description = f"Dask at {address} ({len(threads)} workers, {self.workers} threads)"

    def map(self, fn: Callable[[A], R], items: Sequence[A]) -> list[R]:
        if not items:
            return []
        futures = self._client.map(fn, list(items), pure=False)
        return list(self._client.gather(futures))

    def close(self) -> None:
        self._client.close()


def make_executor(workers: int | None = None, dask: str | None = None,
                  start_method: str | None = None) -> Executor:
    """Dask when an address is given, else a local pool (workers > 1) or this process.

    `workers=None` means one per CPU core; `start_method` is the local pool's (see LocalExecutor)."""
    if dask:
        return DaskExecutor(dask)
    n = workers if workers is not None else (os.cpu_count() or 1)
    if n < 1:
        raise ConfigError(f"workers must be >= 1, got {n}")
    return SerialExecutor() if n == 1 else LocalExecutor(n, start_method=start_method)


__all__ = [
    "DaskExecutor", "Executor", "LocalExecutor", "SerialExecutor", "clear_worker_cache",
    "make_executor", "worker_cached",
]
