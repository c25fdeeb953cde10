"""Pure operations over the core packages; nothing is stored. Any signed-in user may call them.

Each route validates its request, calls the core function and returns its JSON form.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field

from benzoplan.api.deps import CurrentActor
from benzoplan.api.schemas import DoseJSON, DrugName, Model, as_dose
from benzoplan.drugs import convert

router = APIRouter(tags=["operations"])


class ConvertIn(Model):
    dose: DoseJSON
    drug: DrugName
    to: DrugName
    table: str | None = Field(None, max_length=50, examples=["ashton"])


@router.post("/convert", summary="Approximate equivalent dose of another benzodiazepine")
def convert_dose(body: ConvertIn, actor: CurrentActor) -> dict[str, Any]:
    return convert(as_dose(body.dose), body.drug, to=body.to, table=body.table).to_json()
