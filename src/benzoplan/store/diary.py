"""Diary entries with idempotent writes.

The client names each entry with its own id (a UUID it generates once). Writing the same id
again — a retry after a timeout — returns the stored entry and adds nothing; the same id with
different content is a :class:`Conflict`. The unique constraint on (patient, client id) makes
this hold under concurrent writers on every backend.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from benzoplan.errors import Conflict
from benzoplan.store import audit
from benzoplan.store.common import Actor, Page, paginate
from benzoplan.store.models import DiaryEntry, Patient

__all__ = ["entries_between", "list_entries", "put_entry"]


def _find(session: Session, patient_id: str, client_id: str) -> DiaryEntry | None:
    return session.scalar(select(DiaryEntry).where(DiaryEntry.patient_id == patient_id,
                                                   DiaryEntry.client_id == client_id))


def _same(e: DiaryEntry, entry_date: date, kind: str, data: dict[str, Any]) -> bool:
    return e.entry_date == entry_date and e.kind == kind and e.data == data


def put_entry(session: Session, actor: Actor, patient: Patient, *, client_id: str,
              entry_date: date, kind: str, data: dict[str, Any]) -> tuple[DiaryEntry, bool]:
    """Store an entry once; returns ``(entry, created)``."""
    existing = _find(session, patient.id, client_id)
    if existing is None:
        entry = DiaryEntry(patient_id=patient.id, client_id=client_id, entry_date=entry_date,
                           kind=kind, data=data, created_by=actor.id)
        try:
            with session.begin_nested():
                session.add(entry)
                session.flush()
        except IntegrityError:
            existing = _find(session, patient.id, client_id)
            if existing is None:
                raise
        else:
            audit.record(session, actor_id=actor.id, action="create", entity="diary_entry",
                         entity_id=entry.id, patient_id=patient.id, clinic_id=patient.clinic_id,
                         detail={"client_id": client_id})
            return entry, True
    if not _same(existing, entry_date, kind, data):
        raise Conflict(f"diary entry '{client_id}' already exists with different content; "
                       "a retry must send the same entry, a new entry needs a new id",
                       field="id")
    return existing, False


def list_entries(session: Session, actor: Actor, patient: Patient, *, limit: int, offset: int,
                 since: date | None = None, until: date | None = None) -> Page[DiaryEntry]:
    stmt = select(DiaryEntry).where(DiaryEntry.patient_id == patient.id)
    if since is not None:
        stmt = stmt.where(DiaryEntry.entry_date >= since)
    if until is not None:
        stmt = stmt.where(DiaryEntry.entry_date <= until)
    page = paginate(session, stmt.order_by(DiaryEntry.entry_date, DiaryEntry.created_at,
                                           DiaryEntry.id), limit=limit, offset=offset)
    audit.record(session, actor_id=actor.id, action="read", entity="diary_entry",
                 patient_id=patient.id, clinic_id=patient.clinic_id,
                 detail={"count": len(page.items), "offset": offset})
    return page


def entries_between(session: Session, actor: Actor, patient: Patient, *, since: date,
                    until: date, purpose: str) -> list[DiaryEntry]:
    """Every entry dated ``since``–``until`` (oldest first, then by write time), audited as a
    read for ``purpose``."""
    rows = session.scalars(
        select(DiaryEntry)
        .where(DiaryEntry.patient_id == patient.id, DiaryEntry.entry_date >= since,
               DiaryEntry.entry_date <= until)
        .order_by(DiaryEntry.entry_date, DiaryEntry.created_at, DiaryEntry.id)
    ).all()
    audit.record(session, actor_id=actor.id, action="read", entity="diary_entry",
                 patient_id=patient.id, clinic_id=patient.clinic_id,
                 detail={"count": len(rows), "purpose": purpose})
    return list(rows)
