"""Request models for the core's inputs, and the bridge from them to the core's own types.

The core functions do the work; this module only turns validated JSON into their arguments and
makes a core error name the request field it came from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

from benzoplan.api.schemas import AnyQuantityJSON, DoseJSON, DrugName, Model, QuantityJSON
from benzoplan.errors import BenzoplanError, InputError
from benzoplan.safety import PatientRecord
from benzoplan.taper import TaperRequest
from benzoplan.taper._model import Strategy
from benzoplan.units import from_json as quantity_from_json

__all__ = ["TaperIn", "at_field", "patient_record", "taper_request"]


@contextmanager
def at_field(prefix: str) -> Iterator[None]:
    """Re-raise a core error with its field placed under ``prefix`` (``body.request``)."""
    try:
        yield
    except BenzoplanError as exc:
        if exc.http_status < 500:
            exc.field = f"{prefix}.{exc.field}" if exc.field else prefix
        raise


def _days(q: QuantityJSON) -> QuantityJSON:
    try:
        days = quantity_from_json({"value": q.value, "unit": q.unit}).to("d").magnitude
    except Exception as exc:
        raise ValueError(f"needs a duration such as {{\"value\": 14, \"unit\": \"d\"}} "
                         f"or weeks (\"wk\"): {exc}") from None
    if not float(days).is_integer() or days < 1:
        raise ValueError(f"must be a whole number of days ≥ 1, got {days:g} d")
    return QuantityJSON(value=int(days), unit="d")


Days = Annotated[QuantityJSON, AfterValidator(_days)]


class ScheduledDoseIn(Model):
    time: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["08:00"])
    dose: DoseJSON


class FactorsIn(Model):
    seizure_history: bool = False
    age: int | None = Field(None, ge=0, le=120)
    prior_failed_taper: bool = False
    substance_use_disorder: bool = False
    insomnia: bool = False


class ProductsIn(Model):
    tablets: bool = True
    halves: bool = True
    quarters: bool = False
    odt: bool = True
    liquid: AnyQuantityJSON | None = Field(None, description="oral solution strength, mg/mL")
    measure: AnyQuantityJSON | None = Field(None, description="smallest measurable volume, mL")


class TaperIn(Model):
    """A taper request (the taper engine's request JSON; everything but ``drug``, ``doses``
    and ``start`` has the engine's default)."""

    drug: DrugName
    doses: list[ScheduledDoseIn] = Field(min_length=1, max_length=12)
    start: dt.date = Field(examples=["2026-12-01"])
    strategy: Strategy = "fixed-fraction"
    interval: Days = QuantityJSON(value=14, unit="d")
    max_step: QuantityJSON = Field(QuantityJSON(value=10, unit="%"), description=(
        "largest reduction per step: a percentage of the current dose or an amount per day"))
    years_of_use: float = Field(1.0, ge=0, le=100)
    indication: str | None = Field(None, max_length=100)
    factors: FactorsIn = FactorsIn()
    market: str = Field("US", max_length=8)
    products: ProductsIn = ProductsIn()
    to: DrugName = "diazepam"
    then: Literal["fixed-fraction", "hyperbolic", "linear"] = "fixed-fraction"
    equivalence: str | None = Field(None, max_length=50)
    report_table: str | None = Field(None, max_length=50)
    target_products: ProductsIn = ProductsIn()
    crossover_stage: Days = QuantityJSON(value=7, unit="d")
    dose_order: Literal["balanced", "night-last"] | None = None
    effect_step: float | None = Field(None, gt=0, lt=100)
    ec50: AnyQuantityJSON | None = None
    fill: Days = QuantityJSON(value=28, unit="d")


def taper_request(body: TaperIn, *, where: str = "body") -> TaperRequest:
    doc: dict[str, Any] = body.model_dump(mode="json")
    with at_field(where):
        try:
            return TaperRequest.from_json(doc)
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"invalid taper request: {exc}") from exc


def patient_record(record: dict[str, Any], where: str) -> PatientRecord:
    if not record:
        raise InputError("the patient has no clinical record yet; PATCH the patient's "
                         "'record' (the safety engine's PatientRecord JSON) first", field=where)
    with at_field(where):
        try:
            return PatientRecord.model_validate(record)
        except ValueError as exc:  # pydantic ValidationError
            raise InputError(f"the patient's record is not a valid PatientRecord: {exc}"
                             .splitlines()[0]) from None
