"""HTTP: FHIR ``$everything`` and CDS Hooks 2.0 (discovery, order-select / order-sign with
real hook requests and FHIR R4 prefetch, feedback stored), on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from benzoplan.instruments import score
from benzoplan.interop.cds_hooks import override_reasons
from benzoplan.safety import PatientRecord, check
from benzoplan.store import Actor, Base, make_sessionmaker
from benzoplan.store.cds import CdsCard, CdsFeedback
from benzoplan.store.models import AuditEvent, Patient
from benzoplan.store.patients import add_instrument_result, add_regimen, add_safety_check
from benzoplan.store.plans import create_plan
from benzoplan.taper import ScheduledDose, TaperRequest, plan_taper
from benzoplan.units import Dose

from .conftest import World

HOOKS = Path(__file__).parents[1] / "interop" / "data"
SIGN, SELECT = "benzoplan-order-sign", "benzoplan-order-select"


def hook(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((HOOKS / f"{name}.json").read_text())
    return data


def problem(r: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert body["status"] == status and body["detail"]
    if field is not None:
        assert body.get("field") == field, body
    return body


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in Base.metadata.sorted_tables}


# ---------------------------------------------------------------- FHIR $everything


def seed(engine: Engine, world: World) -> None:
    """Regimen, taper plan, safety check and a PHQ-9 result for clinic a's patient."""
    doc = Actor(world.a.users["clinician"].id, "clinician", world.a.clinic_id)
    with make_sessionmaker(engine)() as s:
        p = s.get(Patient, world.a.patient_id)
        assert p is not None
        p.birth_date, p.sex = dt.date(1970, 5, 1), "female"
        sched = [{"time": "08:00", "dose": {"value": 1, "unit": "mg"}},
                 {"time": "20:00", "dose": {"value": 1, "unit": "mg"}}]
        add_regimen(s, doc, p, drug="clonazepam", schedule=sched, indication="panic disorder",
                    start=dt.date(2019, 3, 1))
        add_regimen(s, doc, p, drug="clonazepam", schedule=sched, indication="nerves",
                    start=None)
        plan = plan_taper(TaperRequest(drug="clonazepam", start=dt.date(2026, 12, 1), doses=(
            ScheduledDose(dt.time(8), Dose("1 mg")), ScheduledDose(dt.time(20), Dose("1 mg")))))
        create_plan(s, doc, p, plan.to_json(), "initial plan")
        rec = PatientRecord.from_json({
            "age_years": 56, "sex": "female", "medicines": ["oxycodone 5 mg"],
            "regimen": {"drug": "clonazepam", "indication": "panic-disorder",
                        "start_date": "2019-03-01", "schedule": sched}})
        add_safety_check(s, doc, p, check(rec, today=dt.date(2026, 11, 24)).to_json())
        answers = {str(i + 1): v for i, v in enumerate([2, 1, 3, 2, 0, 1, 0, 2, 0])}
        add_instrument_result(s, doc, p, instrument="phq-9", taken_on=dt.date(2026, 11, 20),
                              answers=answers, score=score("phq-9", answers).to_json())
        s.commit()


def test_everything_bundle(client: TestClient, world: World, engine: Engine) -> None:
    seed(engine, world)
    before = counts(engine)["audit_events"]
    pid = world.a.patient_id
    r = client.get(f"/fhir/Patient/{pid}/$everything",
                   headers=world.headers(world.a.users["clinician"]))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/fhir+json")
    bundle = Bundle.model_validate_json(r.text)  # validates with the R4B models
    assert bundle.type == "searchset" and bundle.total == len(bundle.entry)
    kinds = [type(e.resource).__name__ for e in bundle.entry]
    assert kinds[0] == "Patient" and bundle.entry[0].resource.id == pid
    assert kinds.count("CarePlan") == 2  # the world's plan and the one seeded here
    assert {"MedicationRequest", "DetectedIssue", "QuestionnaireResponse",
            "Observation"} <= set(kinds)
    for e in bundle.entry:
        assert str(e.fullUrl).endswith(f"/fhir/{type(e.resource).__name__}/{e.resource.id}")
        if type(e.resource).__name__ != "Patient":  # every other resource is about them
            assert f'"Patient/{pid}"' in e.resource.model_dump_json()
    regimens = [e.resource for e in bundle.entry if type(e.resource).__name__ ==
                "MedicationRequest" and e.resource.intent == "order"]
    assert len(regimens) == 2
    assert {r.reasonCode[0].text for r in regimens if r.reasonCode} == {"panic-disorder"}
    # the read is audit-logged, with the patient it concerns
    with make_sessionmaker(engine)() as s:
        last = s.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert counts(engine)["audit_events"] == before + 1
    assert last is not None and last.action == "read" and last.patient_id == pid
    assert last.detail["via"] == "fhir/$everything"


@pytest.mark.parametrize(("who", "status"), [
    ("pharmacist", 403), ("admin", 403), ("patient", 403), (None, 401)])
