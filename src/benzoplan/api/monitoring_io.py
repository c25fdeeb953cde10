"""Monitoring over stored data: the patient's plan in force, diary and questionnaire results
go to :func:`benzoplan.monitoring.evaluate`; the alerts it raises are stored once each."""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from benzoplan.errors import BenzoplanError
from benzoplan.monitoring import EMERGENCY, MonitoringResult, PlanView, evaluate, parse_entry
from benzoplan.store import Actor, diary, patients, plans
from benzoplan.store.models import Alert, DiaryEntry, InstrumentResult, Patient

__all__ = ["Evaluation", "entry_doc", "evaluate_patient", "plan_view"]


def entry_doc(e: DiaryEntry) -> dict[str, Any]:
    return {**e.data, "kind": e.kind, "date": e.entry_date.isoformat()}


def _result_doc(r: InstrumentResult) -> dict[str, Any]:
    return {"instrument": r.instrument, "answers": r.answers, "date": r.taken_on.isoformat()}


@dataclass(frozen=True)
class Evaluation:
    result: MonitoringResult
    new_alerts: list[Alert]

    @property
    def emergency(self) -> str | None:
        return EMERGENCY if self.result.urgent else None


_VIEWS: OrderedDict[tuple[str, int], PlanView] = OrderedDict()
_VIEWS_LOCK = threading.Lock()
_VIEWS_MAX = 256


def _view(plan_id: str, version: int, body: dict[str, Any]) -> PlanView:
    """The monitoring view of a plan version. Versions never change, so views are kept (LRU):
    building one parses every dose of the plan."""
    key = (plan_id, version)
    with _VIEWS_LOCK:
        if key in _VIEWS:
            _VIEWS.move_to_end(key)
            return _VIEWS[key]
    view = PlanView.of(body)
    with _VIEWS_LOCK:
        _VIEWS[key] = view
        while len(_VIEWS) > _VIEWS_MAX:
            _VIEWS.popitem(last=False)
    return view


def plan_view(db: Session, actor: Actor,
              patient: Patient) -> tuple[PlanView, dict[str, Any]] | None:
    rec = plans.latest_plan(db, patient)
    if rec is None:
        return None
    v = plans.current_version(db, actor, rec, patient.clinic_id)
    return _view(rec.id, v.version, v.body), v.body


def _usable(view: PlanView, rows: list[DiaryEntry]) -> list[dict[str, Any]]:
    """The stored entries the engine can take: one per kind, day and slot (the latest
    written), and doses only at times the plan schedules that day (or marked extra)."""
    latest: dict[tuple[str, dt.date, str], dict[str, Any]] = {}
    for row in rows:
        doc = entry_doc(row)
        try:
            e = parse_entry(doc)
        except BenzoplanError:
            continue
        if e.kind == "dose" and e.status != "extra" and e.slot not in view.slots_on(e.date):
            continue
        latest[(e.kind, e.date, e.slot_key)] = doc
    return list(latest.values())


def evaluate_patient(db: Session, actor: Actor, patient: Patient, *,
                     today: dt.date) -> Evaluation | None:
    """Evaluate the plan in force; store each alert not raised before. None without a plan."""
    found = plan_view(db, actor, patient)
    if found is None:
        return None
    view, _body = found
    if today < view.start:
        return None
    rows = diary.entries_between(db, actor, patient, since=view.start, until=today,
                                 purpose="monitoring")
    results = patients.instrument_results_between(db, actor, patient, since=view.start,
                                                  until=today, purpose="monitoring")
    result = evaluate(view, _usable(view, rows), [_result_doc(r) for r in results], today=today)
    seen = patients.open_alert_keys(db, patient)
    new: list[Alert] = []
    for a in result.alerts:
        key = (a.code, ",".join(a.entries))
        if key in seen:
            continue
        seen.add(key)
        new.append(patients.add_alert(
            db, actor, patient, level=a.level, code=a.code, why=a.why, action=a.action,
            source=a.source, detail={"rule": a.rule, "entries": list(a.entries),
                                     "assumption": a.assumption,
                                     "plan_version": result.plan_version}))
    return Evaluation(result, new)
