"""Load test of the clinic API over loopback.

Starts `benzoplan serve` on a free port with a fresh SQLite database (or ``--database-url``)
and the demo clinic, adds ``--patients`` patients on a taper plan that started 60 days ago,
each signed in with their own account, then runs the mix of the issue — plan a taper, run a
safety check, a patient posts a diary entry — from ``--clients`` concurrent clients, in two
phases of ``--requests`` requests each:

* ``paced`` (the top-level figures, and what the target is checked on): requests fall due as
  one Poisson stream of ``--rate`` per second, dealt to the clients in turn.
  Latency is measured from the moment a request was *due*, not from when it was sent, so a
  server that falls behind is charged for the queue it causes (no coordinated omission).
* ``saturated``: every client sends its next request as soon as the previous one is answered.
  This measures capacity (requests/s); its latency is not a service latency but, by Little's
  law, about clients ÷ throughput.

The requests vary as a clinic's would: six taper requests (drugs, doses, strategies), four
patient records for the check, and diary entries on days inside each patient's plan, so that
every diary write runs the monitoring engine over that patient's diary.

It prints requests/s, p50/p99 latency and the error count per phase and operation, and
``target_met``: paced p99 < 100 ms with no errors. ``baseline`` is the same paced stream of
``GET /health`` in the same run (HTTP, routing and a database round trip, no clinical work);
``p99_ratio_to_baseline`` compares the mix's p99 with it.

Usage: python benchmarks/api_load.py [--json] [--requests 600] [--clients 50] [--rate 100]
                                     [--patients 10] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
TARGET_P99_MS = 100.0
TODAY = dt.date.today()
PLAN_START = TODAY - dt.timedelta(days=60)


def _dose(time_: str, mg: float) -> dict[str, Any]:
    return {"time": time_, "dose": {"value": mg, "unit": "mg"}}


TAPERS: list[dict[str, Any]] = [
    {"drug": "clonazepam", "strategy": "hyperbolic",
     "doses": [_dose("08:00", 1), _dose("20:00", 1)]},
    {"drug": "clonazepam", "strategy": "fixed-fraction", "doses": [_dose("22:00", 0.5)]},
    {"drug": "clonazepam", "strategy": "linear",
     "doses": [_dose("08:00", 0.5), _dose("20:00", 1)]},
    {"drug": "alprazolam", "strategy": "crossover",
     "doses": [_dose("08:00", 0.5), _dose("14:00", 0.5), _dose("20:00", 0.5)]},
    {"drug": "lorazepam", "strategy": "fixed-fraction",
     "doses": [_dose("08:00", 1), _dose("21:00", 1)]},
    {"drug": "diazepam", "strategy": "hyperbolic",
     "doses": [_dose("08:00", 10), _dose("20:00", 10)]},
]
for _t in TAPERS:
    _t["start"] = TODAY.isoformat()


def _record(age: int, sex: str, drug: str, morning: str, evening: str,
            conditions: list[str], medicines: list[str]) -> dict[str, Any]:
    return {"age_years": age, "sex": sex, "weight": {"value": 70, "unit": "kg"},
            "conditions": conditions, "alcohol_use": "occasional", "medicines": medicines,
            "regimen": {"drug": drug, "indication": "panic-disorder", "start_date": "2019-03-01",
                        "schedule": [{"time": "08:00", "dose": morning},
                                     {"time": "20:00", "dose": evening}]}}


RECORDS: list[dict[str, Any]] = [
    _record(46, "female", "clonazepam", "1 mg", "1 mg", ["panic-disorder"], []),
    _record(71, "male", "clonazepam", "0.5 mg", "0.5 mg", ["panic-disorder", "depression"],
            ["sertraline 50 mg"]),
    _record(34, "female", "alprazolam", "0.5 mg", "1 mg", ["panic-disorder"],
            ["oxycodone 5 mg tablets"]),
    _record(58, "male", "lorazepam", "1 mg", "1 mg", ["panic-disorder", "insomnia"], []),
]
PLAN_REQUEST = {"drug": "clonazepam", "start": PLAN_START.isoformat(), "strategy": "hyperbolic",
                "doses": [_dose("08:00", 1), _dose("20:00", 1)]}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(url: str, port: int) -> tuple[subprocess.Popen[str], dict[str, str]]:
    env = {**os.environ, "BENZOPLAN_SECRET_KEY": secrets.token_urlsafe(48),
           "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "benzoplan", "serve", "--demo", "--port", str(port),
         "--database-url", url],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    passwords: dict[str, str] = {}
    assert proc.stdout is not None
    for line in proc.stdout:
        m = re.search(r"username (\S+)\s+password (\S+)", line)
        if m:
            passwords[m.group(1)] = m.group(2)
        if "Uvicorn running on" in line:  # listening (after the app's start-up)
            break
    else:
        raise RuntimeError("the server exited while starting")
    # keep reading the access log: a full pipe would block the server mid-response
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    return proc, passwords


async def _post(http: aiohttp.ClientSession, path: str, body: Any,
                headers: dict[str, str] | None = None) -> Any:
    async with http.post(path, json=body, headers=headers) as r:
        if r.status >= 300:
            raise RuntimeError(f"set-up: POST {path} gave {r.status}: {await r.text()}")
        return await r.json()


async def _token(http: aiohttp.ClientSession, user: str, password: str) -> dict[str, str]:
    r = await _post(http, "/api/v1/auth/token", {"username": user, "password": password})
    return {"Authorization": f"Bearer {r['access_token']}"}


async def _setup(http: aiohttp.ClientSession, passwords: dict[str, str],
                 patients: int) -> tuple[dict[str, str], list[tuple[str, dict[str, str]]]]:
    """The clinician's headers and, per added patient, their id and headers."""
    doc = await _token(http, "dr.demo", passwords["dr.demo"])
    admin = await _token(http, "admin.demo", passwords["admin.demo"])
    out: list[tuple[str, dict[str, str]]] = []
    for k in range(patients):
        pid = (await _post(http, "/api/v1/patients", {
            "name": f"Load Patient {k}", "birth_date": "1975-06-01", "sex": "female"},
            doc))["id"]
        await _post(http, f"/api/v1/patients/{pid}/plans", {"request": PLAN_REQUEST}, doc)
        password = secrets.token_urlsafe(16)
        await _post(http, "/api/v1/users", {
            "username": f"load.p{k}", "display_name": f"Load Patient {k}", "role": "patient",
            "password": password, "patient_id": pid}, admin)
        out.append((pid, await _token(http, f"load.p{k}", password)))
    return doc, out


