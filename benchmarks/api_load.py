"""Load test of the clinic API over loopback: starts `benzoplan serve` on a free port with a
fresh SQLite database and the demo clinic, then 50 concurrent clients send a fixed number of
requests in turn — plan a taper, run a safety check, post a diary entry — and it prints
requests per second, p50/p99 latency and the error count (``--json`` for JSON only).

Usage: python benchmarks/api_load.py [--json] [--requests 600] [--clients 50]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
RECORD = {"age_years": 46, "sex": "female", "weight": {"value": 70, "unit": "kg"},
          "conditions": ["panic-disorder"], "alcohol_use": "occasional",
          "regimen": {"drug": "clonazepam", "indication": "panic-disorder",
                      "start_date": "2019-03-01",
                      "schedule": [{"time": "08:00", "dose": "1 mg"},
                                   {"time": "20:00", "dose": "1 mg"}]}}
TAPER = {"drug": "clonazepam", "start": dt.date.today().isoformat(), "strategy": "hyperbolic",
         "doses": [{"time": "08:00", "dose": {"value": 1, "unit": "mg"}},
                   {"time": "20:00", "dose": {"value": 1, "unit": "mg"}}]}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(db: Path, port: int) -> tuple[subprocess.Popen[str], dict[str, str], str]:
    env = {**os.environ, "BENZOPLAN_SECRET_KEY": secrets.token_urlsafe(48),
           "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "benzoplan", "serve", "--demo", "--port", str(port),
         "--database-url", f"sqlite:///{db}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    passwords: dict[str, str] = {}
    patient = ""
    assert proc.stdout is not None
    for line in proc.stdout:
        m = re.search(r"username (\S+)\s+password (\S+)", line)
        if m:
            passwords[m.group(1)] = m.group(2)
        m = re.search(r"patient id\s*(\S*)", line)
        if m and m.group(1):
            patient = m.group(1)
        if "Uvicorn running" in line or "Application startup complete" in line:
            break
        if proc.poll() is not None:
            raise RuntimeError("the server exited while starting")
    return proc, passwords, patient


async def _token(client: httpx.AsyncClient, user: str, password: str) -> dict[str, str]:
    r = await client.post("/api/v1/auth/token", json={"username": user, "password": password})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def _run(base: str, passwords: dict[str, str], patient: str, total: int,
               clients: int) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
        doc = await _token(client, "dr.demo", passwords["dr.demo"])
        me = await _token(client, "alex.demo", passwords["alex.demo"])
        if not patient:
            page = (await client.get("/api/v1/patients", headers=doc)).json()
            patient = page["items"][0]["id"]
        start = dt.date.today() - dt.timedelta(days=400)
        ops = ("taper", "check", "diary")
        times: dict[str, list[float]] = {o: [] for o in ops}
        errors: list[str] = []
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(total):
            queue.put_nowait(i)

        async def one(i: int) -> None:
            op = ops[i % 3]
            if op == "taper":
                req = client.post("/api/v1/taper", json=TAPER, headers=doc)
            elif op == "check":
                req = client.post("/api/v1/check", json={"patient": RECORD}, headers=doc)
            else:
                day = (start + dt.timedelta(days=i // 3)).isoformat()
                req = client.post(f"/api/v1/patients/{patient}/diary", headers=me, json={
                    "id": f"load-{i}", "date": day, "kind": "symptoms",
                    "data": {"ratings": {"anxiety": i % 4}}})
            t0 = time.perf_counter()
            try:
                r = await req
                ok = r.status_code < 300
                if not ok:
                    errors.append(f"{op} {r.status_code} {r.text[:120]}")
            except httpx.HTTPError as exc:
                errors.append(f"{op} {type(exc).__name__}")
            times[op].append((time.perf_counter() - t0) * 1000)

        async def worker() -> None:
            while not queue.empty():
                await one(queue.get_nowait())

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - t0
    every = sorted(t for ts in times.values() for t in ts)

    def pct(xs: list[float], q: float) -> float:
        xs = sorted(xs)
        return round(xs[min(len(xs) - 1, int(q * len(xs)))], 1) if xs else 0.0

    return {
        "backend": "sqlite", "clients": clients, "requests": total,
        "seconds": round(elapsed, 2), "requests_per_second": round(total / elapsed, 1),
        "p50_ms": pct(every, 0.50), "p99_ms": pct(every, 0.99),
        "mean_ms": round(statistics.fmean(every), 1) if every else 0.0,
        "errors": len(errors), "error_samples": errors[:5],
        "by_operation": {o: {"requests": len(ts), "p50_ms": pct(ts, 0.5),
                             "p99_ms": pct(ts, 0.99)} for o, ts in times.items()},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--json", action="store_true", help="print JSON only")
    ap.add_argument("--requests", type=int, default=600)
    ap.add_argument("--clients", type=int, default=50)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="benzoplan-load-") as tmp:
        port = _free_port()
        proc, passwords, patient = _start(Path(tmp) / "load.db", port)
        try:
            out = asyncio.run(_run(f"http://127.0.0.1:{port}", passwords, patient,
                                   args.requests, args.clients))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    if args.json:
        print(json.dumps(out))
    else:
        print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
