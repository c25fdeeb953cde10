"""The authorization matrix: every route × every role × own / same-clinic-other / other-clinic
record, with the expected allow or deny.

The routes come from the app's route table: a route without a rule here fails
``test_every_route_has_a_rule``, so no new route can escape the matrix.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from benzoplan.api import create_app
from benzoplan.interop.cds_hooks import cards_for

from .conftest import PASSWORD, RECORD, World, plan_json, settings_for, taper_body

ROLES = ("clinician", "pharmacist", "patient", "admin", "anonymous")
SIGNED_IN = frozenset({"clinician", "pharmacist", "patient", "admin"})
STAFF = frozenset({"clinician", "pharmacist"})
PLAN_READERS = frozenset({"clinician", "pharmacist", "patient"})
ISI_ZERO = {str(n): 0 for n in range(1, 8)}
PUBLIC = SIGNED_IN | {"anonymous"}
Scope = Literal["none", "own", "same-clinic-other", "other-clinic"]
Resource = Literal["patient", "alert", "user", "plan"] | None
_counter = itertools.count()


def _n() -> int:
    return next(_counter)


def _regimen(w: World) -> dict[str, Any]:
    return {"drug": "clonazepam", "schedule": [{"time": "08:00",
                                                "dose": {"value": 1, "unit": "mg"}}]}


_HOOK = Path(__file__).parents[1] / "interop" / "data" / "order-sign.json"
_SIGN = "benzoplan-order-sign"


def _hook(w: World) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_HOOK.read_text())
    return data


def _feedback(w: World) -> dict[str, Any]:
    """Feedback on a card of the hook call above (its rule runs first: rules run sorted), so
    the card was issued to clinic a."""
    card = cards_for(_SIGN, _hook(w), today=dt.datetime.now(dt.UTC).date())["cards"][0]
    return {"feedback": [{"card": card["uuid"], "outcome": "overridden",
                          "outcomeTimestamp": f"2026-11-24T10:{_n() % 60:02d}:00Z"}]}


@dataclass(frozen=True)
class Rule:
    roles: frozenset[str]
    resource: Resource = None
    # who may reach a same-clinic record that is not their own (the patient role may not)
    self_only_roles: frozenset[str] = frozenset({"patient"})
    body: Callable[[World], Any] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    path_params: dict[str, str] = field(default_factory=dict)


RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/health"): Rule(PUBLIC),
    ("POST", "/api/v1/auth/token"): Rule(
        PUBLIC, body=lambda w: {"username": "pharmacist.a", "password": PASSWORD}),
    ("GET", "/api/v1/auth/me"): Rule(SIGNED_IN),
    ("GET", "/api/v1/users"): Rule(frozenset({"admin"})),
    ("POST", "/api/v1/users"): Rule(frozenset({"admin"}), body=lambda w: {
        "username": f"made.{_n()}", "display_name": "Made", "role": "pharmacist",
        "password": "p" * 12}),
    ("GET", "/api/v1/users/{user_id}"): Rule(frozenset({"admin"}), "user"),
    ("PATCH", "/api/v1/users/{user_id}"): Rule(frozenset({"admin"}), "user",
                                               body=lambda w: {"display_name": f"R{_n()}"}),
    ("GET", "/api/v1/patients"): Rule(frozenset({"clinician"})),
    ("POST", "/api/v1/patients"): Rule(frozenset({"clinician"}), body=lambda w: {"name": "N"}),
    ("GET", "/api/v1/patients/{patient_id}"): Rule(frozenset({"clinician"}), "patient"),
    ("PATCH", "/api/v1/patients/{patient_id}"): Rule(
        frozenset({"clinician"}), "patient", body=lambda w: {"version": 1, "name": "M"}),
    ("GET", "/api/v1/patients/{patient_id}/regimens"): Rule(frozenset({"clinician"}),
                                                             "patient"),
    ("POST", "/api/v1/patients/{patient_id}/regimens"): Rule(frozenset({"clinician"}),
                                                              "patient", body=_regimen),
    ("GET", "/api/v1/patients/{patient_id}/diary"): Rule(frozenset({"clinician", "patient"}),
                                                          "patient"),
    ("POST", "/api/v1/patients/{patient_id}/diary"): Rule(
        frozenset({"patient"}), "patient",
        body=lambda w: {"id": f"m{_n()}", "date": dt.date.today().isoformat(),
                        "kind": "symptoms", "data": {"ratings": {"anxiety": 1}}}),
    ("GET", "/api/v1/patients/{patient_id}/alerts"): Rule(frozenset({"clinician"}), "patient"),
    ("POST", "/api/v1/alerts/{alert_id}/acknowledge"): Rule(frozenset({"clinician"}), "alert",
                                                            body=lambda w: {}),
    ("POST", "/api/v1/convert"): Rule(SIGNED_IN, body=lambda w: {
        "dose": {"value": 1, "unit": "mg"}, "drug": "clonazepam", "to": "diazepam"}),
    ("GET", "/api/v1/audit/verify"): Rule(frozenset({"admin"})),
    ("GET", "/api/v1/audit/head"): Rule(frozenset({"admin"})),
    ("GET", "/fhir/Patient/{patient_id}/$everything"): Rule(frozenset({"clinician"}),
                                                             "patient"),
    ("GET", "/cds-services"): Rule(frozenset({"clinician", "pharmacist"})),
    ("POST", "/cds-services/{service_id}"): Rule(frozenset({"clinician", "pharmacist"}),
                                                 body=_hook, path_params={"service_id": _SIGN}),
    ("POST", "/cds-services/{service_id}/feedback"): Rule(
        frozenset({"clinician", "pharmacist"}), body=_feedback,
        path_params={"service_id": _SIGN}),
    ("GET", "/api/v1/plans"): Rule(STAFF),
    ("GET", "/api/v1/patients/{patient_id}/plans"): Rule(PLAN_READERS, "patient"),
    ("POST", "/api/v1/patients/{patient_id}/plans"): Rule(
        frozenset({"clinician"}), "patient", body=lambda w: {"request": taper_body()}),
    ("GET", "/api/v1/plans/{plan_id}"): Rule(PLAN_READERS, "plan"),
    ("GET", "/api/v1/plans/{plan_id}/versions"): Rule(PLAN_READERS, "plan"),
    ("GET", "/api/v1/plans/{plan_id}/versions/{version}"): Rule(PLAN_READERS, "plan"),
    ("GET", "/api/v1/plans/{plan_id}/dispensing"): Rule(PLAN_READERS, "plan"),
    ("POST", "/api/v1/plans/{plan_id}/versions"): Rule(
        frozenset({"clinician"}), "plan", body=lambda w: {
            "base_version": 1, "kind": "hold", "days": 7, "reason": "withdrawal rising",
            "effective": (dt.date.today() + dt.timedelta(days=20)).isoformat()}),
    ("POST", "/api/v1/patients/{patient_id}/safety"): Rule(frozenset({"clinician"}), "patient",
                                                           body=lambda w: {}),
    ("GET", "/api/v1/patients/{patient_id}/safety"): Rule(frozenset({"clinician"}), "patient"),
    ("GET", "/api/v1/patients/{patient_id}/safety/latest"): Rule(frozenset({"clinician"}),
                                                                  "patient"),
    ("POST", "/api/v1/patients/{patient_id}/instruments"): Rule(
        frozenset({"clinician"}), "patient", body=lambda w: {
            "instrument": "isi", "date": dt.date.today().isoformat(), "answers": ISI_ZERO}),
    ("GET", "/api/v1/patients/{patient_id}/instruments"): Rule(frozenset({"clinician"}),
                                                                "patient"),
    ("POST", "/api/v1/patients/{patient_id}/monitor"): Rule(frozenset({"clinician"}),
                                                             "patient", body=lambda w: None),
    ("POST", "/api/v1/simulate"): Rule(SIGNED_IN, body=lambda w: {
        "drug": "clonazepam", "dose": {"value": 0.5, "unit": "mg"}, "at": ["22:00"]}),
    ("POST", "/api/v1/taper"): Rule(SIGNED_IN, body=lambda w: taper_body()),
    ("POST", "/api/v1/check"): Rule(SIGNED_IN, body=lambda w: {"patient": RECORD}),
    ("POST", "/api/v1/score"): Rule(SIGNED_IN, body=lambda w: {"instrument": "isi",
                                                                "answers": ISI_ZERO}),
    ("GET", "/api/v1/instruments"): Rule(SIGNED_IN),
    ("POST", "/api/v1/monitor"): Rule(SIGNED_IN, body=lambda w: {
        "plan": plan_json(), "diary": []}),
}


def route_table(tmp: Path) -> set[tuple[str, str]]:
    app = create_app(settings_for(f"sqlite:///{tmp / 'routes.db'}"))
    out: set[tuple[str, str]] = set()
    for ctx in iter_route_contexts(app.routes):
        route = ctx.original_route
        if isinstance(route, APIRoute):
            assert ctx.path is not None
            for m in route.methods:
                out.add((m, ctx.path))
    return out


def test_every_route_has_a_rule(tmp_path: Path) -> None:
    routes = route_table(tmp_path)
    missing = sorted(routes - set(RULES))
    stale = sorted(set(RULES) - routes)
    assert not missing, f"routes without an authorization rule: {missing}"
    assert not stale, f"rules for routes that no longer exist: {stale}"


def _ids(w: World, resource: Resource, scope: Scope, used: dict[str, int]) -> dict[str, str]:
    if resource is None:
        return {}
    if resource == "patient":
        pid = {"own": w.a.patient_id, "same-clinic-other": w.a.other_patient_id,
               "other-clinic": w.b.patient_id}[scope]
        return {"patient_id": pid}
    if resource == "alert":
        # a fresh alert per call, so an allowed acknowledgement never meets an earlier one
        k = used.setdefault(scope, 0)
        used[scope] = k + 1
        aid = {"own": w.a.alert_ids[k], "same-clinic-other": w.a.alert_ids[5 + k],
               "other-clinic": w.b.alert_ids[k]}[scope]
        return {"alert_id": aid}
    if resource == "user":
        uid = {"own": w.a.users["pharmacist"].id,
               "same-clinic-other": (w.a.other_patient_user.id if w.a.other_patient_user
                                     else ""),
               "other-clinic": w.b.users["pharmacist"].id}[scope]
        return {"user_id": uid}
    if resource == "plan":
        pid = {"own": w.a.patient_id, "same-clinic-other": w.a.other_patient_id,
               "other-clinic": w.b.patient_id}[scope]
        return {"plan_id": w.plan_ids_all[pid], "version": "1"}
    raise AssertionError(resource)


def expected_allowed(rule: Rule, role: str, scope: Scope) -> bool:
    if role not in rule.roles:
        return False
    if scope == "other-clinic":
        return False
    return not (scope == "same-clinic-other" and role in rule.self_only_roles
                and rule.resource in ("patient", "plan"))


def test_authorization_matrix(client: TestClient, world: World) -> None:
    actors = {role: world.a.users.get(role) for role in ROLES}
    wrong: list[str] = []
    counted = 0
    for (method, path), rule in sorted(RULES.items()):
        scopes: tuple[Scope, ...] = (("none",) if rule.resource is None
                                     else ("own", "same-clinic-other", "other-clinic"))
        used: dict[str, int] = {}
        for role in ROLES:
            for scope in scopes:
                url = path.format(**rule.path_params,
                                  **_ids(world, rule.resource, scope, used))
                headers = world.headers(actors[role])
                kwargs: dict[str, Any] = {"headers": headers, "params": rule.params}
                if rule.body is not None:
                    kwargs["json"] = rule.body(world)
                r = client.request(method, url, **kwargs)
                counted += 1
                allow = expected_allowed(rule, role, scope)
                ok = (200 <= r.status_code < 300) if allow else (
                    r.status_code == 401 if role == "anonymous" and rule.roles != PUBLIC
                    else r.status_code in (403, 404))
                if ok and not allow:
                    ok = r.headers["content-type"].startswith("application/problem+json")
                if not ok:
                    wrong.append(f"{method} {path} as {role} ({scope}): expected "
                                 f"{'allow' if allow else 'deny'}, got {r.status_code} "
                                 f"{r.text[:160]}")
    assert counted >= 5 * len(RULES)
    assert not wrong, "\n".join(wrong)