class _Phase:
    """One phase's requests and what they measured. Each client has a connection of its own,
    opened when the phase starts."""

    def __init__(self, base: str, doc: dict[str, str],
                 patients: list[tuple[str, dict[str, str]]], first_day: int) -> None:
        self.base, self.doc, self.patients, self.first_day = base, doc, patients, first_day
        self.times: dict[str, list[float]] = {"taper": [], "check": [], "diary": []}
        self.errors: list[str] = []

    def session(self) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(self.base, connector=aiohttp.TCPConnector(limit=1),
                                     timeout=aiohttp.ClientTimeout(total=120))

    async def connect(self, http: aiohttp.ClientSession) -> None:
        """Open the client's connection before the clock starts (an untimed GET /health)."""
        async with http.get("/health") as r:
            await r.read()

    def request(self, i: int) -> tuple[str, str, Any, dict[str, str]]:
        """Operation, path, body and headers of request ``i``."""
        op = ("taper", "check", "diary")[i % 3]
        n = i // 3
        if op == "taper":
            return op, "/api/v1/taper", TAPERS[n % len(TAPERS)], self.doc
        if op == "check":
            return op, "/api/v1/check", {"patient": RECORDS[n % len(RECORDS)]}, self.doc
        pid, me = self.patients[n % len(self.patients)]
        day = PLAN_START + dt.timedelta(days=self.first_day + n // len(self.patients))
        entry = {"id": f"load-{self.first_day}-{i}", "date": day.isoformat(), "kind": "symptoms",
                 "data": {"ratings": {"anxiety": n % 2, "insomnia": (n // 2) % 2}}}
        return op, f"/api/v1/patients/{pid}/diary", entry, me

    async def send(self, http: aiohttp.ClientSession, i: int, due: float) -> None:
        op, path, body, headers = self.request(i)
        try:
            async with http.post(path, json=body, headers=headers) as r:
                text = await r.text()
                if r.status >= 300:
                    self.errors.append(f"{op} {r.status} {text[:160]}")
        except (TimeoutError, aiohttp.ClientError) as exc:
            self.errors.append(f"{op} {type(exc).__name__}")
        self.times[op].append((time.perf_counter() - due) * 1000)

    def summary(self, elapsed: float, **extra: Any) -> dict[str, Any]:
        every = [t for ts in self.times.values() for t in ts]
        return {**extra, "requests": len(every), "seconds": round(elapsed, 2),
                "requests_per_second": round(len(every) / elapsed, 1),
                "p50_ms": _pct(every, 0.50), "p99_ms": _pct(every, 0.99),
                "mean_ms": round(statistics.fmean(every), 1) if every else 0.0,
                "max_ms": round(max(every), 1) if every else 0.0,
                "errors": len(self.errors), "error_samples": self.errors[:5],
                "by_operation": {o: {"requests": len(ts), "p50_ms": _pct(ts, 0.5),
                                     "p99_ms": _pct(ts, 0.99)} for o, ts in self.times.items()}}


class _Floor(_Phase):
    """The baseline measured in the same run: the same paced stream of ``GET /health`` (HTTP,
    routing and one database round trip, no clinical work)."""

    def __init__(self, base: str) -> None:
        super().__init__(base, {}, [], 0)
        self.times = {"health": []}

    async def send(self, http: aiohttp.ClientSession, i: int, due: float) -> None:
        try:
            async with http.get("/health") as r:
                await r.read()
                if r.status != 200:
                    self.errors.append(f"health {r.status}")
        except (TimeoutError, aiohttp.ClientError) as exc:
            self.errors.append(f"health {type(exc).__name__}")
        self.times["health"].append((time.perf_counter() - due) * 1000)


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(q * len(xs)))], 1) if xs else 0.0


async def _paced(phase: _Phase, total: int, clients: int, rate: float,
                 seed: int) -> dict[str, Any]:
    """Requests fall due as one Poisson stream of ``rate`` per second, dealt to the clients in
    turn; a client still waiting for an answer sends its next request late, and the lateness
    counts in that request's latency."""
    rng = random.Random(seed)
    gaps = [rng.expovariate(rate) for _ in range(total)]
    ready = asyncio.Barrier(clients)
    due: list[float] = []

    async def client(c: int) -> None:
        async with phase.session() as http:
            await phase.connect(http)
            if await ready.wait() == 0:  # one client sets the clock once all are connected
                t = time.perf_counter()
                for g in gaps:
                    t += g
                    due.append(t)
            await ready.wait()
            for i in range(c, total, clients):
                delay = due[i] - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                await phase.send(http, i, due[i])

    await asyncio.gather(*(client(c) for c in range(clients)))
    return phase.summary(time.perf_counter() - (due[0] - gaps[0]), mode="paced",
                         offered_rate=rate)


async def _saturated(phase: _Phase, total: int, clients: int) -> dict[str, Any]:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(i)

    ready = asyncio.Barrier(clients)
    t0 = 0.0

    async def client() -> None:
        nonlocal t0
        async with phase.session() as http:
            await phase.connect(http)
            if await ready.wait() == 0:
                t0 = time.perf_counter()
            await ready.wait()
            while not queue.empty():
                await phase.send(http, queue.get_nowait(), time.perf_counter())

    await asyncio.gather(*(client() for _ in range(clients)))
    return phase.summary(time.perf_counter() - t0, mode="saturated")


async def _run(base: str, passwords: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    async with aiohttp.ClientSession(base) as http:
        doc, patients = await _setup(http, passwords, args.patients)
    days = -(-args.requests // 3 // args.patients)  # diary days per patient per phase
    if 2 * days > (TODAY - PLAN_START).days:
        raise SystemExit(f"--requests {args.requests} needs more than --patients "
                         f"{args.patients}: each patient writes one entry a day")
    paced = await _paced(_Phase(base, doc, patients, 0), args.requests, args.clients,
                         args.rate, args.seed)
    saturated = await _saturated(_Phase(base, doc, patients, days), args.requests,
                                 args.clients)
    floor = await _paced(_Floor(base), args.requests, args.clients, args.rate, args.seed)
    return {"backend": base_backend(args.database_url), "clients": args.clients,
            "patients": args.patients, **paced,
            "target_p99_ms": TARGET_P99_MS,
            "target_met": paced["p99_ms"] < TARGET_P99_MS and paced["errors"] == 0,
            "baseline": {k: floor[k] for k in ("mode", "offered_rate", "requests",
                                               "p50_ms", "p99_ms", "errors")},
            "p99_ratio_to_baseline": round(paced["p99_ms"] / max(floor["p99_ms"], 0.1), 1),
            "saturated": saturated}


def base_backend(url: str | None) -> str:
    return "sqlite" if not url or url.startswith("sqlite") else url.split(":", 1)[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", action="store_true", help="print JSON only")
    ap.add_argument("--requests", type=int, default=600, help="requests per phase")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--rate", type=float, default=100.0,
                    help="requests per second the clients offer together in the paced phase")
    ap.add_argument("--patients", type=int, default=10)
    ap.add_argument("--database-url", default=None,
                    help="default: a fresh SQLite file; a PostgreSQL URL must name an empty "
                    "database")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="benzoplan-load-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'load.db'}"
        port = _free_port()
        proc, passwords = _start(url, port)
        try:
            out = asyncio.run(_run(f"http://127.0.0.1:{port}", passwords, args))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print(json.dumps(out) if args.json else json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
