"""Schema of the drug data files (``drugs/data/<name>.toml``) and the bibliography.

Grammar, in short (see ``data/clonazepam.toml`` for a complete example):

* every fact is a table carrying ``source = "<key>"``; the key must resolve in
  ``data/bibliography.toml``. A list of plain facts (adverse effects, …) is a table
  ``{ items = [...], source = "<key>" }``.
* a measured value is ``{ typical = x, low = a, high = b, unit = "<UCUM>", source = … }``;
  an amount is ``{ value = x, unit = "<UCUM>" }``.
* units are UCUM strings parsed by :mod:`benzoplan.units`; fractions use unit ``"1"``.
* ``[[pk_models]]`` (at the end of a drug file): linear models with first-order absorption,
  one named ``default``; each parameter ``{ value, unit, source }`` or, where the literature
  gives no number, ``assumed = true`` with a ``note``; IIV as ``iiv.<param> = { cv, ... }``.

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


PKParameterName = Literal["ka", "tmax", "cl", "half_life", "v", "vc", "q", "vp", "f"]
_MODEL_PARAMETERS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    # kind -> (required, optional). A one-compartment model derived from label facts may give
    # tmax instead of ka (ka is then solved from Tmax) and half_life instead of cl
    # (CL = ln 2 · V / t½).
    "one-compartment": (frozenset({"v"}), frozenset({"ka", "tmax", "cl", "half_life", "f"})),
    "two-compartment": (frozenset({"ka", "cl", "vc", "q", "vp"}), frozenset({"f"})),
}
_PARAMETER_DIMENSION = {
    "ka": "1/h", "cl": "L/h", "q": "L/h", "v": "L", "vc": "L", "vp": "L", "f": "1",
    "half_life": "h", "tmax": "h",
}


def _sourced_or_assumed(source: str | None, assumed: bool, what: str) -> None:
    if source is None and not assumed:
        raise ValueError(f"{what} needs a source, or assumed = true with a note saying why")


class PKParameter(_Frozen):
    """One model parameter. A unit per kg (``L/kg``, ``L/h/kg``) scales linearly with body
    weight; an absolute unit scales as (weight / reference weight) ** ``weight_exponent``."""

    value: float = Field(gt=0)
    unit: str
    source: str | None = None
    assumed: bool = False
    weight_exponent: float | None = Field(default=None, ge=0, le=2)
    note: str | None = None

    @field_validator("unit")
    @classmethod
    def _unit_known(cls, v: str) -> str:
        ureg.Unit(v)
        return v

    @model_validator(mode="after")
    def _provenance(self) -> PKParameter:
        _sourced_or_assumed(self.source, self.assumed, "a PK model parameter")
        return self

    @property
    def per_kg(self) -> bool:
        q = ureg.Quantity(1, self.unit)
        return bool(q.dimensionality.get("[mass]", 0) == -1)

    def in_unit(self, unit: str) -> float:
        """The value in ``unit`` (per kg if the parameter is per kg: pass e.g. ``L/kg``)."""
        return float(ureg.Quantity(self.value, self.unit).to(unit).magnitude)


class Variability(_Frozen):
    """Log-normal inter-individual variability of one parameter, as a coefficient of variation."""

    cv: float = Field(gt=0, le=2)
    source: str | None = None
    assumed: bool = False
    note: str | None = None

    @model_validator(mode="after")
    def _provenance(self) -> Variability:
        _sourced_or_assumed(self.source, self.assumed, "an IIV coefficient of variation")
        return self


class MetaboliteModel(Sourced):
    """An active metabolite in a linear chain: ``fraction_formed`` of the elimination (mass)
    of the parent, or of the earlier metabolite named in ``formed_from``, enters a
    one-compartment disposition."""

    name: str
    formed_from: str | None = None
    fraction_formed: PKParameter
    half_life: PKParameter
    volume: PKParameter
    relative_potency: PKParameter

    @model_validator(mode="after")
    def _bounds(self) -> MetaboliteModel:
        if self.fraction_formed.in_unit("1") > 1:
            raise ValueError(f"metabolite {self.name}: fraction formed above 1")
        if not 0 < self.half_life.in_unit("h") <= 1000:
            raise ValueError(f"metabolite {self.name}: half-life outside (0, 1000] h")
        if self.relative_potency.in_unit("1") > 100:
            raise ValueError(f"metabolite {self.name}: relative potency above 100")
        return self


class PKModel(Sourced):
    """A published (or label-derived) linear model with first-order absorption.

    ``apparent = true`` means clearances and volumes are apparent oral values (CL/F, V/F):
    ``f`` is then the relative bioavailability (1 unless it carries variability)."""

    name: str
    kind: Literal["one-compartment", "two-compartment"]
    default: bool = False
    apparent: bool = False
    reference_weight: Amount | None = None
    parameters: dict[PKParameterName, PKParameter]
    iiv: dict[PKParameterName, Variability] = Field(default_factory=dict)
    metabolites: tuple[MetaboliteModel, ...] = ()

    @model_validator(mode="after")
    def _complete(self) -> PKModel:
        required, optional = _MODEL_PARAMETERS[self.kind]
        given = set(self.parameters)
        if missing := required - given:
            raise ValueError(f"model {self.name}: missing parameters {sorted(missing)}")
        if extra := given - required - optional:
            raise ValueError(f"model {self.name}: unexpected parameters {sorted(extra)}")
        if self.kind == "one-compartment":
            for pair in (("cl", "half_life"), ("ka", "tmax")):
                if len(given & set(pair)) != 1:
                    raise ValueError(f"model {self.name}: give exactly one of {' and '.join(pair)}")
        if unknown := set(self.iiv) - given - {"cl", "ka"}:
            raise ValueError(f"model {self.name}: variability on absent {sorted(unknown)}")
        for key, p in self.parameters.items():
            dim = ureg.Quantity(1, _PARAMETER_DIMENSION[key]).dimensionality
            q = ureg.Quantity(1, p.unit)
            if p.per_kg:
                q = q * ureg.Quantity(1, "kg")
            if q.dimensionality != dim:
                raise ValueError(f"model {self.name}: {key} in '{p.unit}' is not a "
                                 f"{_PARAMETER_DIMENSION[key]} quantity")
            if p.weight_exponent is not None and (p.per_kg or self.reference_weight is None):
                raise ValueError(f"model {self.name}: {key} weight_exponent needs an absolute "
                                 "unit and a reference_weight")
        earlier: set[str] = set()
        for met in self.metabolites:
            if met.formed_from is not None and met.formed_from not in earlier:
                raise ValueError(f"model {self.name}: metabolite {met.name} is formed from "
                                 f"'{met.formed_from}', which is not an earlier metabolite")
            earlier.add(met.name)
        if "f" in self.parameters and not 0 < self.parameters["f"].in_unit("1") <= 1:
            raise ValueError(f"model {self.name}: f outside (0, 1]")
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
    age_limit_years: float | None = None  # upper age bound of the row ("up to 10 years")
    min_age_years: float | None = Field(default=None, ge=0)  # lower bound ("2 years and older")
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
    pk_models: tuple[PKModel, ...] = ()

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _one_default_model(self) -> Drug:
        names = [m.name for m in self.pk_models]
        if len(set(names)) != len(names):
            raise ValueError(f"PK model names repeat: {names}")
        if sum(m.default for m in self.pk_models) > 1:
            raise ValueError("more than one PK model is marked default")
        return self

    def products_for(self, market: str | None = None) -> tuple[Product, ...]:
        return tuple(p for p in self.products if market is None or p.market == market)

    def brand_names(self) -> tuple[str, ...]:
        return tuple(b.name for b in self.brands)


def iter_sources(obj: Any) -> list[str]:
    """Every ``source`` key referenced anywhere inside a model (for integrity checks)."""
    found: list[str] = []
    if isinstance(obj, BaseModel) and isinstance(getattr(obj, "source", None), str):
        found.append(obj.source)  # type: ignore[attr-defined]
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
