"""``GET /api/v1/audit/verify`` and ``/audit/head``: the audit chain (admins)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from benzoplan.api.core_io import at_field
from benzoplan.api.deps import DB, require_roles
from benzoplan.errors import NotFound
from benzoplan.store import Actor
from benzoplan.store import audit as store_audit

router = APIRouter(prefix="/audit", tags=["audit"])
Admin = Annotated[Actor, Depends(require_roles("admin"))]


@router.get("/verify", summary="Check that the audit log was not altered")
def audit_verify(actor: Admin, db: DB,
                 anchor: Annotated[list[str] | None, Query(
                     max_length=1000, description="SEQ:HASH anchors kept from /audit/head "
                     "(repeat the parameter); an anchored event gone or different fails")] = None
                 ) -> dict[str, Any]:
    with at_field("query"):
        anchors = [store_audit.Anchor.parse(a) for a in anchor or []]
    return store_audit.verify(db, anchors).to_json()


@router.get("/head", summary="The chain's newest event as an anchor (SEQ:HASH) to keep "
            "outside the database")
def audit_head(actor: Admin, db: DB) -> dict[str, Any]:
    top = store_audit.head(db)
    if top is None:
        raise NotFound("the audit log is empty")
    return top.to_json()
