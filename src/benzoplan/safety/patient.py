"""The patient and regimen model checked by the safety engine, and its JSON form.

A patient file is one JSON object (examples in ``examples/*.json``)::

    {
      "id": "sample-1",                       # optional
      "age_years": 46,                        # 0-130
      "sex": "female",                        # female | male | other | unknown
      "weight": {"value": 70, "unit": "kg"},  # or "70 kg"; optional, required for children
      "pregnant": false, "breastfeeding": false,
      "conditions": ["panic-disorder", "depression"],
      "hepatic_impairment": "none",           # none | mild | moderate | severe
      "alcohol_use": "none",                  # none | occasional | regular | heavy | unknown
      "drives": true,                         # true | false | null (not recorded)
      "medicines": ["oxycodone 5 mg", "Zolpidem"],    # free text, resolved to classes
      "dependence_signs": [], "prior_withdrawal": false,
      "overdose_signs": [],
      "regimen": {
        "drug": "clonazepam", "indication": "panic-disorder",
        "start_date": "2019-03-01", "end_date": null,
        "schedule": [{"time": "08:00", "dose": "1 mg"}, {"time": "20:00", "dose": "1 mg"}],
        "history": [{"date": "2019-03-01", "daily_dose": "0.5 mg"}]      # optional
        # an empty or missing schedule means "dose not specified": the dose checks are then
        # listed as unresolved, never passed
      },
      "monitoring": {"complete-blood-count": "2025-06-01", "liver-function-tests": null,
                     "efficacy-review": null, "depression-screening": "2026-10-01"}
    }

Doses are text with a unit ("0.5 mg", "500 mcg") or ``{"value", "unit"}``; a bare number is
refused. :meth:`PatientRecord.from_json` turns every validation problem into an
:class:`~benzoplan.errors.InputError` naming the field.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from benzoplan.drugs import get_drug, list_drugs
from benzoplan.errors import InputError, UnitError
from benzoplan.safety.vocabulary import (
    INDICATION_ALIASES,
    AlcoholUse,
    ConditionCode,
    DependenceSign,
    HepaticImpairment,
    OverdoseSign,
    Sex,
)
from benzoplan.units import Dose, from_json, parse_quantity, ureg

__all__ = [
    "Administration",
    "DoseChange",
    "MonitoringDates",
    "PatientRecord",
    "Regimen",
    "indication_key",
    "known_indications",
    "weight_kg_from",
]


def indication_key(text: str) -> str | None:
    """The indication the rules know for ``text`` ("Panic disorder" → "panic-disorder"),
    or None."""
    key = "-".join(text.strip().lower().replace("_", " ").split())
    key = INDICATION_ALIASES.get(key, key)
    return key if key in known_indications() else None


def known_indications() -> frozenset[str]:
    """Indications benzoplan can check: every drug file's, plus the off-label uses."""
    names = set(INDICATION_ALIASES.values())
    for drug in list_drugs():
        names.update(i.indication for i in drug.indications)
    return frozenset(names)


def _to_dose(v: Any) -> Dose:
    if isinstance(v, Dose):
        return v
    if isinstance(v, str):
        return Dose(v)
    if isinstance(v, Mapping):
        return Dose.from_json(v)
    if isinstance(v, int | float) and not isinstance(v, bool):
        raise UnitError(f"dose {v} has no unit; write it with a unit, e.g. '{v} mg'")
    raise UnitError(f"dose must be text such as '0.5 mg' or {{\"value\", \"unit\"}}, got {v!r}")


_QUANTITY_SCHEMA: dict[str, Any] = {
    "oneOf": [
        {"type": "string", "description": "an amount with its unit, e.g. '0.5 mg'"},
        {"type": "object", "required": ["value", "unit"], "additionalProperties": False,
         "properties": {"value": {"type": "number"}, "unit": {"type": "string"}}},
    ]
}

DoseField = Annotated[
    Dose,
    BeforeValidator(_to_dose),
    PlainSerializer(lambda d: d.to_json(), return_type=dict),
    WithJsonSchema(_QUANTITY_SCHEMA),
]


def weight_kg_from(v: Any) -> float | None:
    """Body weight in kg from "70 kg", {"value": 70, "unit": "kg"} or a float already in kg."""
    if v is None:
        return None
    if isinstance(v, str):
        q = parse_quantity(v, what="weight")
    elif isinstance(v, Mapping):
        q = from_json(v, what="weight")
    elif isinstance(v, int | float) and not isinstance(v, bool):
        raise UnitError(f"weight {v} has no unit; write e.g. '{v} kg'")
    else:
        raise UnitError(f"weight must be text such as '70 kg', got {v!r}")
    if q.dimensionality != ureg.Quantity(1, "kg").dimensionality:
        raise UnitError(f"weight needs a unit of mass such as kg, got '{q:~}'")
    kg = float(q.to("kg").magnitude)
    if not 0 < kg <= 400:
        raise InputError(f"weight {kg:g} kg is outside the plausible range (0, 400] kg",
                         field="weight")
    return kg


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)