def test_everything_is_for_the_clinic_clinician(client: TestClient, world: World, who: str | None,
                                               status: int) -> None:
    user = world.a.users[who] if who else None
    r = client.get(f"/fhir/Patient/{world.a.patient_id}/$everything",
                   headers=world.headers(user))
    problem(r, status)


def test_everything_of_another_clinic_is_not_found(client: TestClient, world: World) -> None:
    r = client.get(f"/fhir/Patient/{world.b.patient_id}/$everything",
                   headers=world.headers(world.a.users["clinician"]))
    problem(r, 404, "path.patient_id")


# ---------------------------------------------------------------- CDS Hooks


def test_discovery(client: TestClient, world: World) -> None:
    r = client.get("/cds-services", headers=world.headers(world.a.users["clinician"]))
    assert r.status_code == 200
    services = {s["id"]: s for s in r.json()["services"]}
    assert services[SIGN]["hook"] == "order-sign"
    assert services[SELECT]["hook"] == "order-select"
    assert services[SIGN]["prefetch"]["patient"] == "Patient/{{context.patientId}}"
    problem(client.get("/cds-services"), 401)
    problem(client.get("/cds-services", headers=world.headers(world.a.users["patient"])), 403)


@pytest.mark.parametrize(("service", "name"), [(SIGN, "order-sign"), (SELECT, "order-select")])
def test_hook_call_returns_cards_and_records_them(client: TestClient, world: World,
                                                  engine: Engine, service: str,
                                                  name: str) -> None:
    h = world.headers(world.a.users["clinician"])
    r = client.post(f"/cds-services/{service}", json=hook(name), headers=h)
    assert r.status_code == 200, r.text
    cards = r.json()["cards"]
    assert cards and all(len(c["summary"]) < 140 and c["source"]["label"] for c in cards)
    assert {c["indicator"] for c in cards} <= {"info", "warning", "critical"}
    with make_sessionmaker(engine)() as s:
        stored = {c.card_uuid for c in s.scalars(select(CdsCard))}
    assert stored == {c["uuid"] for c in cards}
    # the client repeats the call: same cards, nothing recorded twice
    again = client.post(f"/cds-services/{service}", json=hook(name), headers=h)
    assert again.json() == r.json()
    assert counts(engine)["cds_cards"] == len(cards)


def _cards(client: TestClient, world: World) -> list[dict[str, Any]]:
    r = client.post(f"/cds-services/{SIGN}", json=hook("order-sign"),
                    headers=world.headers(world.a.users["clinician"]))
    out: list[dict[str, Any]] = r.json()["cards"]
    return out


def test_feedback_is_stored(client: TestClient, world: World, engine: Engine) -> None:
    cards = _cards(client, world)
    with_suggestion = next(c for c in cards if c.get("suggestions"))
    overridable = next(c for c in cards if c.get("overrideReasons"))
    reason = overridable["overrideReasons"][0]
    body = {"feedback": [
        {"card": with_suggestion["uuid"], "outcome": "accepted",
         "acceptedSuggestions": [{"id": with_suggestion["suggestions"][0]["uuid"]}],
         "outcomeTimestamp": "2026-11-24T10:05:31Z"},
        {"card": overridable["uuid"], "outcome": "overridden",
         "overrideReason": {"reason": {"system": reason["system"], "code": reason["code"]},
                            "userComment": "Discussed; taper agreed for next week."},
         "outcomeTimestamp": "2026-11-24T10:06:00Z"},
    ]}
    h = world.headers(world.a.users["pharmacist"])
    r = client.post(f"/cds-services/{SIGN}/feedback", json=body, headers=h)
    assert r.status_code == 200, r.text
    assert r.json() == {"stored": 2, "duplicates": 0}
    r = client.post(f"/cds-services/{SIGN}/feedback", json=body, headers=h)  # a retry
    assert r.json() == {"stored": 0, "duplicates": 2}
    with make_sessionmaker(engine)() as s:
        rows = {f.outcome: f for f in s.scalars(select(CdsFeedback))}
        assert set(rows) == {"accepted", "overridden"}
        o = rows["overridden"]
        assert (o.reason_code, o.reason_display) == (reason["code"], reason["display"])
        assert o.user_comment == "Discussed; taper agreed for next week."
        assert o.outcome_at == dt.datetime(2026, 11, 24, 10, 6, tzinfo=dt.UTC)
        assert rows["accepted"].accepted_suggestions == [
            with_suggestion["suggestions"][0]["uuid"]]
        assert o.clinic_id == world.a.clinic_id
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.entity == "cds_feedback")) == 2


def _session(engine: Engine) -> Session:
    return make_sessionmaker(engine)()


@pytest.mark.parametrize("case", [
    "bad-json", "not-object", "wrong-hook", "no-context", "bad-prefetch", "no-patient-prefetch",
    "unknown-service", "long-hook-instance", "long-patient-id", "feedback-unknown-card",
    "feedback-other-clinic",
    "feedback-bad-suggestion", "feedback-bad-reason", "feedback-no-timestamp",
    "feedback-unknown-field"])
