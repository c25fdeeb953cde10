"""Where the API runs its pure computations (planning a taper, a safety check).

They are CPU-bound and hold the interpreter for milliseconds at a time. Run on the server's own
threads they would slow every other request, above all the short database steps of a diary
write that holds SQLite's one write lock. So they run in a small pool of worker processes,
each with its own interpreter, on the machine's other cores; with ``processes=0`` they run on
a few threads of the server's own (tests, one-core machines).

A function sent to the pool must be a module-level function taking and returning picklable
values; benzoplan's errors pickle with their field, so a 4xx raised in a worker is the same
4xx in the server.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import Any, TypeVar

import anyio

__all__ = ["Computer"]

_T = TypeVar("_T")


def _warm() -> None:
    """Import what the computations use, so that the first request does not pay for it."""
    import benzoplan.api.routes.operations  # noqa: F401


class Computer:
    """Runs pure functions in ``processes`` worker processes, or on ``threads`` threads when
    ``processes`` is 0. The pool starts on first use (or :meth:`start`)."""

    def __init__(self, processes: int, threads: int) -> None:
        self.processes = processes
        self._threads = anyio.CapacityLimiter(threads)
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # "spawn": the server has threads, and a forked child would copy their locks
                self._pool = ProcessPoolExecutor(
                    self.processes, mp_context=multiprocessing.get_context("spawn"),
                    initializer=_warm)
            return self._pool

    def start(self) -> None:
        """Start the worker processes now (they take a second or two to import benzoplan)."""
        if self.processes:
            pool = self._executor()
            for f in [pool.submit(_warm) for _ in range(self.processes)]:
                f.result()

    async def run(self, fn: Callable[..., _T], *args: Any) -> _T:
        if not self.processes:
            return await anyio.to_thread.run_sync(partial(fn, *args), limiter=self._threads)
        pool = self._executor()
        try:
            return await asyncio.wrap_future(pool.submit(fn, *args))
        except BrokenProcessPool:
            # a worker died (killed, out of memory): start a fresh pool and try once more
            with self._lock:
                if self._pool is pool:
                    self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)
            return await asyncio.wrap_future(self._executor().submit(fn, *args))

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
