"""CDS Hooks 2.0: discovery, the order-select / order-sign services and their feedback.

``GET /cds-services`` lists the services with their prefetch templates; ``POST
/cds-services/{id}`` answers a hook call with cards (the card logic of
:mod:`benzoplan.interop.cds_hooks`; a missing patient prefetch is ``412``); ``POST
/cds-services/{id}/feedback`` stores what the clinician did with the cards. Every call needs a
trusted CDS client's signed JWT (:mod:`benzoplan.api.cds_clients`) or a signed-in clinician or
pharmacist's token; the cards each call returns are recorded for that account's clinic so
feedback can be checked.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path
from pydantic import Field

from benzoplan.api.deps import DB, CdsActor
from benzoplan.api.schemas import Out
from benzoplan.errors import NotFound
from benzoplan.interop import cds_hooks
from benzoplan.store import cds as repo

router = APIRouter(prefix="/cds-services", tags=["CDS Hooks"])

ServiceId = Annotated[str, Path(max_length=64, description="a service id from discovery")]


def _service(service_id: str) -> str:
    if service_id not in cds_hooks.service_ids():
        raise NotFound(f"no CDS service '{service_id}'; known: "
                       f"{', '.join(cds_hooks.service_ids())}", field="path.service_id")
    return service_id


class FeedbackStored(Out):
    stored: int = Field(description="feedback items stored")
    duplicates: int = Field(description="items already stored (a repeated send)")


@router.get("", summary="CDS Hooks discovery: the services and their prefetch templates")
def discovery(actor: CdsActor) -> dict[str, Any]:
    return cds_hooks.services()


@router.post("/{service_id}", summary="Call a CDS service (order-select or order-sign)")
def call_service(service_id: ServiceId, actor: CdsActor, db: DB,
                 request: Annotated[dict[str, Any], Body(
                     description="a CDS Hooks 2.0 request with FHIR R4 prefetch")]
                 ) -> dict[str, Any]:
    _service(service_id)
    response = cds_hooks.cards_for(service_id, request, today=dt.datetime.now(dt.UTC).date())
    context = request["context"]  # checked by cards_for
    repo.record_cards(db, actor, service_id=service_id,
                      hook_instance=str(request["hookInstance"]),
                      context_patient=str(context["patientId"]), cards=response["cards"])
    return response


@router.post("/{service_id}/feedback", summary="Feedback on cards: accepted or overridden",
             response_model=FeedbackStored)
def feedback(service_id: ServiceId, actor: CdsActor, db: DB,
             body: Annotated[dict[str, Any], Body(
                 description="{\"feedback\": [...]} as in CDS Hooks 2.0")]) -> FeedbackStored:
    items = cds_hooks.parse_feedback(_service(service_id), body)
    stored, duplicates = repo.store_feedback(db, actor, service_id, items)
    return FeedbackStored(stored=stored, duplicates=duplicates)