class Administration(_Frozen):
    """One scheduled dose of the regimen (``time`` optional, "HH:MM")."""

    dose: DoseField
    time: str | None = None

    @field_validator("time")
    @classmethod
    def _time(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", v):
            raise ValueError(f"time '{v}' is not HH:MM (24 h)")
        return v


class DoseChange(_Frozen):
    """From ``date`` on, the total daily dose was ``daily_dose`` (the titration history)."""

    date: dt.date
    daily_dose: DoseField


class Regimen(_Frozen):
    drug: str
    indication: str
    start_date: dt.date
    end_date: dt.date | None = None
    schedule: tuple[Administration, ...] = ()  # empty: dose not (yet) specified
    history: tuple[DoseChange, ...] = ()
    market: str = "US"

    @field_validator("drug", mode="before")
    @classmethod
    def _drug(cls, v: Any) -> str:
        if not isinstance(v, str):
            raise ValueError("drug must be a name such as 'clonazepam'")
        return get_drug(v).name  # UnknownDrug (with a suggestion) if it does not resolve

    @field_validator("indication", mode="before")
    @classmethod
    def _indication(cls, v: Any) -> Any:
        if isinstance(v, str):
            key = indication_key(v)
            if key is not None:
                return key
            known = ", ".join(sorted(known_indications()))
            raise InputError(f"unknown indication '{v}'; known: {known}",
                             field="regimen.indication")
        raise ValueError("indication must be text such as 'panic-disorder'")

    @model_validator(mode="after")
    def _consistent(self) -> Regimen:
        if self.end_date is not None and self.end_date < self.start_date:
            raise ValueError(f"end_date {self.end_date} is before start_date {self.start_date}")
        dates = [c.date for c in self.history]
        if dates != sorted(dates) or len(set(dates)) != len(dates):
            raise ValueError("history dates must be strictly increasing")
        if dates and dates[0] < self.start_date:
            raise ValueError(f"history starts on {dates[0]}, before start_date {self.start_date}")
        return self

    @property
    def daily_dose(self) -> Dose | None:
        """The total daily dose, or ``None`` when no dose is given."""
        if not self.schedule:
            return None
        total = Dose.zero()
        for a in self.schedule:
            total = total + a.dose
        return total

    @property
    def max_single_dose(self) -> Dose | None:
        return max(a.dose for a in self.schedule) if self.schedule else None


class MonitoringDates(_Frozen):
    """Date of the last result or review of each monitored item (``null`` if never)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    complete_blood_count: dt.date | None = Field(default=None, alias="complete-blood-count")
    liver_function_tests: dt.date | None = Field(default=None, alias="liver-function-tests")
    efficacy_review: dt.date | None = Field(default=None, alias="efficacy-review")
    depression_screening: dt.date | None = Field(default=None, alias="depression-screening")

    def last(self, item: str) -> dt.date | None:
        value: dt.date | None = getattr(self, item.replace("-", "_"))
        return value


class PatientRecord(_Frozen):
    """A patient and their benzodiazepine regimen, as the safety engine checks them."""

    id: str | None = None
    age_years: float = Field(ge=0, le=130)
    sex: Sex
    weight_kg: Annotated[float | None, BeforeValidator(weight_kg_from),
                         WithJsonSchema({"oneOf": [*_QUANTITY_SCHEMA["oneOf"],
                                                   {"type": "null"}]})] = Field(
        default=None, alias="weight")
    pregnant: bool = False
    breastfeeding: bool = False
    conditions: tuple[ConditionCode, ...] = ()
    hepatic_impairment: HepaticImpairment = "none"
    alcohol_use: AlcoholUse = "unknown"
    drives: bool | None = None
    medicines: tuple[str, ...] = ()
    dependence_signs: tuple[DependenceSign, ...] = ()
    prior_withdrawal: bool = False
    overdose_signs: tuple[OverdoseSign, ...] = ()
    regimen: Regimen
    monitoring: MonitoringDates = MonitoringDates()

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True,
                              populate_by_name=True)

    @field_validator("medicines", mode="before")
    @classmethod
    def _medicines(cls, v: Any) -> Any:
        if isinstance(v, list | tuple):
            out = []
            for item in v:
                if isinstance(item, Mapping) and isinstance(item.get("name"), str):
                    out.append(item["name"])
                elif isinstance(item, str) and item.strip():
                    out.append(item.strip())
                else:
                    raise ValueError(
                        f"a medicine must be a name or {{\"name\": ...}}, got {item!r}")
            return tuple(out)
        return v

    @model_validator(mode="after")
    def _consistent(self) -> PatientRecord:
        if self.pregnant and self.sex == "male":
            raise ValueError("contradictory facts: pregnant is true but sex is male")
        if self.breastfeeding and self.sex == "male":
            raise ValueError("contradictory facts: breastfeeding is true but sex is male")
        if self.pregnant and self.age_years < 8:
            raise ValueError(f"contradictory facts: pregnant at age {self.age_years:g}")
        for name in ("conditions", "dependence_signs", "overdose_signs"):
            values = getattr(self, name)
            if len(set(values)) != len(values):
                raise ValueError(f"{name} lists a value twice")
        return self

    @classmethod
    def from_json(cls, obj: Any) -> PatientRecord:
        """Validate a patient object; any problem becomes an :class:`InputError`."""
        if not isinstance(obj, Mapping):
            raise InputError("a patient must be a JSON object")
        try:
            return cls.model_validate(obj)
        except ValidationError as exc:
            raise _input_error(exc) from None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = self.model_dump(mode="json", by_alias=True)
        if self.weight_kg is not None:
            data["weight"] = {"value": self.weight_kg, "unit": "kg"}
        return data


def _input_error(exc: ValidationError) -> InputError:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    msg = str(first.get("msg", "invalid"))
    msg = msg.removeprefix("Value error, ")
    if first.get("type") == "literal_error":
        msg = f"{msg} (got {first.get('input')!r})"
    more = f" (and {len(exc.errors()) - 1} more problems)" if len(exc.errors()) > 1 else ""
    return InputError(f"invalid patient: {where or 'record'}: {msg}{more}", field=where or None)
