"""API behaviour: sign-in, problem+json for bad input (changing nothing), pagination, health."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from benzoplan.api import create_app
from benzoplan.errors import InputError
from benzoplan.store import Base

from .conftest import PASSWORD, RECORD, SECRET, World, plan_json, settings_for, taper_body


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """Request handling is backend-independent: these run on SQLite only (the store,
    migration, matrix and concurrency tests cover PostgreSQL)."""
    return f"sqlite:///{tmp_path / 'api.db'}"


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in Base.metadata.sorted_tables}


def _is_problem(r: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    if field is not None:
        assert body.get("field") == field, body
    return body


def test_health_checks_the_database(client: TestClient) -> None:
    r = client.get("/health")
    assert r.status_code == 200 and r.json()["database"] == "ok"


def test_openapi_and_docs_are_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert "/api/v1/auth/token" in spec["paths"]


def test_sign_in_issues_a_token_that_opens_the_api(client: TestClient, world: World) -> None:
    r = client.post("/api/v1/auth/token", json={"username": "clinician.a", "password": PASSWORD})
    assert r.status_code == 200, r.text
    tok = r.json()
    assert tok["token_type"] == "bearer" and 0 < tok["expires_in"] <= 15 * 60
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {tok['access_token']}"})
    assert me.status_code == 200 and me.json()["role"] == "clinician"


def test_wrong_password_expired_and_forged_tokens_are_401(client: TestClient,
                                                          world: World) -> None:
    r = client.post("/api/v1/auth/token", json={"username": "clinician.a", "password": "nope"})
    _is_problem(r, 401, "password")
    _is_problem(client.get("/api/v1/auth/me"), 401, "Authorization")
    forged = World(world.a, world.b, type(world.tokens)("another-secret-" + "y" * 40, 15))
    _is_problem(client.get("/api/v1/auth/me",
                           headers=forged.headers(world.a.users["clinician"])), 401)
    expired = World(world.a, world.b, type(world.tokens)(SECRET, -1))
    body = _is_problem(client.get("/api/v1/auth/me",
                                  headers=expired.headers(world.a.users["clinician"])), 401)
    assert "expired" in body["detail"]


def test_sign_in_is_rate_limited(db_url: str, engine: Engine, world: World) -> None:
    app = create_app(settings_for(db_url, signin_max_failures=3, signin_window_seconds=600))
    with TestClient(app) as c:
        for _ in range(3):
            r = c.post("/api/v1/auth/token", json={"username": "clinician.a", "password": "x"})
            assert r.status_code == 401
        r = c.post("/api/v1/auth/token", json={"username": "clinician.a", "password": PASSWORD})
        body = _is_problem(r, 429)
        assert int(r.headers["Retry-After"]) > 0 and "too many" in body["detail"]
        # another user is not locked out by the first one's failures
        r = c.post("/api/v1/auth/token", json={"username": "admin.a", "password": PASSWORD})
        assert r.status_code == 200


def test_deactivated_user_loses_access(client: TestClient, world: World) -> None:
    admin = world.headers(world.a.users["admin"])
    doc = world.a.users["clinician"]
    r = client.patch(f"/api/v1/users/{doc.id}", json={"active": False}, headers=admin)
    assert r.status_code == 200 and r.json()["active"] is False
    _is_problem(client.get("/api/v1/auth/me", headers=world.headers(doc)), 401)


def test_create_patient_regimen_and_read_back(client: TestClient, world: World) -> None:
    h = world.headers(world.a.users["clinician"])
    r = client.post("/api/v1/patients", json={"name": "New", "birth_date": "1970-01-31",
                                              "sex": "male"}, headers=h)
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    r = client.post(f"/api/v1/patients/{pid}/regimens", headers=h, json={
        "drug": "Klonopin", "indication": "panic disorder", "start": "2019-03-01",
        "schedule": [{"time": "08:00", "dose": {"value": 1, "unit": "mg"}},
                     {"time": "20:00", "dose": {"value": 500, "unit": "ug"}}]})
    assert r.status_code == 201, r.text
    assert r.json()["drug"] == "clonazepam"
    r = client.get(f"/api/v1/patients/{pid}/regimens", headers=h)
    assert r.json()["total"] == 1


def test_patient_update_is_optimistic(client: TestClient, world: World) -> None:
    h = world.headers(world.a.users["clinician"])
    url = f"/api/v1/patients/{world.a.patient_id}"
    assert client.patch(url, json={"version": 1, "name": "Renamed"}, headers=h).status_code == 200
    body = _is_problem(client.patch(url, json={"version": 1, "name": "Lost"}, headers=h), 409,
                       "version")
    assert "reload" in body["detail"]
    assert client.get(url, headers=h).json()["name"] == "Renamed"


def test_diary_post_is_idempotent(client: TestClient, world: World) -> None:
    h = world.headers(world.a.users["patient"])
    url = f"/api/v1/patients/{world.a.patient_id}/diary"
    entry = {"id": "e-1", "date": "2026-01-05", "kind": "symptoms",
             "data": {"ratings": {"insomnia": 2}}}
    first = client.post(url, json=entry, headers=h)
    again = client.post(url, json=entry, headers=h)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    _is_problem(client.post(url, json={**entry, "data": {"ratings": {"insomnia": 3}}},
                            headers=h), 409, "id")
    # another id for the same day and kind: one entry per day and slot
    _is_problem(client.post(url, json={**entry, "id": "e-2"}, headers=h), 409, "body.date")
    listed = client.get(url, headers=h).json()
    assert listed["total"] == 1


def test_lists_are_paginated(client: TestClient, world: World) -> None:
    h = world.headers(world.a.users["patient"])
    url = f"/api/v1/patients/{world.a.patient_id}/diary"
    for i in range(7):
        client.post(url, headers=h, json={"id": f"p{i}", "date": f"2026-01-{i + 1:02d}",
                                          "kind": "symptoms", "data": {"ratings": {}}})
    seen: list[str] = []
    for offset in (0, 3, 6):
        page = client.get(url, params={"limit": 3, "offset": offset}, headers=h).json()
        assert page["total"] == 7 and page["limit"] == 3 and page["offset"] == offset
        seen += [e["client_id"] for e in page["items"]]
    assert seen == [f"p{i}" for i in range(7)]
    _is_problem(client.get(url, params={"limit": 0}, headers=h), 422, "query.limit")
    _is_problem(client.get(url, params={"limit": 10_000}, headers=h), 422, "query.limit")


def test_pharmacists_see_whom_each_plan_is_for(client: TestClient, world: World) -> None:
    h = world.headers(world.a.users["pharmacist"])
    plans = client.get("/api/v1/plans", headers=h).json()["items"]
    assert {p["patient_name"] for p in plans} == {"Pat a", "Other a"}
    one = client.get(f"/api/v1/plans/{plans[0]['id']}", headers=h).json()
    assert one["patient_name"] == plans[0]["patient_name"]
    assert one["patient_birth_date"] == plans[0]["patient_birth_date"]
    assert one["patient_id"] == plans[0]["patient_id"]


NONE = {"ratings": {}}
# (who, method, path, body, expected status, expected field)
BadCase = tuple[str, str, Callable[[World], str], Any, int, str | None]
BAD: list[BadCase] = [
    ("clinician", "POST", lambda w: "/api/v1/patients",
     {"name": "X", "nickname": "y"}, 422, "body.nickname"),
    ("clinician", "POST", lambda w: "/api/v1/patients",
     {"name": "X", "birth_date": "1980-02-30"}, 422, "body.birth_date"),
    ("clinician", "POST", lambda w: "/api/v1/patients",
     {"name": "X", "birth_date": "02/03/1980"}, 422, "body.birth_date"),
    ("clinician", "POST", lambda w: "/api/v1/patients",
     {"name": "X", "birth_date": "2999-01-01"}, 422, "body.birth_date"),
    ("clinician", "POST", lambda w: "/api/v1/patients", {}, 422, "body.name"),
    ("clinician", "POST", lambda w: "/api/v1/patients", "[1, 2", 422, "body"),
    ("clinician", "POST", lambda w: f"/api/v1/patients/{w.a.patient_id}/regimens",
     {"drug": "clonazepam", "schedule": [{"time": "08:00", "dose": {"value": 1, "unit": "mL"}}]},
     422, "body.schedule.0.dose"),
    ("clinician", "POST", lambda w: f"/api/v1/patients/{w.a.patient_id}/regimens",
     {"drug": "clonazepam", "schedule": [{"time": "08:00", "dose": {"value": -1, "unit": "mg"}}]},
     422, "body.schedule.0.dose"),
    ("clinician", "POST", lambda w: f"/api/v1/patients/{w.a.patient_id}/regimens",
     {"drug": "clonazepam", "schedule": [{"time": "08:00", "dose": 1}]},
     422, "body.schedule.0.dose"),
    ("clinician", "POST", lambda w: f"/api/v1/patients/{w.a.patient_id}/regimens",
     {"drug": "clonazepam", "schedule": [{"time": "25:00", "dose": {"value": 1, "unit": "mg"}}]},
     422, "body.schedule.0.time"),
    ("clinician", "POST", lambda w: f"/api/v1/patients/{w.a.patient_id}/regimens",
     {"drug": "klonopn", "schedule": [{"time": "08:00", "dose": {"value": 1, "unit": "mg"}}]},
     422, "body.drug"),
    ("clinician", "POST", lambda w: f"/api/v1/patients/{w.a.patient_id}/regimens",
     {"drug": "clonazepam", "schedule": [{"time": "08:00", "dose": {"value": 1, "unit": "mg"}},
                                         {"time": "08:00", "dose": {"value": 1, "unit": "mg"}}]},
     422, "body.schedule"),
    ("clinician", "POST", lambda w: f"/api/v1/patients/{w.b.patient_id}/regimens",
     {"drug": "clonazepam", "schedule": [{"time": "08:00", "dose": {"value": 1, "unit": "mg"}}]},
     404, "path.patient_id"),
    ("clinician", "PATCH", lambda w: f"/api/v1/patients/{w.b.patient_id}",
     {"version": 1, "name": "hijack"}, 404, "path.patient_id"),
    ("clinician", "PATCH", lambda w: f"/api/v1/patients/{w.a.patient_id}",
     {"version": 1, "name": None}, 422, "body.name"),
    ("clinician", "POST", lambda w: f"/api/v1/alerts/{w.b.alert_ids[0]}/acknowledge", {}, 404,
     "path.alert_id"),
    ("patient", "POST", lambda w: f"/api/v1/patients/{w.a.patient_id}/diary",
     {"id": "x", "date": "2026-13-01", "kind": "symptoms", "data": NONE}, 422, "body.date"),
    ("patient", "POST", lambda w: f"/api/v1/patients/{w.a.patient_id}/diary",
     {"id": "x", "date": "2999-01-01", "kind": "symptoms", "data": NONE}, 422, "body.date"),
    ("patient", "POST", lambda w: f"/api/v1/patients/{w.a.patient_id}/diary",
     {"id": "bad id with spaces", "date": "2026-01-01", "kind": "symptoms", "data": NONE}, 422,
     "body.id"),
    ("patient", "POST", lambda w: f"/api/v1/patients/{w.a.patient_id}/diary",
     {"id": "x", "date": "2026-01-01", "kind": "dream", "data": {}}, 422, "body.kind"),
    ("patient", "POST", lambda w: f"/api/v1/patients/{w.a.other_patient_id}/diary",
     {"id": "x", "date": "2026-01-01", "kind": "symptoms", "data": NONE}, 404, "path.patient_id"),
    ("patient", "POST", lambda w: f"/api/v1/patients/{w.a.patient_id}/diary",
     {"id": "x", "date": "2026-01-01", "kind": "symptoms", "data": {"t": "x" * 300_000}}, 413,
     "body"),
    ("admin", "POST", lambda w: "/api/v1/users",
     {"username": "new.user", "display_name": "N", "role": "wizard", "password": "p" * 12},
     422, "body.role"),
    ("admin", "POST", lambda w: "/api/v1/users",
     {"username": "new.user", "display_name": "N", "role": "clinician", "password": "short"},
     422, "body.password"),
    ("admin", "POST", lambda w: "/api/v1/users",
     {"username": "clinician.a", "display_name": "N", "role": "clinician",
      "password": "p" * 12}, 409, "username"),
    ("admin", "POST", lambda w: "/api/v1/users",
     lambda w: {"username": "new.user", "display_name": "N", "role": "patient",
                "password": "p" * 12, "patient_id": w.b.patient_id}, 404, "patient_id"),
    ("admin", "PATCH", lambda w: f"/api/v1/users/{w.b.users['clinician'].id}",
     {"active": False}, 404, "user_id"),
    ("clinician", "POST", lambda w: "/api/v1/convert",
     {"dose": {"value": 2, "unit": "mg"}, "drug": "clonazepam", "to": "diazepam",
      "table": "nope"}, 422, "body.table"),
    ("clinician", "POST", lambda w: "/api/v1/convert",
     {"dose": {"value": "two", "unit": "mg"}, "drug": "clonazepam", "to": "diazepam"}, 422,
     "body.dose.value"),
    # unit text that the unit parser's expression evaluator trips over
    ("clinician", "POST", lambda w: "/api/v1/convert",
     {"dose": {"value": 2, "unit": "0/0"}, "drug": "clonazepam", "to": "diazepam"}, 422,
     "body.dose"),
    ("clinician", "POST", lambda w: f"/api/v1/patients/{w.a.patient_id}/regimens",
     {"drug": "clonazepam", "schedule": [{"time": "08:00", "dose": {"value": 1, "unit": "("}}]},
     422, "body.schedule.0.dose"),
    ("clinician", "POST", lambda w: "/api/v1/taper",
     {"drug": "clonazepam", "start": "2026-12-01", "max_step": {"value": 10, "unit": "mg("},
      "doses": [{"time": "08:00", "dose": {"value": 1, "unit": "mg"}}]}, 422, "body.max_step"),
    ("clinician", "GET",
     lambda w: f"/api/v1/patients/{w.a.patient_id}/diary?offset=99999999999999999999999",
     None, 422, "query.offset"),
    ("patient", "POST", lambda w: f"/api/v1/patients/{w.a.patient_id}/diary",
     {"id": "x", "date": "2026-01-01", "kind": "symptoms", "data": {"ratings": {"anxiety": 9}}},
     422, "body.data.ratings"),
    ("patient", "POST", lambda w: f"/api/v1/patients/{w.a.patient_id}/diary",
     {"id": "x", "date": "2026-01-01", "kind": "symptoms", "data": {"ratings": {"gout": 1}}},
     422, "body.data.ratings"),
    ("patient", "POST", lambda w: f"/api/v1/patients/{w.a.patient_id}/diary",
     {"id": "x", "date": "2026-01-01", "kind": "seizure", "data": {"count": 2}}, 422,
     "body.data"),
    ("patient", "POST", lambda w: f"/api/v1/patients/{w.a.patient_id}/diary",
     lambda w: {"id": "x", "date": dt.date.today().isoformat(), "kind": "dose",
                "data": {"slot": "03:00", "status": "taken"}}, 422, "body.data.slot"),
    ("clinician", "POST", lambda w: f"/api/v1/patients/{w.a.patient_id}/plans",
     lambda w: {"request": {**taper_body(), "strategy": "cold-turkey"}}, 422,
     "body.request.strategy"),
    ("clinician", "POST", lambda w: f"/api/v1/patients/{w.a.patient_id}/plans",
     lambda w: {"request": {**taper_body(), "max_step": {"value": 100, "unit": "%"}}}, 422,
     None),
    ("clinician", "POST", lambda w: f"/api/v1/patients/{w.a.patient_id}/plans",
     lambda w: {"request": {**taper_body(), "interval": {"value": 2, "unit": "mg"}}}, 422,
     "body.request.interval"),
    ("clinician", "POST", lambda w: f"/api/v1/plans/{w.a.plan_ids[w.a.patient_id]}/versions",
     {"base_version": 1, "kind": "hold", "effective": "2999-01-01", "reason": "x"}, 422,
     "body.effective"),
    ("clinician", "POST", lambda w: f"/api/v1/plans/{w.a.plan_ids[w.a.patient_id]}/versions",
     lambda w: {"base_version": 1, "kind": "slow", "factor": 0.5, "reason": "x",
                "effective": dt.date.today().isoformat()}, 422, "body.factor"),
    ("clinician", "POST", lambda w: f"/api/v1/plans/{w.b.plan_ids[w.b.patient_id]}/versions",
     lambda w: {"base_version": 1, "kind": "hold", "reason": "x",
                "effective": dt.date.today().isoformat()}, 404, "path.plan_id"),
    ("clinician", "POST", lambda w: f"/api/v1/patients/{w.a.patient_id}/instruments",
     {"instrument": "isi", "date": "2026-01-01", "answers": {"1": 9}}, 422, None),
    ("clinician", "POST", lambda w: "/api/v1/score",
     {"instrument": "nope", "answers": {}}, 422, "body.instrument"),
    ("clinician", "PATCH", lambda w: f"/api/v1/patients/{w.a.patient_id}",
     {"version": 1, "record": {"age_years": 500}}, 422, None),
    ("clinician", "GET", lambda w: "/api/v1/nowhere", None, 404, None),
    ("clinician", "DELETE", lambda w: "/api/v1/patients", None, 405, None),
]


@pytest.mark.parametrize("case", BAD, ids=[f"{c[1]} {c[5]} {c[4]}" for c in BAD])
def test_bad_input_is_a_problem_and_changes_nothing(client: TestClient, world: World,
                                                    engine: Engine, case: BadCase) -> None:
    who, method, path, body, status, field = case
    before = _counts(engine)
    if callable(body):
        body = body(world)
    kwargs: dict[str, Any] = {"headers": world.headers(world.a.users[who])}
    if isinstance(body, str):
        kwargs["content"] = body
        kwargs["headers"]["content-type"] = "application/json"
    elif body is not None:
        kwargs["json"] = body
    r = client.request(method, path(world), **kwargs)
    _is_problem(r, status, field)
    assert _counts(engine) == before


def test_app_refuses_to_start_without_a_secret(db_url: str) -> None:
    from benzoplan.api import Settings

    with pytest.raises(InputError, match="SECRET_KEY"):
        create_app(Settings(database_url=db_url, secret_key=None))


def test_computations_in_a_worker_process_answer_like_in_the_server(
        db_url: str, engine: Engine, world: World) -> None:
    """With a compute process (as `benzoplan serve` runs), /taper and /check return the core's
    JSON, and a core error raised in the worker is the same 4xx problem with its field."""
    app = create_app(settings_for(db_url, compute_processes=1))
    headers = world.headers(world.a.users["clinician"])
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.post("/api/v1/taper", json=taper_body(), headers=headers)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/json"
        assert r.json() == plan_json()  # the core's own plan for the same request
        r = c.post("/api/v1/check", json={"patient": RECORD}, headers=headers)
        assert r.status_code == 200, r.text
        assert "findings" in r.json()
        bad = {**taper_body(), "max_step": {"value": 10, "unit": "mL"}}
        _is_problem(c.post("/api/v1/taper", json=bad, headers=headers), 422)
        odd = {**RECORD, "weight": {"value": 70, "unit": "mL"}}
        body = _is_problem(c.post("/api/v1/check", json={"patient": odd}, headers=headers), 422)
        assert body["field"].startswith("body.patient")
        pool = app.state.services.computer
        assert pool.processes == 1 and pool._pool is not None
    assert pool._pool is None  # shut down with the app


def test_admins_read_the_audit_head_and_verify_against_anchors(client: TestClient,
                                                               world: World) -> None:
    h = world.headers(world.a.users["admin"])
    head = client.get("/api/v1/audit/head", headers=h).json()
    assert head["anchor"] == f"{head['seq']}:{head['hash']}"
    r = client.get("/api/v1/audit/verify", params={"anchor": head["anchor"]}, headers=h).json()
    assert r["ok"] is True and r["anchors"] == 1 and r["events"] >= head["seq"]
    forged = f"{head['seq']}:{'0' * 64}"
    r = client.get("/api/v1/audit/verify", params={"anchor": forged}, headers=h).json()
    assert r["ok"] is False and r["first_bad_seq"] == head["seq"]
    _is_problem(client.get("/api/v1/audit/verify", params={"anchor": "nope"}, headers=h), 422,
                "query.anchor")


def test_the_safety_check_checks_the_newest_recorded_regimen(client: TestClient,
                                                             world: World) -> None:
    h = world.headers(world.a.users["clinician"])
    pid = world.a.patient_id
    url = f"/api/v1/patients/{pid}/safety"
    first = client.post(url, json={}, headers=h).json()["result"]
    assert first["checked_regimen"] == {"source": "patient record"}
    codes = {f["code"] for f in first["findings"]}
    assert "dose-above-label-maximum" not in codes  # the record says 1 mg twice daily
    r = client.post(f"/api/v1/patients/{pid}/regimens", headers=h, json={
        "drug": "clonazepam", "schedule": [{"time": "08:00", "dose": {"value": 3, "unit": "mg"}},
                                           {"time": "20:00", "dose": {"value": 3, "unit": "mg"}}]})
    assert r.status_code == 201, r.text
    second = client.post(url, json={}, headers=h).json()["result"]
    assert second["checked_regimen"]["source"] == "recorded regimen"
    assert second["checked_regimen"]["regimen_id"] == r.json()["id"]
    assert "dose-above-label-maximum" in {f["code"] for f in second["findings"]}
    # free-text indication the rules do not know: the record's, for the same drug, is checked
    r = client.post(f"/api/v1/patients/{pid}/regimens", headers=h, json={
        "drug": "clonazepam", "indication": "panic attacks with agoraphobia, per GP letter",
        "schedule": [{"time": "08:00", "dose": {"value": 1, "unit": "mg"}}]})
    assert r.status_code == 201
    third = client.post(url, json={}, headers=h)
    assert third.status_code == 201, third.text
    assert third.json()["result"]["checked_regimen"]["regimen_id"] == r.json()["id"]
    # a regimen of another drug without an indication cannot borrow the record's
    r = client.post(f"/api/v1/patients/{pid}/regimens", headers=h, json={
        "drug": "diazepam", "schedule": [{"time": "08:00", "dose": {"value": 5, "unit": "mg"}}]})
    assert r.status_code == 201
    _is_problem(client.post(url, json={}, headers=h), 422, "record.regimen.indication")


def test_a_recorded_dose_change_extends_the_records_titration_history() -> None:
    from benzoplan.api.routes.safety import record_with_regimen
    from benzoplan.store.models import Regimen

    record = {"age_years": 40, "regimen": {
        "drug": "Klonopin", "indication": "panic-disorder", "start_date": "2019-03-01",
        "schedule": [{"time": "08:00", "dose": "1 mg"}],
        "history": [{"date": "2019-03-01", "daily_dose": "1 mg"}]}}
    reg = Regimen(id="r1", drug="clonazepam", indication=None, start=None,
                  schedule=[{"time": "08:00", "dose": {"value": 1.5, "unit": "mg"}}],
                  created_at=dt.datetime(2026, 11, 1, 9, tzinfo=dt.UTC))
    doc, checked = record_with_regimen(record, reg)
    assert checked["source"] == "recorded regimen"
    regimen = doc["regimen"]
    assert (regimen["indication"], regimen["start_date"]) == ("panic-disorder", "2019-03-01")
    assert regimen["history"][-1] == {"date": "2026-11-01",
                                      "daily_dose": {"value": 1.5, "unit": "mg"}}
    assert doc["age_years"] == 40 and record["regimen"]["drug"] == "Klonopin"  # not mutated
