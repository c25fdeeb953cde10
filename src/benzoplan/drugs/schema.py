"""Schema of the drug data files (``drugs/data/<name>.toml``) and the bibliography.

Grammar, in short (see ``data/clonazepam.toml`` for a complete example):

* every fact is a table carrying ``source = "<key>"``; the key must resolve in
  ``data/bibliography.toml``. A list of plain facts (adverse effects, …) is a table
  ``{ items = [...], source = "<key>" }``.
* a measured value is ``{ typical = x, low = a, high = b, unit = "<UCUM>", source = … }``;
  an amount is ``{ value = x, unit = "<UCUM>" }``.
* units are UCUM strings parsed by :mod:`benzoplan.units`; fractions use unit ``"1"``.

Physiological bounds are checked here, so a typo such as a half-life of 3500 h fails at load.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from benzoplan.units import Dose, PintQuantity, ureg

Market = Literal["US", "UK", "AU", "ES", "EU", "CA"]
Form = Literal["tablet", "odt", "oral_solution", "capsule", "oral_drops"]
Population = Literal["adult", "pediatric", "older_adult"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(_Frozen):
    """One entry of the bibliography."""

    key: str
    kind: Literal["label", "smpc", "guideline", "paper", "book", "database", "secondary"]
    title: str
    authors: str | None = None
    publisher: str | None = None
    year: int | None = None
    url: str | None = None
    doi: str | None = None
    identifier: str | None = None
    accessed: dt.date | None = None
    note: str | None = None


class Sourced(_Frozen):
    source: str
    note: str | None = None


class SourcedText(Sourced):
    text: str


class SourcedCode(Sourced):
    code: str


class SourcedList(Sourced):
    items: tuple[str, ...] = Field(min_length=1)


class Amount(_Frozen):
    value: float = Field(ge=0)
    unit: str

    @field_validator("unit")
    @classmethod
    def _unit_known(cls, v: str) -> str:
        ureg.Unit(v)  # raises on an unknown unit
        return v

    def quantity(self) -> PintQuantity:
        return ureg.Quantity(self.value, self.unit)


class Measured(Sourced):
    """A measured parameter: typical value and the reported range."""

    typical: float
    low: float | None = None
    high: float | None = None
    unit: str

    @field_validator("unit")
    @classmethod
    def _unit_known(cls, v: str) -> str:
        ureg.Unit(v)
        return v

    @model_validator(mode="after")
    def _ordered(self) -> Measured:
        lo = self.low if self.low is not None else self.typical
        hi = self.high if self.high is not None else self.typical
        if not lo <= self.typical <= hi:
            raise ValueError(f"need low <= typical <= high, got {lo}, {self.typical}, {hi}")
        return self

    def quantity(self, which: Literal["typical", "low", "high"] = "typical") -> PintQuantity:
        v = getattr(self, which)
        return ureg.Quantity(self.typical if v is None else v, self.unit)

    def in_unit(self, unit: str, which: Literal["typical", "low", "high"] = "typical") -> float:
        return float(self.quantity(which).to(unit).magnitude)


def _bounded(m: Measured | None, unit: str, lo: float, hi: float, what: str) -> None:
    if m is None:
        return
    whiches: tuple[Literal["typical", "low", "high"], ...] = ("typical", "low", "high")
    for which in whiches:
        if getattr(m, which) is None:
            continue
        v = m.in_unit(unit, which)
        if not lo < v <= hi:
            raise ValueError(f"{what} {which} = {v} {unit} is outside ({lo}, {hi}] {unit}")


class Brand(Sourced):
    name: str
    markets: tuple[Market, ...] = Field(min_length=1)


class Metabolite(Sourced):
    name: str
    active: bool
    half_life: Measured | None = None
    fraction_formed: float | None = Field(default=None, gt=0, le=1)

    @model_validator(mode="after")
    def _bounds(self) -> Metabolite:
        _bounded(self.half_life, "h", 0, 500, f"metabolite {self.name} half-life")
        return self


class PK(_Frozen):
    bioavailability: Measured
    tmax: Measured
    half_life: Measured
    volume_of_distribution: Measured
    clearance: Measured | None = None
    absorption_half_life: Measured | None = None
    protein_binding: Measured
    metabolism: SourcedText
    metabolites: tuple[Metabolite, ...] = ()

    @model_validator(mode="after")
    def _bounds(self) -> PK:
        _bounded(self.bioavailability, "1", 0, 1, "bioavailability")
        _bounded(self.tmax, "h", 0, 24, "Tmax")
        _bounded(self.half_life, "h", 0, 500, "half-life")
        _bounded(self.volume_of_distribution, "L/kg", 0, 20, "volume of distribution")
        _bounded(self.clearance, "L/h", 0, 200, "clearance")
        _bounded(self.absorption_half_life, "h", 0, 12, "absorption half-life")
        _bounded(self.protein_binding, "1", 0, 1, "protein binding")
        return self


class EquivalenceValue(Sourced):
    """The dose of this drug equivalent to diazepam 10 mg in one named table."""

    table: str
    dose: Amount
    low: Amount | None = None
    high: Amount | None = None

    @model_validator(mode="after")
    def _bounds(self) -> EquivalenceValue:
        for a in (self.dose, self.low, self.high):
            if a is not None:
                mg = Dose(a.value, a.unit).mg
                if not 0 < mg <= 200:
                    raise ValueError(f"equivalent dose {mg} mg is outside (0, 200] mg")
        return self


class Equivalence(_Frozen):
    default: str
    values: tuple[EquivalenceValue, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _default_present(self) -> Equivalence:
        tables = [v.table for v in self.values]
        if len(set(tables)) != len(tables):
            raise ValueError(f"equivalence tables repeat: {tables}")
        if self.default not in tables:
            raise ValueError(f"default table '{self.default}' is not among {tables}")
        return self

    def get(self, table: str | None = None) -> EquivalenceValue:
        name = table or self.default
        for v in self.values:
            if v.table == name:
                return v
        raise KeyError(name)


class Product(Sourced):
    market: Market
    form: Form
    strength: Amount
    scored: bool = False
    brand: str | None = None
    volume_per_unit: Amount | None = None  # for "0.5 mg/5 mL": 5 mL
    may_split: bool | None = None
    contains_ethanol: bool = False

    @model_validator(mode="after")
    def _strength_kind(self) -> Product:
        q = self.strength.quantity()
        if self.form in ("oral_solution", "oral_drops"):
            mass_per_volume = ureg.Quantity(1, "mg/mL").dimensionality
            if q.dimensionality != mass_per_volume:
                raise ValueError(f"{self.form} strength needs mg/mL, got {self.strength.unit}")
        else:
            if q.dimensionality != ureg.Quantity(1, "mg").dimensionality:
                raise ValueError(f"{self.form} strength needs a mass, got {self.strength.unit}")
            if self.form == "odt" and self.scored:
                raise ValueError("orally disintegrating tablets are not scored")
        return self

    @property
    def splittable(self) -> bool:
        return self.scored if self.may_split is None else self.may_split

    def unit_dose(self) -> Dose:
        """The strength of one tablet/ODT/capsule (not defined for liquids)."""
        if self.form in ("oral_solution", "oral_drops"):
            raise ValueError("a liquid has a concentration, not a unit dose")
        return Dose(self.strength.value, self.strength.unit)

    def label(self) -> str:
        s = f"{self.strength.value:g} {self.strength.unit}"
        if self.volume_per_unit is not None:
            s = f"{s} ({self.volume_per_unit.value:g} {self.volume_per_unit.unit})"
        words = {"odt": "orally disintegrating tablet", "oral_solution": "oral solution",
                 "oral_drops": "oral drops"}
        form = words.get(self.form, self.form)
        return f"{s} {form}{', scored' if self.scored else ''}"


class IndicationDosing(Sourced):
    """Label (or off-label guideline) dosing for one indication and population.

    Amounts are per day (``mg/d``) or per kg per day (``mg/kg/d``); a single-dose amount
    uses ``mg``. ``on_label`` tells label indications from off-label ones.
    """

    indication: str
    population: Population
    market: Market
    on_label: bool
    start: Amount
    start_low: Amount | None = None
    divided_doses: int | None = Field(default=None, ge=1, le=6)
    titration_step: Amount | None = None
    titration_step_low: Amount | None = None
    titration_interval_days: int | None = Field(default=None, ge=1)
    usual_low: Amount | None = None
    usual_high: Amount | None = None
    maximum: Amount | None = None
    max_duration_days: int | None = Field(default=None, ge=1)
    weight_limit: Amount | None = None
    age_limit_years: float | None = None
    discontinuation: SourcedText | None = None
    notes: tuple[str, ...] = ()


class MonitoringItem(Sourced):
    test: str
    when: str
    loinc: str | None = None


class Drug(_Frozen):
    name: str
    drug_class: Literal["benzodiazepine", "z-drug"] = Field(alias="class")
    mechanism: SourcedText
    atc: SourcedCode
    rxnorm: SourcedCode | None = None  # None: no RxNorm ingredient code could be sourced
    synonyms: tuple[str, ...] = ()
    brands: tuple[Brand, ...] = ()
    pk: PK
    equivalence: Equivalence
    products: tuple[Product, ...] = ()
    indications: tuple[IndicationDosing, ...] = ()
    effects: SourcedList
    adverse_effects_common: SourcedList
    adverse_effects_serious: SourcedList
    overdose_signs: SourcedList
    withdrawal_symptoms: SourcedList
    monitoring: tuple[MonitoringItem, ...] = ()
    pk_models: tuple[dict[str, Any], ...] = ()

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    def products_for(self, market: str | None = None) -> tuple[Product, ...]:
        return tuple(p for p in self.products if market is None or p.market == market)

    def brand_names(self) -> tuple[str, ...]:
        return tuple(b.name for b in self.brands)


def iter_sources(obj: Any) -> list[str]:
    """Every ``source`` key referenced anywhere inside a model (for integrity checks)."""
    found: list[str] = []
    if isinstance(obj, Sourced):
        found.append(obj.source)
    if isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            found.extend(iter_sources(getattr(obj, name)))
    elif isinstance(obj, tuple | list):
        for item in obj:
            found.extend(iter_sources(item))
    elif isinstance(obj, dict):
        if isinstance(obj.get("source"), str):
            found.append(obj["source"])
        for v in obj.values():
            found.extend(iter_sources(v))
    return found
