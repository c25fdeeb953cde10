"""Request and response models shared by several route modules.

Every request model forbids unknown fields; quantities are ``{"value", "unit"}`` objects
validated by :mod:`benzoplan.units` so a wrong unit is a 422 naming the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from benzoplan.drugs import get_drug
from benzoplan.errors import BenzoplanError
from benzoplan.units import Dose
from benzoplan.units import from_json as quantity_from_json

__all__ = ["DoseJSON", "DrugName", "Model", "Out", "PageOf", "QuantityJSON", "as_dose"]

T = TypeVar("T")


class Model(BaseModel):
    """Base of request models: unknown fields are refused, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Out(BaseModel):
    """Base of response models."""

    model_config = ConfigDict(from_attributes=True)


class QuantityJSON(Model):
    value: float = Field(allow_inf_nan=False, examples=[1])
    unit: str = Field(min_length=1, max_length=32, examples=["mg"])


def _check_dose(q: QuantityJSON) -> QuantityJSON:
    try:
        Dose.from_json({"value": q.value, "unit": q.unit})
    except BenzoplanError as exc:
        raise ValueError(str(exc)) from None
    return q


def _check_quantity(q: QuantityJSON) -> QuantityJSON:
    try:
        quantity_from_json({"value": q.value, "unit": q.unit})
    except BenzoplanError as exc:
        raise ValueError(str(exc)) from None
    return q


DoseJSON = Annotated[QuantityJSON, AfterValidator(_check_dose)]
"""A dose: a positive mass such as ``{"value": 1, "unit": "mg"}``."""
AnyQuantityJSON = Annotated[QuantityJSON, AfterValidator(_check_quantity)]


def as_dose(q: QuantityJSON) -> Dose:
    return Dose.from_json({"value": q.value, "unit": q.unit})


def _resolve_drug(name: str) -> str:
    try:
        return get_drug(name).name
    except BenzoplanError as exc:
        raise ValueError(str(exc)) from None


DrugName = Annotated[str, Field(min_length=1, max_length=100, examples=["clonazepam"]),
                     AfterValidator(_resolve_drug)]
"""A drug, brand or synonym; stored as the knowledge base's canonical name."""


class PageOf(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, items: Sequence[Any], total: int, limit: int, offset: int) -> PageOf[T]:
        return cls(items=list(items), total=total, limit=limit, offset=offset)


__all__ += ["AnyQuantityJSON"]


def _not_future(d: date) -> date:
    if d > date.today():
        raise ValueError(f"{d.isoformat()} is in the future")
    return d


PastDate = Annotated[date, AfterValidator(_not_future)]
"""An ISO date (YYYY-MM-DD) that is not in the future."""
__all__ += ["PastDate"]
