"""Patients and regimens, for the clinicians of the patient's clinic."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, status
from pydantic import Field, field_validator

from benzoplan.api.core_io import patient_record
from benzoplan.api.deps import DB, PageParams, PatientAccess, patient_access, require_roles
from benzoplan.api.schemas import DoseJSON, DrugName, Model, Out, PageOf, PastDate
from benzoplan.errors import InputError
from benzoplan.store import Actor
from benzoplan.store import patients as repo

router = APIRouter(tags=["patients"])
Clinician = Annotated[Actor, Depends(require_roles("clinician"))]
ClinicianPatient = Annotated[PatientAccess, Depends(patient_access("clinician"))]
Sex = Literal["female", "male", "other", "unknown"]


class PatientIn(Model):
    name: str = Field(min_length=1, max_length=200, examples=["Alex Example"])
    birth_date: PastDate | None = Field(None, examples=["1980-04-02"])
    sex: Sex | None = None
    record: dict[str, Any] = Field(default_factory=dict, description=(
        "clinical record in the safety engine's PatientRecord JSON form"))


class PatientPatch(Model):
    version: int = Field(ge=1, description="the version you are changing (409 if stale)")
    name: str | None = Field(None, min_length=1, max_length=200)
    birth_date: PastDate | None = None
    sex: Sex | None = None
    record: dict[str, Any] | None = None

    @field_validator("name", "record", mode="before")
    @classmethod
    def _not_null(cls, v: Any) -> Any:
        if v is None:
            raise ValueError("cannot be null; leave the field out to keep it")
        return v


class PatientOut(Out):
    id: str
    clinic_id: str
    name: str
    birth_date: date | None
    sex: str | None
    record: dict[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime


@router.get("/patients", summary="Patients of the clinician's clinic",
            response_model=PageOf[PatientOut])
def patients_list(actor: Clinician, db: DB, page: PageParams,
                  name: Annotated[str | None, Query(max_length=200)] = None) -> PageOf[PatientOut]:
    p = repo.list_patients(db, actor, limit=page.limit, offset=page.offset, name=name)
    return PageOf[PatientOut].of([PatientOut.model_validate(x) for x in p.items], p.total,
                                 p.limit, p.offset)


@router.post("/patients", summary="Record a new patient", response_model=PatientOut,
             status_code=status.HTTP_201_CREATED)
def patients_create(body: PatientIn, actor: Clinician, db: DB) -> PatientOut:
    if body.record:
        patient_record(body.record, "body.record")
    p = repo.create_patient(db, actor, name=body.name, birth_date=body.birth_date, sex=body.sex,
                            record=body.record)
    return PatientOut.model_validate(p)


@router.get("/patients/{patient_id}", summary="One patient", response_model=PatientOut)
def patients_get(access: ClinicianPatient, db: DB) -> PatientOut:
    return PatientOut.model_validate(repo.get_patient(db, access.actor, access.patient))


@router.patch("/patients/{patient_id}", summary="Change a patient (optimistic: send version)",
              response_model=PatientOut)
def patients_update(body: PatientPatch, access: ClinicianPatient, db: DB) -> PatientOut:
    changes = body.model_dump(exclude_none=True, exclude={"version"})
    if not changes:
        raise InputError("nothing to change: send at least one field besides version",
                         field="body")
    if body.record:
        patient_record(body.record, "body.record")
    p = repo.update_patient(db, access.actor, access.patient, expected_version=body.version,
                            changes=changes)
    return PatientOut.model_validate(p)


class Administration(Model):
    time: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["08:00"])
    dose: DoseJSON


class RegimenIn(Model):
    drug: DrugName
    schedule: list[Administration] = Field(min_length=1, max_length=12)
    indication: str | None = Field(None, max_length=200, examples=["panic disorder"])
    start: PastDate | None = Field(None, examples=["2019-03-01"])


class RegimenOut(Out):
    id: str
    patient_id: str
    drug: str
    schedule: list[dict[str, Any]]
    indication: str | None
    start: date | None
    active: bool
    created_by: str
    created_at: datetime


@router.get("/patients/{patient_id}/regimens", summary="A patient's regimens",
            response_model=PageOf[RegimenOut])
def regimens_list(access: ClinicianPatient, db: DB, page: PageParams) -> PageOf[RegimenOut]:
    p = repo.list_regimens(db, access.actor, access.patient, limit=page.limit,
                           offset=page.offset)
    return PageOf[RegimenOut].of([RegimenOut.model_validate(x) for x in p.items], p.total,
                                 p.limit, p.offset)


@router.post("/patients/{patient_id}/regimens", summary="Record a regimen",
             response_model=RegimenOut, status_code=status.HTTP_201_CREATED)
def regimens_create(body: RegimenIn, access: ClinicianPatient, db: DB) -> RegimenOut:
    times = [a.time for a in body.schedule]
    if len(set(times)) != len(times):
        raise InputError("each administration time may appear once in a schedule",
                         field="body.schedule")
    r = repo.add_regimen(db, access.actor, access.patient, drug=body.drug,
                         schedule=[a.model_dump() for a in body.schedule],
                         indication=body.indication, start=body.start)
    return RegimenOut.model_validate(r)
