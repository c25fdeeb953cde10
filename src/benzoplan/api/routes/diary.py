"""The patient's diary: ``/api/v1/patients/{patient_id}/diary``.

An entry is one of the monitoring engine's diary kinds (``dose``, ``symptoms``, ``sleep``,
``seizure``, ``instrument``); ``data`` holds its fields and is validated by the engine's own
models. Writes are idempotent: the client gives each entry its own ``id`` (e.g. a UUID made
once on the device); sending the same entry again returns the stored one with 200 instead of
201 and adds nothing, and the same id with other content is a 409. A new entry is evaluated at
once against the plan in force: red flags come back as urgent alerts with emergency
instructions and are stored for the clinician.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import Field
from sqlalchemy import select

from benzoplan.api.deps import DB, PageParams, PatientAccess, patient_access
from benzoplan.api.monitoring_io import entry_doc, evaluate_patient, plan_view
from benzoplan.api.schemas import Model, Out, PageOf, PastDate
from benzoplan.errors import Conflict, InputError
from benzoplan.monitoring import parse_entry
from benzoplan.store import diary as repo
from benzoplan.store.models import DiaryEntry

router = APIRouter(prefix="/patients/{patient_id}/diary", tags=["diary"])
Writer = Annotated[PatientAccess, Depends(patient_access(self_service=True))]
Reader = Annotated[PatientAccess, Depends(patient_access("clinician", self_service=True))]
Kind = Literal["dose", "symptoms", "sleep", "seizure", "instrument"]


class DiaryIn(Model):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$",
                    description="the client's own id for this entry; a retry reuses it",
                    examples=["3f1c9a2e-7b7d-4c55-9d3a-0b8a1e2f4c10"])
    date: PastDate = Field(examples=["2026-11-20"])
    kind: Kind
    data: dict[str, Any] = Field(description="the entry's fields for its kind",
                                 examples=[{"ratings": {"anxiety": 2, "insomnia": 1}}])


class DiaryOut(Out):
    id: str
    client_id: str
    patient_id: str
    date: dt.date = Field(validation_alias="entry_date")
    kind: str
    data: dict[str, Any]
    created_by: str
    created_at: dt.datetime


class DiaryWritten(DiaryOut):
    alerts: list[dict[str, Any]] = Field(default_factory=list,
                                         description="alerts this entry raised")
    emergency: str | None = Field(None, description="emergency instructions on a red flag")


def _validated(body: DiaryIn) -> tuple[dict[str, Any], str]:
    """The entry's data as the engine normalises it, and its slot (one entry per slot)."""
    for key in ("kind", "date"):
        if key in body.data:
            raise InputError(f"'{key}' belongs at the top of the entry, not in data",
                             field=f"body.data.{key}")
    try:
        e = parse_entry({**body.data, "kind": body.kind, "date": body.date.isoformat()},
                        where=f"{body.kind} entry")
    except InputError as exc:
        rest = (exc.field or "").removeprefix(body.kind).lstrip(".")
        exc.field = "body.data" + (f".{rest}" if rest else "")
        raise
    data = {k: v for k, v in e.to_json().items() if k not in ("kind", "date")}
    return data, e.slot_key


@router.post("", summary="Add a diary entry (idempotent by the client's id)",
             response_model=DiaryWritten, status_code=status.HTTP_201_CREATED,
             responses={200: {"description": "the same entry was already stored"}})
def diary_put(body: DiaryIn, access: Writer, db: DB, response: Response) -> DiaryWritten:
    data, slot = _validated(body)
    actor, patient = access.actor, access.patient
    same_slot = db.scalars(select(DiaryEntry).where(
        DiaryEntry.patient_id == patient.id, DiaryEntry.entry_date == body.date,
        DiaryEntry.kind == body.kind, DiaryEntry.client_id != body.id)).all()
    for other in same_slot:
        if parse_entry(entry_doc(other)).slot_key == slot:
            raise Conflict(f"a {body.kind} entry for {body.date.isoformat()}"
                           f"{'' if slot == 'day' else ' at ' + slot} already exists "
                           f"(id {other.client_id}); one entry per day and slot",
                           field="body.date")
    entry, created = repo.put_entry(db, actor, patient, client_id=body.id, entry_date=body.date,
                                    kind=body.kind, data=data)
    out = DiaryWritten.model_validate(entry)
    if not created:
        response.status_code = status.HTTP_200_OK
        return out
    view = plan_view(db, actor, patient)
    if view is None or body.date < view.start:
        return out  # no plan in force on that day: nothing to check it against
    if body.kind == "dose" and data.get("status") != "extra" and \
            data["slot"] not in view.slots_on(body.date):
        slots = ", ".join(view.slots_on(body.date)) or "none"
        raise InputError(f"no dose is scheduled at {data['slot']} on {body.date.isoformat()} "
                         f"(scheduled: {slots}); record an unscheduled dose with status "
                         "'extra'", field="body.data.slot")
    ev = evaluate_patient(db, actor, patient, today=dt.date.today(), view=view)
    if ev is not None:
        out.alerts = [{"id": a.id, "level": a.level, "code": a.code, "why": a.why,
                       "action": a.action, "source": a.source} for a in ev.new_alerts]
        out.emergency = ev.emergency
    return out


@router.get("", summary="Diary entries, oldest first", response_model=PageOf[DiaryOut])
def diary_list(access: Reader, db: DB, page: PageParams,
               since: Annotated[dt.date | None, Query()] = None,
               until: Annotated[dt.date | None, Query()] = None) -> PageOf[DiaryOut]:
    p = repo.list_entries(db, access.actor, access.patient, limit=page.limit,
                          offset=page.offset, since=since, until=until)
    return PageOf[DiaryOut].of([DiaryOut.model_validate(e) for e in p.items], p.total,
                               p.limit, p.offset)
