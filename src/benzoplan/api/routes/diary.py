"""The patient's diary: ``/api/v1/patients/{patient_id}/diary``.

Writes are idempotent: the client gives each entry its own ``id`` (e.g. a UUID made once on
the device). Sending the same entry again returns the stored one with 200 instead of 201 and
adds nothing; the same id with other content is a 409.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import Field

from benzoplan.api.deps import DB, PageParams, PatientAccess, patient_access
from benzoplan.api.schemas import Model, Out, PageOf, PastDate
from benzoplan.store import diary as repo

router = APIRouter(prefix="/patients/{patient_id}/diary", tags=["diary"])
Writer = Annotated[PatientAccess, Depends(patient_access(self_service=True))]
Reader = Annotated[PatientAccess, Depends(patient_access("clinician", self_service=True))]
Kind = Literal["doses", "symptoms", "sleep", "seizures", "note"]


class DiaryIn(Model):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$",
                    description="the client's own id for this entry; a retry reuses it",
                    examples=["3f1c9a2e-7b7d-4c55-9d3a-0b8a1e2f4c10"])
    date: PastDate = Field(examples=["2026-11-20"])
    kind: Kind
    data: dict[str, Any] = Field(description="the entry's content for its kind",
                                 examples=[{"symptoms": {"anxiety": 2, "insomnia": 1}}])


class DiaryOut(Out):
    id: str
    client_id: str
    patient_id: str
    date: dt.date = Field(validation_alias="entry_date")
    kind: str
    data: dict[str, Any]
    created_by: str
    created_at: dt.datetime


@router.post("", summary="Add a diary entry (idempotent by the client's id)",
             response_model=DiaryOut, status_code=status.HTTP_201_CREATED,
             responses={200: {"description": "the same entry was already stored"}})
def diary_put(body: DiaryIn, access: Writer, db: DB, response: Response) -> DiaryOut:
    entry, created = repo.put_entry(db, access.actor, access.patient, client_id=body.id,
                                    entry_date=body.date, kind=body.kind, data=body.data)
    if not created:
        response.status_code = status.HTTP_200_OK
    return DiaryOut.model_validate(entry)


@router.get("", summary="Diary entries, oldest first", response_model=PageOf[DiaryOut])
def diary_list(access: Reader, db: DB, page: PageParams,
               since: Annotated[dt.date | None, Query()] = None,
               until: Annotated[dt.date | None, Query()] = None) -> PageOf[DiaryOut]:
    p = repo.list_entries(db, access.actor, access.patient, limit=page.limit,
                          offset=page.offset, since=since, until=until)
    return PageOf[DiaryOut].of([DiaryOut.model_validate(e) for e in p.items], p.total,
                               p.limit, p.offset)
