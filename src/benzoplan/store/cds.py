"""CDS Hooks cards issued and the feedback clinicians gave on them (accepted suggestions,
overrides with their reasons).

A card is recorded when a hook call returns it (per clinic: its ``uuid`` with the ids of its
suggestions and whether it offered override reasons), so feedback can be checked against what
was really shown: a card this clinic never received is not found, a suggestion the card did not
carry or an override reason on a card that offered none is refused. Feedback is append-only;
the same item sent twice (same card, outcome and time) is stored once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from benzoplan.errors import InputError, NotFound
from benzoplan.store import audit
from benzoplan.store.common import Actor
from benzoplan.store.models import Base, new_id, utcnow

if TYPE_CHECKING:
    from benzoplan.interop.cds_hooks import Feedback

__all__ = ["CdsCard", "CdsFeedback", "record_cards", "store_feedback"]


class CdsCard(Base):
    """A card returned by a CDS Hooks service call."""

    __tablename__ = "cds_cards"
    __table_args__ = (UniqueConstraint("clinic_id", "card_uuid",
                                       name="uq_cds_cards_clinic_card"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id"))
    card_uuid: Mapped[str] = mapped_column(String(64))
    service_id: Mapped[str] = mapped_column(String(64))
    hook_instance: Mapped[str] = mapped_column(String(100))
    # the EHR's patient id from the hook context (not a benzoplan patient)
    context_patient: Mapped[str] = mapped_column(String(200))
    indicator: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text)
    suggestions: Mapped[list[Any]] = mapped_column(default=list)
    overridable: Mapped[bool] = mapped_column(Boolean, default=False)
    issued_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)


class CdsFeedback(Base):
    """What a clinician did with one card: accepted suggestions or an override (with reason)."""

    __tablename__ = "cds_feedback"
    __table_args__ = (UniqueConstraint("card_id", "outcome", "outcome_at",
                                       name="uq_cds_feedback_card_outcome_at"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    card_id: Mapped[str] = mapped_column(ForeignKey("cds_cards.id"), index=True)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id"), index=True)
    service_id: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    accepted_suggestions: Mapped[list[Any]] = mapped_column(default=list)
    reason_system: Mapped[str | None] = mapped_column(String(200))
    reason_code: Mapped[str | None] = mapped_column(String(100))
    reason_display: Mapped[str | None] = mapped_column(String(200))
    user_comment: Mapped[str | None] = mapped_column(Text)
    outcome_at: Mapped[datetime] = mapped_column()
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def _insert_once(session: Session, row: Base) -> bool:
    """Insert ``row`` in a savepoint; False when a concurrent request stored it first (the
    unique constraint), so a race never fails the request nor stores a row twice."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True


def record_cards(session: Session, actor: Actor, *, service_id: str, hook_instance: str,
                 context_patient: str, cards: Sequence[Mapping[str, Any]]) -> int:
    """Record the cards a hook call returned (a card already recorded for this clinic, as when
    the client repeats a hook call, is kept as it was); returns how many were new."""
    new = 0
    for card in cards:
        card_uuid = card.get("uuid")
        if not isinstance(card_uuid, str):
            continue
        known = session.scalar(select(CdsCard.id).where(CdsCard.clinic_id == actor.clinic_id,
                                                        CdsCard.card_uuid == card_uuid))
        if known is not None:
            continue
        row = CdsCard(
            clinic_id=actor.clinic_id, card_uuid=card_uuid, service_id=service_id,
            hook_instance=hook_instance, context_patient=context_patient,
            indicator=str(card.get("indicator")), summary=str(card.get("summary")),
            suggestions=[s["uuid"] for s in card.get("suggestions", []) if "uuid" in s],
            overridable="overrideReasons" in card, issued_by=actor.id)
        new += _insert_once(session, row)
    if new:
        audit.record(session, actor_id=actor.id, action="create", entity="cds_cards",
                     clinic_id=actor.clinic_id,
                     detail={"service": service_id, "hookInstance": hook_instance,
                             "cards": new})
    return new


def _card(session: Session, actor: Actor, service_id: str, item: Feedback,
          where: str) -> CdsCard:
    card = session.scalar(select(CdsCard).where(CdsCard.clinic_id == actor.clinic_id,
                                                CdsCard.card_uuid == item.card))
    if card is None or card.service_id != service_id:
        raise NotFound(f"no card {item.card} was issued to your clinic by service "
                       f"'{service_id}'", field=f"{where}.card")
    unknown = [s for s in item.accepted_suggestions if s not in card.suggestions]
    if unknown:
        raise InputError(f"card {item.card} has no suggestion {unknown[0]}",
                         field=f"{where}.acceptedSuggestions")
    if item.reason_code is not None and not card.overridable:
        raise InputError(f"card {item.card} offered no override reasons",
                         field=f"{where}.overrideReason.reason")
    return card


def store_feedback(session: Session, actor: Actor, service_id: str,
                   items: Sequence[Feedback]) -> tuple[int, int]:
    """Store validated feedback items, all or none; returns (stored, already stored)."""
    cards = [_card(session, actor, service_id, item, f"feedback[{i}]")
             for i, item in enumerate(items)]
    stored = duplicates = 0
    seen: set[tuple[str, str, datetime]] = set()
    for item, card in zip(items, cards, strict=True):
        key = (card.id, item.outcome, item.outcome_timestamp)
        exists = session.scalar(select(CdsFeedback.id).where(
            CdsFeedback.card_id == card.id, CdsFeedback.outcome == item.outcome,
            CdsFeedback.outcome_at == item.outcome_timestamp))
        if exists is not None or key in seen:
            duplicates += 1
            continue
        seen.add(key)
        row = CdsFeedback(
            card_id=card.id, clinic_id=actor.clinic_id, service_id=service_id,
            outcome=item.outcome, accepted_suggestions=list(item.accepted_suggestions),
            reason_system=item.reason_system, reason_code=item.reason_code,
            reason_display=item.reason_display, user_comment=item.user_comment,
            outcome_at=item.outcome_timestamp, created_by=actor.id)
        if not _insert_once(session, row):
            duplicates += 1
            continue
        audit.record(session, actor_id=actor.id, action="create", entity="cds_feedback",
                     entity_id=row.id, clinic_id=actor.clinic_id,
                     detail={"card": item.card, "outcome": item.outcome,
                             "reason": item.reason_code})
        stored += 1
    return stored, duplicates
