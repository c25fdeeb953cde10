"""Taper plans: create from a taper request, read, revise into a new version, dispensing list.

A plan is never overwritten: ``POST /plans/{plan_id}/versions`` asks the taper engine for a
revised plan (hold, slow or resume) and stores it as the next version with who, when, why and
the diff. It names the ``base_version`` it revises; if another revision landed first the
answer is 409 and nothing is stored.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, status
from pydantic import Field
from sqlalchemy.orm import Session

from benzoplan.api.core_io import TaperIn, at_field, taper_request
from benzoplan.api.deps import (
    DB,
    PageParams,
    PatientAccess,
    PlanAccess,
    patient_access,
    plan_access,
    require_roles,
)
from benzoplan.api.schemas import Model, Out, PageOf
from benzoplan.errors import Conflict
from benzoplan.store import Actor
from benzoplan.store import plans as repo
from benzoplan.store.models import Patient, PlanVersion, TaperPlanRecord
from benzoplan.store.users import get_user
from benzoplan.taper import TaperPlan, plan_taper

router = APIRouter(tags=["plans"])
PlanReader = Annotated[PlanAccess, Depends(plan_access("clinician", "pharmacist",
                                                       self_service=True))]
PlanWriter = Annotated[PlanAccess, Depends(plan_access("clinician"))]
PatientPlans = Annotated[PatientAccess, Depends(patient_access("clinician", "pharmacist",
                                                               self_service=True))]
ClinicianPatient = Annotated[PatientAccess, Depends(patient_access("clinician"))]
Staff = Annotated[Actor, Depends(require_roles("clinician", "pharmacist"))]


class PlanCreate(Model):
    request: TaperIn
    reason: str = Field("initial plan", min_length=1, max_length=2000)


class Revise(Model):
    base_version: int = Field(ge=1, description="the version you revise (409 if not current)")
    kind: Literal["hold", "slow", "resume"]
    effective: dt.date = Field(examples=["2026-12-20"])
    reason: str = Field(min_length=1, max_length=2000)
    days: int | None = Field(None, ge=1, le=365, description="hold: days to hold")
    factor: float | None = Field(None, gt=1, le=10, description="slow: factor (> 1)")


class PlanSummary(Out):
    id: str
    patient_id: str
    patient_name: str | None = Field(None, description="who the plan is for (as recorded by "
                                     "the clinic), so pharmacists know whom they dispense to")
    patient_birth_date: dt.date | None = Field(None, description="the second identifier to "
                                               "check before dispensing")
    current_version: int
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime


class VersionMeta(Out):
    version: int
    reason: str
    author_id: str
    created_at: dt.datetime
    diff: list[dict[str, Any]]


class VersionOut(VersionMeta):
    plan_id: str
    body: dict[str, Any] = Field(description="the taper plan JSON of this version")


class PlanOut(VersionOut):
    id: str
    patient_id: str
    patient_name: str
    patient_birth_date: dt.date | None
    current_version: int


def _plan_out(plan: TaperPlanRecord, v: PlanVersion, patient: Patient) -> PlanOut:
    return PlanOut(id=plan.id, patient_id=plan.patient_id, patient_name=patient.name,
                   patient_birth_date=patient.birth_date,
                   current_version=plan.current_version, plan_id=plan.id, version=v.version,
                   reason=v.reason, author_id=v.author_id, created_at=v.created_at, diff=v.diff,
                   body=v.body)


def _summaries(db: Session, p: Any) -> PageOf[PlanSummary]:
    who = repo.patient_identifiers(db, {x.patient_id for x in p.items})
    out = []
    for x in p.items:
        name, born = who.get(x.patient_id, (None, None))
        out.append(PlanSummary.model_validate(x).model_copy(
            update={"patient_name": name, "patient_birth_date": born}))
    return PageOf[PlanSummary].of(out, p.total, p.limit, p.offset)


@router.get("/plans", summary="Plans of the caller's clinic, most recently changed first",
            response_model=PageOf[PlanSummary])
def plans_clinic(actor: Staff, db: DB, page: PageParams) -> PageOf[PlanSummary]:
    return _summaries(db, repo.list_clinic_plans(db, actor, limit=page.limit,
                                                 offset=page.offset))


@router.get("/patients/{patient_id}/plans", summary="A patient's plans, newest first",
            response_model=PageOf[PlanSummary])
def plans_of_patient(access: PatientPlans, db: DB, page: PageParams) -> PageOf[PlanSummary]:
    return _summaries(db, repo.list_plans(db, access.actor, access.patient, limit=page.limit,
                                          offset=page.offset))


@router.post("/patients/{patient_id}/plans", summary="Plan a taper and store it as version 1",
             response_model=PlanOut, status_code=status.HTTP_201_CREATED)
def plans_create(body: PlanCreate, access: ClinicianPatient, db: DB) -> PlanOut:
    plan = plan_taper(taper_request(body.request, where="body.request"))
    rec, v = repo.create_plan(db, access.actor, access.patient, plan.to_json(), body.reason)
    return _plan_out(rec, v, access.patient)


@router.get("/plans/{plan_id}", summary="A plan at its current version", response_model=PlanOut)
def plans_get(access: PlanReader, db: DB) -> PlanOut:
    v = repo.current_version(db, access.actor, access.plan, access.patient.clinic_id)
    return _plan_out(access.plan, v, access.patient)


@router.get("/plans/{plan_id}/versions", summary="Every version: who, when, why, diff",
            response_model=PageOf[VersionMeta])
def plans_versions(access: PlanReader, db: DB, page: PageParams) -> PageOf[VersionMeta]:
    p = repo.list_versions(db, access.actor, access.plan, access.patient.clinic_id,
                           limit=page.limit, offset=page.offset)
    return PageOf[VersionMeta].of([VersionMeta.model_validate(v) for v in p.items], p.total,
                                  p.limit, p.offset)


@router.get("/plans/{plan_id}/versions/{version}", summary="One version in full",
            response_model=VersionOut)
def plans_version(version: int, access: PlanReader, db: DB) -> VersionOut:
    v = repo.get_version(db, access.actor, access.plan, access.patient.clinic_id, version)
    return VersionOut.model_validate(v)


@router.post("/plans/{plan_id}/versions", summary="Revise the plan (hold, slow, resume)",
             response_model=PlanOut, status_code=status.HTTP_201_CREATED)
def plans_revise(body: Revise, access: PlanWriter, db: DB) -> PlanOut:
    head = repo.current_version(db, access.actor, access.plan, access.patient.clinic_id)
    if body.base_version != head.version:
        raise Conflict(f"plan is at version {head.version}, not {body.base_version}: "
                       "reload it and decide again", field="base_version")
    author = get_user(db, access.actor.id).display_name
    with at_field("body"):
        revised = TaperPlan.from_json(head.body).revise(
            body.kind, effective=body.effective, reason=body.reason, author=author,
            days=body.days, factor=body.factor)
    v = repo.add_version(db, access.actor, access.plan, access.patient.clinic_id,
                         base_version=body.base_version, body=revised.to_json(),
                         reason=body.reason)
    return _plan_out(access.plan, v, access.patient)


@router.get("/plans/{plan_id}/dispensing", summary="What to dispense per fill (current version)")
def plans_dispensing(access: PlanReader, db: DB) -> dict[str, Any]:
    v = repo.current_version(db, access.actor, access.plan, access.patient.clinic_id)
    return {"plan_id": access.plan.id, "patient_id": access.plan.patient_id,
            "version": v.version, "drug": v.body.get("drug"),
            "dispensing": v.body.get("dispensing", [])}
