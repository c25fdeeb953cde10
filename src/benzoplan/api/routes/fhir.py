"""FHIR R4: ``GET /fhir/Patient/{id}/$everything`` — a patient's record as a searchset Bundle.

The Bundle holds the Patient, each regimen as a MedicationRequest, the current version of
each taper plan as a CarePlan with its step MedicationRequests and guideline findings, each
stored safety check's findings and each questionnaire result (QuestionnaireResponse and
Observation), built by :mod:`benzoplan.interop.fhir`. Clinicians of the patient's clinic
only; the read is audit-logged.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from benzoplan.api.deps import DB, PatientAccess, patient_access
from benzoplan.errors import BenzoplanError
from benzoplan.instruments import score
from benzoplan.interop import fhir
from benzoplan.safety import Regimen as SafetyRegimen
from benzoplan.store import audit
from benzoplan.store.models import (
    InstrumentResult,
    Patient,
    PlanVersion,
    Regimen,
    SafetyCheck,
    TaperPlanRecord,
)
from benzoplan.taper import TaperPlan

router = APIRouter(prefix="/fhir", tags=["FHIR R4"])
ClinicianPatient = Annotated[PatientAccess, Depends(patient_access("clinician"))]
FHIR_JSON = "application/fhir+json"


def _regimen(r: Regimen) -> SafetyRegimen:
    start = r.start or r.created_at.date()
    for indication in (r.indication or "unspecified", "unspecified"):
        try:
            return SafetyRegimen.model_validate({"drug": r.drug, "indication": indication,
                                                 "start_date": start,
                                                 "schedule": r.schedule})
        except (BenzoplanError, ValidationError):
            if indication == "unspecified":
                raise
    raise AssertionError("unreachable")


def _resources(db: Session, p: Patient) -> list[Any]:
    out: list[Any] = [fhir.patient_resource(p.id, name=p.name, birth_date=p.birth_date,
                                            sex=p.sex)]
    for r in db.scalars(select(Regimen).where(Regimen.patient_id == p.id)
                        .order_by(Regimen.created_at, Regimen.id)):
        out.append(fhir.regimen_request(_regimen(r), patient_id=p.id, request_id=r.id,
                                        status="active" if r.active else "stopped"))
    for rec in db.scalars(select(TaperPlanRecord).where(TaperPlanRecord.patient_id == p.id)
                          .order_by(TaperPlanRecord.created_at, TaperPlanRecord.id)):
        body = db.scalar(select(PlanVersion.body).where(
            PlanVersion.plan_id == rec.id, PlanVersion.version == rec.current_version))
        plan = TaperPlan.from_json(body or {})
        careplan, requests = fhir.taper_plan_resources(plan, patient_id=p.id, plan_id=rec.id)
        out += [careplan, *requests]
        for i, f in enumerate(plan.findings):
            out.append(fhir.taper_finding_issue(
                f, patient_id=p.id, identified=rec.updated_at,
                issue_id=fhir.resource_id("taper-finding", rec.id, str(plan.version), str(i)),
                implicated=[f"CarePlan/{rec.id}"]))
    for check in db.scalars(select(SafetyCheck).where(SafetyCheck.patient_id == p.id)
                            .order_by(SafetyCheck.created_at, SafetyCheck.id)):
        for i, f in enumerate(check.result.get("findings", [])):
            out.append(fhir.finding_issue(
                f, patient_id=p.id, identified=check.created_at,
                issue_id=fhir.resource_id("safety-finding", check.id, str(i))))
    for res in db.scalars(select(InstrumentResult).where(InstrumentResult.patient_id == p.id)
                          .order_by(InstrumentResult.taken_on, InstrumentResult.id)):
        qr, obs = fhir.instrument_resources(score(res.instrument, res.answers),
                                            patient_id=p.id, result_id=res.id,
                                            taken=res.taken_on)
        out += [qr, obs]
    return out


@router.get("/Patient/{patient_id}/$everything", response_class=Response,
            summary="Everything about a patient as a FHIR R4 searchset Bundle",
            responses={200: {"content": {FHIR_JSON: {}}}})
def everything(access: ClinicianPatient, db: DB, request: Request) -> Response:
    p = access.patient
    resources = _resources(db, p)
    base = str(request.base_url).rstrip("/") + "/fhir"
    bundle = fhir.everything_bundle(base, resources, timestamp=dt.datetime.now(dt.UTC))
    audit.record(db, actor_id=access.actor.id, action="read", entity="patient",
                 entity_id=p.id, patient_id=p.id, clinic_id=p.clinic_id,
                 detail={"via": "fhir/$everything", "resources": len(resources)})
    return Response(json.dumps(fhir.to_json(bundle)), media_type=FHIR_JSON)
