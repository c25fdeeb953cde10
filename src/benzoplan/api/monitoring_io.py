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


def _kept(key: tuple[str, int]) -> PlanView | None:
    with _VIEWS_LOCK:
        view = _VIEWS.get(key)
        if view is not None:
            _VIEWS.move_to_end(key)
        return view


def _keep(key: tuple[str, int], view: PlanView) -> None:
    with _VIEWS_LOCK:
        _VIEWS[key] = view
        while len(_VIEWS) > _VIEWS_MAX:
            _VIEWS.popitem(last=False)


def plan_view(db: Session, actor: Actor, patient: Patient) -> PlanView | None:
    """The monitoring view of the patient's plan in force (None without a plan).

    Versions never change, so views are kept (LRU) by plan and version: building one parses
    every dose of the plan, and a kept view spares loading the version's body at all. The
    read is audited either way."""
    rec = plans.latest_plan(db, patient)
    if rec is None:
        return None
    key = (rec.id, rec.current_version)
    view = _kept(key)
    if view is None:
        v = plans.current_version(db, actor, rec, patient.clinic_id)
        view = PlanView.of(v.body)
        _keep(key, view)
    else:
        plans.note_current_read(db, actor, rec, patient.clinic_id)
    return view


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


def evaluate_patient(db: Session, actor: Actor, patient: Patient, *, today: dt.date,
                     view: PlanView | None = None) -> Evaluation | None:
    """Evaluate the plan in force (``view``, when the caller has just read it); store each
    alert not raised before. None without a plan."""
    view = view or plan_view(db, actor, patient)
    if view is None:
        return None
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
