"""Concurrency over a real server: 50 diary writers with retries lose and duplicate nothing;
racing plan revisions yield one new version each round and a clear 409 for the others."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from sqlalchemy import Engine, func, select

from benzoplan.api import create_app
from benzoplan.store.models import DiaryEntry, PlanVersion

from .conftest import World, settings_for
from .livesrv import live_server

WRITERS = 50
PER_WRITER = 4


def _post_with_retries(client: httpx.Client, url: str, body: dict[str, Any]) -> int:
    """Send until the server answers; then send once more, as a client does whose first
    answer was lost. Both answers must name the same stored entry."""
    for _ in range(20):
        try:
            first = client.post(url, json=body)
            break
        except httpx.TransportError:
            continue
    else:
        raise AssertionError("no answer after 20 attempts")
    again = client.post(url, json=body)
    assert first.status_code in (200, 201), first.text
    assert again.status_code == 200, again.text
    assert first.json()["id"] == again.json()["id"]
    return first.status_code


def test_fifty_concurrent_diary_writers_lose_and_duplicate_nothing(
        db_url: str, engine: Engine, world: World) -> None:
    app = create_app(settings_for(db_url))
    token = world.headers(world.a.users["patient"])
    pid = world.a.patient_id
    today = dt.date.today()
    barrier = threading.Barrier(WRITERS)

    def writer(w: int) -> list[int]:
        with httpx.Client(base_url=base, headers=token, timeout=60) as client:
            barrier.wait()
            out = []
            for k in range(PER_WRITER):
                n = w * PER_WRITER + k
                body = {"id": f"w{w}-e{k}", "date": (today - dt.timedelta(days=n + 1)).isoformat(),
                        "kind": "symptoms", "data": {"ratings": {"anxiety": n % 4}}}
                out.append(_post_with_retries(client, f"/api/v1/patients/{pid}/diary", body))
            return out

    with live_server(app) as base, ThreadPoolExecutor(WRITERS) as pool:
        statuses = [s for res in pool.map(writer, range(WRITERS)) for s in res]
        with httpx.Client(base_url=base, headers=token) as client:
            listed = client.get(f"/api/v1/patients/{pid}/diary", params={"limit": 200}).json()
    assert statuses.count(201) == WRITERS * PER_WRITER
    expected = {f"w{w}-e{k}" for w in range(WRITERS) for k in range(PER_WRITER)}
    assert listed["total"] == len(expected)
    assert {e["client_id"] for e in listed["items"]} == expected
    with engine.connect() as conn:
        rows = conn.execute(select(DiaryEntry.client_id, func.count())
                            .where(DiaryEntry.patient_id == pid)
                            .group_by(DiaryEntry.client_id)).all()
    assert {c for c, _ in rows} == expected and all(n == 1 for _, n in rows)


def test_racing_plan_revisions_give_one_version_or_409(db_url: str, engine: Engine,
                                                       world: World) -> None:
    app = create_app(settings_for(db_url))
    doc = world.headers(world.a.users["clinician"])
    plan_id = world.a.plan_ids[world.a.patient_id]
    effective = (dt.date.today() + dt.timedelta(days=20)).isoformat()
    rounds = 3
    with live_server(app) as base:
        for rnd in range(rounds):
            barrier = threading.Barrier(2)

            def revise(i: int, rnd: int = rnd, barrier: threading.Barrier = barrier) -> int:
                body = {"base_version": rnd + 1, "kind": "hold", "days": 7,
                        "effective": effective, "reason": f"round {rnd} writer {i}"}
                with httpx.Client(base_url=base, headers=doc, timeout=60) as client:
                    barrier.wait()
                    r = client.post(f"/api/v1/plans/{plan_id}/versions", json=body)
                    if r.status_code == 409:
                        assert r.json()["field"] == "base_version"
                    return r.status_code

            with ThreadPoolExecutor(2) as pool:
                codes = sorted(pool.map(revise, range(2)))
            assert codes == [201, 409], codes
        with httpx.Client(base_url=base, headers=doc) as client:
            plan = client.get(f"/api/v1/plans/{plan_id}").json()
    assert plan["current_version"] == rounds + 1
    with engine.connect() as conn:
        versions = conn.execute(select(PlanVersion.version, PlanVersion.reason)
                                .where(PlanVersion.plan_id == plan_id)
                                .order_by(PlanVersion.version)).all()
    assert [v for v, _ in versions] == list(range(1, rounds + 2))
    assert all(r.startswith(f"round {v - 2} ") for v, r in versions[1:])
