"""Alerts raised for a patient and their acknowledgement by a clinician."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from benzoplan.api.deps import (
    DB,
    AlertAccess,
    PageParams,
    PatientAccess,
    alert_access,
    patient_access,
)
from benzoplan.api.schemas import Model, Out, PageOf
from benzoplan.store import patients as repo

router = APIRouter(tags=["alerts"])


class AlertOut(Out):
    id: str
    patient_id: str
    level: str
    code: str
    why: str
    action: str
    source: str | None
    detail: dict[str, Any]
    created_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    acknowledgement_note: str | None


class Acknowledge(Model):
    note: str | None = Field(None, max_length=2000, examples=["called patient; dose held"])


@router.get("/patients/{patient_id}/alerts", summary="A patient's alerts, newest first",
            response_model=PageOf[AlertOut])
def alerts_list(access: Annotated[PatientAccess, Depends(patient_access("clinician"))], db: DB,
                page: PageParams,
                open_only: Annotated[bool, Query(alias="open")] = False) -> PageOf[AlertOut]:
    p = repo.list_alerts(db, access.actor, access.patient, limit=page.limit, offset=page.offset,
                         open_only=open_only)
    return PageOf[AlertOut].of([AlertOut.model_validate(a) for a in p.items], p.total, p.limit,
                               p.offset)


@router.post("/alerts/{alert_id}/acknowledge", summary="Acknowledge an alert (once)",
             response_model=AlertOut)
def alerts_acknowledge(body: Acknowledge,
                       access: Annotated[AlertAccess, Depends(alert_access("clinician"))],
                       db: DB) -> AlertOut:
    a = repo.acknowledge_alert(db, access.actor, access.patient, access.alert, body.note)
    return AlertOut.model_validate(a)
