"""``POST /patients/{patient_id}/monitor``: evaluate the stored diary and results now."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from benzoplan.api.deps import DB, PatientAccess, patient_access
from benzoplan.api.monitoring_io import evaluate_patient
from benzoplan.errors import NotFound

router = APIRouter(tags=["monitoring"])


@router.post("/patients/{patient_id}/monitor",
             summary="Alerts and hold/slow/resume proposals for the plan in force")
def monitor_patient(access: Annotated[PatientAccess, Depends(patient_access("clinician"))],
                    db: DB) -> dict[str, Any]:
    ev = evaluate_patient(db, access.actor, access.patient, today=dt.date.today())
    if ev is None:
        raise NotFound("the patient has no taper plan in force to monitor",
                       field="path.patient_id")
    return {**ev.result.to_json(), "new_alerts": [a.id for a in ev.new_alerts],
            "emergency": ev.emergency}
