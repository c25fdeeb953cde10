"""Stored safety checks of a patient (the safety engine over the patient's record)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, status
from pydantic import Field

from benzoplan.api.core_io import patient_record
from benzoplan.api.deps import DB, PageParams, PatientAccess, patient_access
from benzoplan.api.schemas import Model, Out, PageOf
from benzoplan.safety import check
from benzoplan.store import patients as repo

router = APIRouter(prefix="/patients/{patient_id}/safety", tags=["safety"])
ClinicianPatient = Annotated[PatientAccess, Depends(patient_access("clinician"))]


class CheckRun(Model):
    today: dt.date | None = Field(None, description="the day to check for (default: today)")


class CheckOut(Out):
    id: str
    patient_id: str
    result: dict[str, Any]
    created_by: str
    created_at: dt.datetime


@router.post("", summary="Check the patient's record and regimen; store the result",
             response_model=CheckOut, status_code=status.HTTP_201_CREATED)
def safety_run(body: CheckRun, access: ClinicianPatient, db: DB) -> CheckOut:
    record = patient_record(access.patient.record, "record")
    result = check(record, today=body.today or dt.date.today())
    c = repo.add_safety_check(db, access.actor, access.patient, result.to_json())
    return CheckOut.model_validate(c)


@router.get("", summary="Stored checks, newest first", response_model=PageOf[CheckOut])
def safety_list(access: ClinicianPatient, db: DB, page: PageParams) -> PageOf[CheckOut]:
    p = repo.list_safety_checks(db, access.actor, access.patient, limit=page.limit,
                                offset=page.offset)
    return PageOf[CheckOut].of([CheckOut.model_validate(c) for c in p.items], p.total, p.limit,
                               p.offset)


@router.get("/latest", summary="The newest check's result (its findings)")
def safety_latest(access: ClinicianPatient, db: DB) -> dict[str, Any]:
    c = repo.latest_safety_check(db, access.actor, access.patient)
    return {"id": c.id, "created_at": c.created_at.isoformat(), **c.result}
