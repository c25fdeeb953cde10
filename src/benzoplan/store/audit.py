"""The append-only, hash-chained audit log of every create, update and read of patient data.

Repositories call :func:`record`; the events are written when the session commits, in the same
transaction as the change they describe, each with ``hash = sha256(prev_hash ‖ canonical JSON
of the event)``. Writers serialise on the chain's head (SQLite: the database lock taken by
``BEGIN IMMEDIATE``; PostgreSQL: a transaction-scoped advisory lock), so the chain never forks.
A database trigger refuses UPDATE and DELETE on the table; :func:`verify` recomputes the chain
and reports the first event that was altered, removed or inserted out of order.

The chain alone cannot show that its newest events were removed (what is left still links up),
nor that someone able to bypass the trigger rewrote it from some event on. An :class:`Anchor` —
the chain's head (sequence number and hash) written down outside the database, e.g. each night
by ``benzoplan audit head`` into the clinic's log — closes that: ``verify(anchors=...)`` fails
when an anchored event is gone or no longer has the anchored hash.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from benzoplan.errors import InputError
from benzoplan.store.models import AuditEvent, utcnow

__all__ = ["GENESIS", "Action", "Anchor", "VerifyReport", "events", "head", "record", "verify"]

GENESIS = "0" * 64
Action = Literal["create", "read", "update", "delete", "sign-in"]
_PENDING = "benzoplan.audit.pending"
_PG_LOCK_KEY = 0x62656E7A6F  # "benzo": the advisory lock guarding the chain's head


@dataclass(frozen=True)
class _Pending:
    at: datetime
    actor_id: str | None
    action: str
    entity: str
    entity_id: str | None
    patient_id: str | None
    clinic_id: str | None
    detail: dict[str, Any]


def record(
    session: Session,
    *,
    actor_id: str | None,
    action: Action,
    entity: str,
    entity_id: str | None = None,
    patient_id: str | None = None,
    clinic_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Queue an audit event; it is chained and written when ``session`` commits."""
    session.info.setdefault(_PENDING, []).append(
        _Pending(utcnow(), actor_id, action, entity, entity_id, patient_id, clinic_id,
                 dict(detail or {}))
    )


def _canonical(ev: AuditEvent | _Pending, seq: int, prev_hash: str) -> bytes:
    doc = {
        "seq": seq,
        "at": ev.at.isoformat(timespec="microseconds"),
        "actor_id": ev.actor_id,
        "action": ev.action,
        "entity": ev.entity,
        "entity_id": ev.entity_id,
        "patient_id": ev.patient_id,
        "clinic_id": ev.clinic_id,
        "detail": ev.detail,
        "prev_hash": prev_hash,
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str).encode()


def _digest(ev: AuditEvent | _Pending, seq: int, prev_hash: str) -> str:
    return hashlib.sha256(prev_hash.encode() + _canonical(ev, seq, prev_hash)).hexdigest()


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    pending: list[_Pending] = session.info.pop(_PENDING, [])
    if not pending:
        return
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    head = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    seq, prev = (head[0], head[1]) if head else (0, GENESIS)
    for p in pending:
        seq += 1
        h = _digest(p, seq, prev)
        session.add(AuditEvent(seq=seq, at=p.at, actor_id=p.actor_id, action=p.action,
                               entity=p.entity, entity_id=p.entity_id, patient_id=p.patient_id,
                               clinic_id=p.clinic_id, detail=p.detail, prev_hash=prev, hash=h))
        prev = h


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    events: int
    first_bad_seq: int | None = None
    problem: str | None = None
    anchors: int = 0  # anchors checked

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "events": self.events, "first_bad_seq": self.first_bad_seq,
                "problem": self.problem, "anchors": self.anchors}


_ANCHOR = re.compile(r"^\s*(\d+)\s*:\s*([0-9a-f]{64})\s*$")


@dataclass(frozen=True)
class Anchor:
    """The chain's head at some moment, kept outside the database: ``SEQ:HASH``."""

    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "hash": self.hash, "anchor": str(self)}

    @classmethod
    def parse(cls, text: str) -> Anchor:
        """``SEQ:HASH`` or the JSON that ``benzoplan audit head --json`` prints."""
        raw = text.strip()
        if raw.startswith("{"):
            try:
                doc = json.loads(raw)
                raw = f"{int(doc['seq'])}:{doc['hash']}"
            except (ValueError, KeyError, TypeError) as exc:
                raise InputError(f"audit anchor {text.strip()[:80]!r} is not valid JSON with "
                                 "'seq' and 'hash'", field="anchor") from exc
        m = _ANCHOR.match(raw)
        if not m or int(m.group(1)) < 1:
            raise InputError(f"audit anchor {text.strip()[:80]!r} is not SEQ:HASH (a sequence "
                             "number from 1 and a 64-digit lowercase hex hash)", field="anchor")
        return cls(int(m.group(1)), m.group(2))


def head(session: Session) -> Anchor | None:
    """The newest event as an anchor (None while the log is empty)."""
    row = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    return Anchor(int(row[0]), str(row[1])) if row else None


def events(session: Session, *, batch: int = 1000) -> Iterator[AuditEvent]:
    last = 0
    while True:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def verify(session: Session, anchors: Sequence[Anchor] = ()) -> VerifyReport:
    """Recompute the whole chain and check it against ``anchors``; report the first event that
    does not fit."""
    wanted = {a.seq: a for a in anchors}
    prev, expected, n = GENESIS, 1, 0
    for ev in events(session):
        n += 1
        if ev.seq != expected:
            return VerifyReport(False, n, expected,
                                f"event {expected} is missing (next is {ev.seq})")
        if ev.prev_hash != prev:
            return VerifyReport(False, n, ev.seq, f"event {ev.seq} does not link to event "
                                f"{ev.seq - 1} (removed or reordered)")
        if _digest(ev, ev.seq, prev) != ev.hash:
            return VerifyReport(False, n, ev.seq, f"event {ev.seq} was altered after it "
                                "was written (its hash does not match its content)")
        anchor = wanted.get(ev.seq)
        if anchor is not None and anchor.hash != ev.hash:
            return VerifyReport(False, n, ev.seq, f"event {ev.seq} is not the event anchored "
                                f"as {anchor} (the chain was rewritten from here or earlier)")
        prev, expected = ev.hash, expected + 1
    missing = sorted(seq for seq in wanted if seq > n)
    if missing:
        return VerifyReport(False, n, n + 1, f"the log ends at event {n}, but event "
                            f"{missing[-1]} was anchored: its newest events were removed")
    return VerifyReport(True, n, anchors=len(wanted))