def test_bad_input_is_a_problem_and_changes_nothing(client: TestClient, world: World,
                                                    engine: Engine, case: str) -> None:
    cards = _cards(client, world)
    card = next(c for c in cards if c.get("suggestions"))
    ok = {"card": card["uuid"], "outcome": "accepted",
          "acceptedSuggestions": [{"id": card["suggestions"][0]["uuid"]}],
          "outcomeTimestamp": "2026-11-24T10:05:31Z"}
    req = hook("order-sign")
    h = world.headers(world.a.users["clinician"])
    url, kwargs, status, field = f"/cds-services/{SIGN}", {"json": req}, 422, None
    if case == "bad-json":
        kwargs = {"content": b"{not json", "headers": h | {"content-type": "application/json"}}
    elif case == "not-object":
        kwargs = {"json": [req]}
    elif case == "wrong-hook":
        kwargs, field = {"json": req | {"hook": "patient-view"}}, "hook"
    elif case == "no-context":
        kwargs, field = {"json": {k: v for k, v in req.items() if k != "context"}}, "context"
    elif case == "bad-prefetch":
        bad = copy.deepcopy(req)
        bad["prefetch"]["patient"]["birthDate"] = "not a date"
        kwargs, field = {"json": bad}, "prefetch.patient"
    elif case == "no-patient-prefetch":
        bad = copy.deepcopy(req)
        del bad["prefetch"]["patient"]
        kwargs, status, field = {"json": bad}, 412, "prefetch.patient"
    elif case == "long-hook-instance":
        kwargs, field = {"json": req | {"hookInstance": "x" * 101}}, "hookInstance"
    elif case == "long-patient-id":
        bad = copy.deepcopy(req)
        bad["context"]["patientId"] = "p" * 201
        kwargs, field = {"json": bad}, "context.patientId"
    elif case == "unknown-service":
        url, status, field = "/cds-services/nope", 404, "path.service_id"
    else:
        url = f"/cds-services/{SIGN}/feedback"
        item = dict(ok)
        if case == "feedback-unknown-card":
            item["card"], status, field = "0b3a4c1e-0000-4000-8000-000000000000", 404, \
                "feedback[0].card"
        elif case == "feedback-other-clinic":
            h = world.headers(world.b.users["clinician"])
            status, field = 404, "feedback[0].card"
        elif case == "feedback-bad-suggestion":
            item["acceptedSuggestions"], field = [{"id": "not-offered"}], \
                "feedback[0].acceptedSuggestions"
        elif case == "feedback-bad-reason":
            item = {"card": card["uuid"], "outcome": "overridden",
                    "outcomeTimestamp": "2026-11-24T10:05:31Z",
                    "overrideReason": {"reason": {"system": override_reasons()[0]["system"],
                                                  "code": "because"}}}
            field = "feedback[0].overrideReason.reason.code"
        elif case == "feedback-no-timestamp":
            del item["outcomeTimestamp"]
            field = "feedback[0].outcomeTimestamp"
        elif case == "feedback-unknown-field":
            item["colour"], field = "red", "feedback[0].colour"
        kwargs = {"json": {"feedback": [item]}}
    kwargs.setdefault("headers", h)
    before = counts(engine)
    r = client.post(url, **kwargs)
    problem(r, status, field)
    assert counts(engine) == before


def test_concurrent_repeats_store_each_card_and_feedback_once(engine: Engine,
                                                                world: World) -> None:
    """Eight sessions record the same hook call's cards and the same feedback at once: every
    one succeeds, nothing is stored twice."""
    from concurrent.futures import ThreadPoolExecutor

    from benzoplan.interop.cds_hooks import cards_for, parse_feedback
    from benzoplan.store.cds import record_cards, store_feedback

    doc = Actor(world.a.users["clinician"].id, "clinician", world.a.clinic_id)
    req = hook("order-sign")
    cards = cards_for(SIGN, req, today=dt.date(2026, 11, 24))["cards"]
    items = parse_feedback(SIGN, {"feedback": [
        {"card": cards[0]["uuid"], "outcome": "overridden",
         "outcomeTimestamp": "2026-11-24T10:06:00Z"}]})
    sessions = make_sessionmaker(engine)

    def cards_call(_: int) -> int:
        with sessions() as s:
            n = record_cards(s, doc, service_id=SIGN, hook_instance=req["hookInstance"],
                             context_patient="1288992", cards=cards)
            s.commit()
            return n

    def feedback_call(_: int) -> tuple[int, int]:
        with sessions() as s:
            out = store_feedback(s, doc, SIGN, items)
            s.commit()
            return out

    with ThreadPoolExecutor(8) as pool:
        assert sum(pool.map(cards_call, range(8))) == len(cards)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(feedback_call, range(8)))
    assert sum(s for s, _ in results) == 1 and sum(d for _, d in results) == 7
    assert counts(engine)["cds_cards"] == len(cards)
    assert counts(engine)["cds_feedback"] == 1
