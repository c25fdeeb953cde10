"""Patients and what is recorded about them: regimens, safety checks, instrument results, alerts.

Every function that reads or writes patient data records an audit event.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from benzoplan.errors import Conflict, NotFound
from benzoplan.store import audit
from benzoplan.store.common import Actor, Page, paginate
from benzoplan.store.models import (
    Alert,
    InstrumentResult,
    Patient,
    Regimen,
    SafetyCheck,
    utcnow,
)

__all__ = [
    "acknowledge_alert",
    "add_alert",
    "add_instrument_result",
    "add_regimen",
    "add_safety_check",
    "create_patient",
    "get_alert",
    "get_patient",
    "instrument_results_between",
    "latest_safety_check",
    "list_alerts",
    "list_instrument_results",
    "list_patients",
    "list_regimens",
    "list_safety_checks",
    "load_patient",
    "open_alert_keys",
    "update_patient",
]


def _audit(session: Session, actor: Actor, action: audit.Action, entity: str,
           entity_id: str | None, patient: Patient | str, **detail: Any) -> None:
    pid = patient if isinstance(patient, str) else patient.id
    clinic = actor.clinic_id if isinstance(patient, str) else patient.clinic_id
    audit.record(session, actor_id=actor.id, action=action, entity=entity, entity_id=entity_id,
                 patient_id=pid, clinic_id=clinic, detail=detail)


def create_patient(session: Session, actor: Actor, *, name: str, birth_date: date | None,
                   sex: str | None, record: dict[str, Any]) -> Patient:
    p = Patient(clinic_id=actor.clinic_id, name=name, birth_date=birth_date, sex=sex,
                record=record)
    session.add(p)
    session.flush()
    _audit(session, actor, "create", "patient", p.id, p)
    return p


def load_patient(session: Session, patient_id: str) -> Patient:
    """The patient row without an audit event (for access checks); NotFound if absent."""
    p = session.get(Patient, patient_id)
    if p is None:
        raise NotFound(f"no patient {patient_id}", field="patient_id")
    return p


def get_patient(session: Session, actor: Actor, patient: Patient) -> Patient:
    """Record that ``actor`` read ``patient`` and return it."""
    _audit(session, actor, "read", "patient", patient.id, patient)
    return patient


def list_patients(session: Session, actor: Actor, *, limit: int, offset: int,
                  name: str | None = None) -> Page[Patient]:
    stmt = select(Patient).where(Patient.clinic_id == actor.clinic_id)
    if name:
        stmt = stmt.where(Patient.name.ilike(f"%{name}%"))
    page = paginate(session, stmt.order_by(Patient.name, Patient.id), limit=limit, offset=offset)
    for p in page.items:
        _audit(session, actor, "read", "patient", p.id, p, via="list")
    return page


def update_patient(session: Session, actor: Actor, patient: Patient, *, expected_version: int,
                   changes: dict[str, Any]) -> Patient:
    """Apply ``changes`` if the stored version is still ``expected_version``, else Conflict."""
    values = {k: v for k, v in changes.items() if k in ("name", "birth_date", "sex", "record")}
    result = session.execute(
        update(Patient)
        .where(Patient.id == patient.id, Patient.version == expected_version)
        .values(version=expected_version + 1, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(f"patient {patient.id} was changed by someone else (now version "
                       f"{patient.version}, you sent {expected_version}); reload and retry",
                       field="version")
    session.refresh(patient)
    _audit(session, actor, "update", "patient", patient.id, patient, fields=sorted(values))
    return patient


def add_regimen(session: Session, actor: Actor, patient: Patient, *, drug: str,
                schedule: list[dict[str, Any]], indication: str | None,
                start: date | None) -> Regimen:
    r = Regimen(patient_id=patient.id, drug=drug, schedule=schedule, indication=indication,
                start=start, created_by=actor.id)
    session.add(r)
    session.flush()
    _audit(session, actor, "create", "regimen", r.id, patient)
    return r


def list_regimens(session: Session, actor: Actor, patient: Patient, *, limit: int,
                  offset: int) -> Page[Regimen]:
    stmt = (select(Regimen).where(Regimen.patient_id == patient.id)
            .order_by(Regimen.created_at.desc(), Regimen.id))
    page = paginate(session, stmt, limit=limit, offset=offset)
    _audit(session, actor, "read", "regimen", None, patient, count=len(page.items))
    return page


def current_regimen(session: Session, actor: Actor, patient: Patient) -> Regimen | None:
    """The newest active recorded regimen (audited as a read), or None."""
    r = session.scalar(select(Regimen).where(Regimen.patient_id == patient.id,
                                             Regimen.active.is_(True))
                       .order_by(Regimen.created_at.desc(), Regimen.id).limit(1))
    if r is not None:
        _audit(session, actor, "read", "regimen", r.id, patient, purpose="safety check")
    return r


def add_safety_check(session: Session, actor: Actor, patient: Patient,
                     result: dict[str, Any]) -> SafetyCheck:
    c = SafetyCheck(patient_id=patient.id, result=result, created_by=actor.id)
    session.add(c)
    session.flush()
    _audit(session, actor, "create", "safety_check", c.id, patient)
    return c


def list_safety_checks(session: Session, actor: Actor, patient: Patient, *, limit: int,
                       offset: int) -> Page[SafetyCheck]:
    stmt = (select(SafetyCheck).where(SafetyCheck.patient_id == patient.id)
            .order_by(SafetyCheck.created_at.desc(), SafetyCheck.id))
    page = paginate(session, stmt, limit=limit, offset=offset)
    _audit(session, actor, "read", "safety_check", None, patient, count=len(page.items))
    return page


def add_instrument_result(session: Session, actor: Actor, patient: Patient, *, instrument: str,
                          taken_on: date, answers: dict[str, Any],
                          score: dict[str, Any]) -> InstrumentResult:
    r = InstrumentResult(patient_id=patient.id, instrument=instrument, taken_on=taken_on,
                         answers=answers, score=score, created_by=actor.id)
    session.add(r)
    session.flush()
    _audit(session, actor, "create", "instrument_result", r.id, patient, instrument=instrument)
    return r


def list_instrument_results(session: Session, actor: Actor, patient: Patient, *, limit: int,
                            offset: int) -> Page[InstrumentResult]:
    stmt = (select(InstrumentResult).where(InstrumentResult.patient_id == patient.id)
            .order_by(InstrumentResult.taken_on.desc(), InstrumentResult.created_at.desc(),
                      InstrumentResult.id))
    page = paginate(session, stmt, limit=limit, offset=offset)
    _audit(session, actor, "read", "instrument_result", None, patient, count=len(page.items))
    return page


def add_alert(session: Session, actor: Actor, patient: Patient, *, level: str, code: str,
              why: str, action: str, source: str | None,
              detail: dict[str, Any] | None = None) -> Alert:
    a = Alert(patient_id=patient.id, level=level, code=code, why=why, action=action,
              source=source, detail=detail or {})
    session.add(a)
    session.flush()
    _audit(session, actor, "create", "alert", a.id, patient, level=level, code=code)
    return a


def get_alert(session: Session, alert_id: str) -> Alert:
    a = session.get(Alert, alert_id)
    if a is None:
        raise NotFound(f"no alert {alert_id}", field="alert_id")
    return a


def list_alerts(session: Session, actor: Actor, patient: Patient, *, limit: int, offset: int,
                open_only: bool = False) -> Page[Alert]:
    stmt = select(Alert).where(Alert.patient_id == patient.id)
    if open_only:
        stmt = stmt.where(Alert.acknowledged_at.is_(None))
    page = paginate(session, stmt.order_by(Alert.created_at.desc(), Alert.id),
                    limit=limit, offset=offset)
    _audit(session, actor, "read", "alert", None, patient, count=len(page.items))
    return page


def acknowledge_alert(session: Session, actor: Actor, patient: Patient, alert: Alert,
                      note: str | None) -> Alert:
    result = session.execute(
        update(Alert)
        .where(Alert.id == alert.id, Alert.acknowledged_at.is_(None))
        .values(acknowledged_at=utcnow(), acknowledged_by=actor.id, acknowledgement_note=note)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(f"alert {alert.id} was already acknowledged", field="alert_id")
    session.refresh(alert)
    _audit(session, actor, "update", "alert", alert.id, patient, acknowledged=True)
    return alert


def instrument_results_between(session: Session, actor: Actor, patient: Patient, *,
                               since: date, until: date,
                               purpose: str) -> list[InstrumentResult]:
    rows = session.scalars(
        select(InstrumentResult)
        .where(InstrumentResult.patient_id == patient.id, InstrumentResult.taken_on >= since,
               InstrumentResult.taken_on <= until)
        .order_by(InstrumentResult.taken_on, InstrumentResult.created_at)
    ).all()
    _audit(session, actor, "read", "instrument_result", None, patient, count=len(rows),
           purpose=purpose)
    return list(rows)


def open_alert_keys(session: Session, patient: Patient) -> set[tuple[str, str]]:
    """(code, entries) of the patient's alerts, so an evaluation does not raise one twice."""
    rows = session.execute(select(Alert.code, Alert.detail)
                           .where(Alert.patient_id == patient.id)).all()
    return {(code, ",".join(detail.get("entries", []))) for code, detail in rows}


def latest_safety_check(session: Session, actor: Actor, patient: Patient) -> SafetyCheck:
    c = session.scalar(select(SafetyCheck).where(SafetyCheck.patient_id == patient.id)
                       .order_by(SafetyCheck.created_at.desc(), SafetyCheck.id).limit(1))
    if c is None:
        raise NotFound(f"patient {patient.id} has no safety check yet", field="patient_id")
    _audit(session, actor, "read", "safety_check", c.id, patient)
    return c
