"""Questionnaire results a clinician records for a patient, scored by the instruments package."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, status
from pydantic import Field

from benzoplan.api.core_io import at_field
from benzoplan.api.deps import DB, PageParams, PatientAccess, patient_access
from benzoplan.api.monitoring_io import evaluate_patient
from benzoplan.api.schemas import Model, Out, PageOf, PastDate
from benzoplan.instruments import score
from benzoplan.store import patients as repo

router = APIRouter(prefix="/patients/{patient_id}/instruments", tags=["instruments"])
ClinicianPatient = Annotated[PatientAccess, Depends(patient_access("clinician"))]


class ResultIn(Model):
    instrument: str = Field(min_length=1, max_length=32, examples=["ciwa-b"])
    date: PastDate = Field(examples=["2026-11-20"])
    answers: dict[str, int] = Field(description="item number → response value",
                                    examples=[{"1": 2, "2": 1}])


class ResultOut(Out):
    id: str
    patient_id: str
    instrument: str
    date: dt.date = Field(validation_alias="taken_on")
    answers: dict[str, Any]
    score: dict[str, Any]
    created_by: str
    created_at: dt.datetime


@router.post("", summary="Score and store a questionnaire result", response_model=ResultOut,
             status_code=status.HTTP_201_CREATED)
def results_add(body: ResultIn, access: ClinicianPatient, db: DB) -> ResultOut:
    with at_field("body"):
        s = score(body.instrument, body.answers)
    r = repo.add_instrument_result(db, access.actor, access.patient,
                                   instrument=s.to_json()["instrument"], taken_on=body.date,
                                   answers=body.answers, score=s.to_json())
    # a red flag (e.g. PHQ-9 item 9) becomes an alert at once
    evaluate_patient(db, access.actor, access.patient, today=dt.date.today())
    return ResultOut.model_validate(r)


@router.get("", summary="Stored results, newest first", response_model=PageOf[ResultOut])
def results_list(access: ClinicianPatient, db: DB, page: PageParams) -> PageOf[ResultOut]:
    p = repo.list_instrument_results(db, access.actor, access.patient, limit=page.limit,
                                     offset=page.offset)
    return PageOf[ResultOut].of([ResultOut.model_validate(r) for r in p.items], p.total,
                                p.limit, p.offset)
