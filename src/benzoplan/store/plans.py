"""Taper plans with immutable versions.

A plan's content is the taper engine's JSON form (``TaperPlan.to_json()``); each change adds a
new :class:`PlanVersion` row (who, when, why and the diff from the previous version) and never
touches an old one. A change names the version it was based on: if another change landed first,
the conditional update of the plan's head fails and the caller gets a :class:`Conflict` — two
racing updates yield two versions or a 409, never a lost update.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from benzoplan.errors import Conflict, NotFound
from benzoplan.store import audit
from benzoplan.store.common import Actor, Page, json_diff, paginate
from benzoplan.store.models import Patient, PlanVersion, TaperPlanRecord, utcnow

__all__ = [
    "add_version",
    "create_plan",
    "current_version",
    "get_version",
    "latest_plan",
    "list_clinic_plans",
    "list_plans",
    "list_versions",
    "load_plan",
]


def _audit(session: Session, actor: Actor, action: audit.Action, plan: TaperPlanRecord,
           clinic_id: str, **detail: Any) -> None:
    audit.record(session, actor_id=actor.id, action=action, entity="taper_plan",
                 entity_id=plan.id, patient_id=plan.patient_id, clinic_id=clinic_id,
                 detail=detail)


def create_plan(session: Session, actor: Actor, patient: Patient, body: dict[str, Any],
                reason: str) -> tuple[TaperPlanRecord, PlanVersion]:
    plan = TaperPlanRecord(patient_id=patient.id, current_version=1, created_by=actor.id)
    session.add(plan)
    session.flush()
    v = PlanVersion(plan_id=plan.id, version=1, body=body, reason=reason, diff=[],
                    author_id=actor.id)
    session.add(v)
    session.flush()
    _audit(session, actor, "create", plan, patient.clinic_id, version=1)
    return plan, v


def latest_plan(session: Session, patient: Patient) -> TaperPlanRecord | None:
    """The patient's most recently created plan (the one in force), without an audit event."""
    return session.scalar(select(TaperPlanRecord).where(TaperPlanRecord.patient_id == patient.id)
                          .order_by(TaperPlanRecord.created_at.desc(), TaperPlanRecord.id)
                          .limit(1))


def load_plan(session: Session, plan_id: str) -> TaperPlanRecord:
    """The plan row without an audit event (for access checks); NotFound if absent."""
    plan = session.get(TaperPlanRecord, plan_id)
    if plan is None:
        raise NotFound(f"no taper plan {plan_id}", field="plan_id")
    return plan


def _version(session: Session, plan_id: str, version: int) -> PlanVersion:
    v = session.scalar(select(PlanVersion).where(PlanVersion.plan_id == plan_id,
                                                 PlanVersion.version == version))
    if v is None:
        raise NotFound(f"taper plan {plan_id} has no version {version}", field="version")
    return v


def current_version(session: Session, actor: Actor, plan: TaperPlanRecord,
                    clinic_id: str) -> PlanVersion:
    v = _version(session, plan.id, plan.current_version)
    _audit(session, actor, "read", plan, clinic_id, version=v.version)
    return v


def note_current_read(session: Session, actor: Actor, plan: TaperPlanRecord,
                      clinic_id: str) -> None:
    """Record a read of the current version whose body the caller already holds (versions
    never change, so a kept copy is the stored one)."""
    _audit(session, actor, "read", plan, clinic_id, version=plan.current_version)


def get_version(session: Session, actor: Actor, plan: TaperPlanRecord, clinic_id: str,
                version: int) -> PlanVersion:
    v = _version(session, plan.id, version)
    _audit(session, actor, "read", plan, clinic_id, version=version)
    return v


def list_versions(session: Session, actor: Actor, plan: TaperPlanRecord, clinic_id: str, *,
                  limit: int, offset: int) -> Page[PlanVersion]:
    stmt = select(PlanVersion).where(PlanVersion.plan_id == plan.id).order_by(PlanVersion.version)
    page = paginate(session, stmt, limit=limit, offset=offset)
    _audit(session, actor, "read", plan, clinic_id, versions=[v.version for v in page.items])
    return page


def list_plans(session: Session, actor: Actor, patient: Patient, *, limit: int,
               offset: int) -> Page[TaperPlanRecord]:
    stmt = (select(TaperPlanRecord).where(TaperPlanRecord.patient_id == patient.id)
            .order_by(TaperPlanRecord.created_at.desc(), TaperPlanRecord.id))
    page = paginate(session, stmt, limit=limit, offset=offset)
    for p in page.items:
        _audit(session, actor, "read", p, patient.clinic_id, via="list")
    return page


def list_clinic_plans(session: Session, actor: Actor, *, limit: int,
                      offset: int) -> Page[TaperPlanRecord]:
    stmt = (select(TaperPlanRecord).join(Patient, Patient.id == TaperPlanRecord.patient_id)
            .where(Patient.clinic_id == actor.clinic_id)
            .order_by(TaperPlanRecord.updated_at.desc(), TaperPlanRecord.id))
    page = paginate(session, stmt, limit=limit, offset=offset)
    for p in page.items:
        _audit(session, actor, "read", p, actor.clinic_id, via="list")
    return page


def patient_identifiers(session: Session, patient_ids: set[str]
                        ) -> dict[str, tuple[str, date | None]]:
    """Name and birth date of the patients whose plans were just listed (their reads are
    audited with the plans): the two identifiers a pharmacist checks before dispensing."""
    if not patient_ids:
        return {}
    rows = session.execute(select(Patient.id, Patient.name, Patient.birth_date)
                           .where(Patient.id.in_(patient_ids)))
    return {pid: (name, born) for pid, name, born in rows}


def add_version(session: Session, actor: Actor, plan: TaperPlanRecord, clinic_id: str, *,
                base_version: int, body: dict[str, Any], reason: str) -> PlanVersion:
    """Add version ``base_version + 1``; Conflict if the plan moved past ``base_version``."""
    new = base_version + 1
    moved = session.execute(
        update(TaperPlanRecord)
        .where(TaperPlanRecord.id == plan.id, TaperPlanRecord.current_version == base_version)
        .values(current_version=new, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        head = session.scalar(select(TaperPlanRecord.current_version)
                              .where(TaperPlanRecord.id == plan.id))
        raise Conflict(f"taper plan {plan.id} is at version {head}, not {base_version}: "
                       "another change landed first; reload the plan and retry",
                       field="base_version")
    previous = _version(session, plan.id, base_version)
    v = PlanVersion(plan_id=plan.id, version=new, body=body, reason=reason,
                    diff=json_diff(previous.body, body), author_id=actor.id)
    session.add(v)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(f"version {new} of taper plan {plan.id} already exists",
                       field="base_version") from exc
    session.refresh(plan)
    _audit(session, actor, "update", plan, clinic_id, version=new, reason=reason)
    return v
