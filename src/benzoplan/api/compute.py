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
    """A new worker loads the clinical data and computes one small plan and one check: the
    per-drug tables and numeric code they build on first use would otherwise slow its first
    requests by a tenth of a second."""
    import datetime as dt

    from benzoplan.clinical_data import load_all
    from benzoplan.safety import check
    from benzoplan.safety.patient import PatientRecord
    from benzoplan.taper import ScheduledDose, TaperRequest, plan_taper
    from benzoplan.taper._model import parse_time
    from benzoplan.units import Dose

    load_all()
    today = dt.date.today()
    doses = tuple(ScheduledDose(parse_time(t), Dose("1 mg")) for t in ("08:00", "20:00"))
    plan_taper(TaperRequest(drug="clonazepam", start=today, doses=doses,
                            strategy="hyperbolic")).to_json()
    check(PatientRecord.model_validate({
        "age_years": 50, "sex": "female", "conditions": ["panic-disorder"],
        "regimen": {"drug": "clonazepam", "indication": "panic-disorder",
                    "start_date": "2020-01-01",
                    "schedule": [{"time": "08:00", "dose": "1 mg"}]}}), today=today).to_json()


def _ready() -> None:
    """Nothing: answered once the worker has started (and warmed)."""


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
            for f in [pool.submit(_ready) for _ in range(self.processes)]:
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
