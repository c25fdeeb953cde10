"""``GET /health``: the service is up and its database answers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from benzoplan import __version__
from benzoplan.api.deps import Services, get_services
from benzoplan.api.problems import problem
from benzoplan.store import current_revision, head_revision

router = APIRouter(tags=["health"])


@router.get("/health", summary="Liveness and database check")
def health(services: Annotated[Services, Depends(get_services)]) -> Any:
    try:
        # the reading engine: a health probe never waits for, or holds up, a writer
        with services.reader.connect() as conn:
            conn.execute(text("SELECT 1"))
        revision = current_revision(services.reader)
    except SQLAlchemyError as exc:
        return problem(503, f"database unreachable: {type(exc).__name__}", field="database")
    head = head_revision()
    if revision != head:
        return problem(503, f"database schema is at {revision}, code expects {head}; run "
                       "`benzoplan db upgrade`", field="database")
    return JSONResponse({"status": "ok", "database": "ok", "revision": revision,
                         "version": __version__})
