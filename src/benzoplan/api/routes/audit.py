"""``GET /api/v1/audit/verify``: recompute the audit chain (admins)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from benzoplan.api.deps import DB, require_roles
from benzoplan.store import Actor
from benzoplan.store import audit as store_audit

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("/verify", summary="Check that the audit log was not altered")
def audit_verify(actor: Annotated[Actor, Depends(require_roles("admin"))],
                 db: DB) -> dict[str, Any]:
    return store_audit.verify(db).to_json()
