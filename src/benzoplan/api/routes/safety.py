"""Stored safety checks of a patient (the safety engine over the patient's record)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, status
from pydantic import Field

from benzoplan.api.core_io import at_field, patient_record
from benzoplan.api.deps import DB, PageParams, PatientAccess, patient_access
from benzoplan.api.schemas import Model, Out, PageOf
from benzoplan.drugs import get_drug
from benzoplan.errors import BenzoplanError, InputError
from benzoplan.safety import check
from benzoplan.safety.patient import indication_key, known_indications
from benzoplan.store import patients as repo
from benzoplan.store.models import Regimen
from benzoplan.units import Dose

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


def _drug_name(name: object) -> str | None:
    try:
        return get_drug(str(name)).name
    except BenzoplanError:
        return None


def _dose(v: object) -> Dose:
    return Dose.from_json(v) if isinstance(v, dict) else Dose(str(v))


def _daily_total(schedule: list[dict[str, Any]]) -> Dose:
    return sum((Dose.from_json(a["dose"]) for a in schedule), Dose.zero())


def record_with_regimen(record: dict[str, Any], reg: Regimen | None
                        ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The record to check, and what regimen it holds and where from.

    A regimen recorded with ``POST /patients/{id}/regimens`` is newer information than the
    regimen written into the record: the newest active one is checked. For the same drug it
    keeps the record's titration history (with the recorded regimen's daily total from its
    start, when that differs) and fills a missing indication or start from the record."""
    if reg is None:
        return record, {"source": "patient record"}
    old = record.get("regimen")
    if not isinstance(old, dict):
        old = {}
    same = _drug_name(old.get("drug")) == _drug_name(reg.drug)
    # the regimen's indication is free text; the record's, for the same drug, is the checked one
    indication = indication_key(reg.indication) if reg.indication else None
    indication = indication or (old.get("indication") if same else None)
    if not indication:
        known = ", ".join(sorted(known_indications()))
        raise InputError(f"the recorded regimen ({reg.drug}, {reg.id}) names no indication "
                         f"the safety rules know ({reg.indication or 'none'!s}), and the record "
                         f"names none for it; known: {known}", field="regimen.indication")
    start = reg.start or (dt.date.fromisoformat(str(old["start_date"]))
                          if same and old.get("start_date") else reg.created_at.date())
    history = list(old.get("history") or []) if same else []
    total = _daily_total(reg.schedule)
    if history and _dose(history[-1].get("daily_dose")) != total \
            and reg.created_at.date() > dt.date.fromisoformat(str(history[-1]["date"])):
        history.append({"date": reg.created_at.date().isoformat(), "daily_dose": total.to_json()})
    regimen: dict[str, Any] = {"drug": reg.drug, "indication": indication,
                               "start_date": start.isoformat(), "schedule": reg.schedule,
                               "history": history}
    if same and old.get("market"):
        regimen["market"] = old["market"]
    return ({**record, "regimen": regimen},
            {"source": "recorded regimen", "regimen_id": reg.id,
             "recorded_at": reg.created_at.isoformat()})


@router.post("", summary="Check the patient's record and newest recorded regimen; store "
             "the result", response_model=CheckOut, status_code=status.HTTP_201_CREATED)
def safety_run(body: CheckRun, access: ClinicianPatient, db: DB) -> CheckOut:
    if not access.patient.record:
        patient_record({}, "record")  # says the record is missing and what to do
    reg = repo.current_regimen(db, access.actor, access.patient)
    with at_field("record"):
        doc, checked = record_with_regimen(dict(access.patient.record), reg)
    record = patient_record(doc, "record")
    result = {**check(record, today=body.today or dt.date.today()).to_json(),
              "checked_regimen": checked}
    c = repo.add_safety_check(db, access.actor, access.patient, result)
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
