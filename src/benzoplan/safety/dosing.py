"""Label dosing per indication and person, and start/titration proposals (`benzoplan dose`).

Which dosing applies is read from the drug files' ``indications`` (label and off-label
entries, each sourced) and, for off-label uses without a drug-file entry (insomnia), from
``data/policy.toml`` where the starting dose is a named assumption. Population: the US
clonazepam label doses infants and children up to 10 years or 30 kg per kg of body weight;
older children and adolescents above those limits follow the adult section (a named
assumption); adults 65 and over use the adult section with the Beers caution.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from benzoplan.drugs import Drug, IndicationDosing, get_drug
from benzoplan.drugs.schema import Amount
from benzoplan.errors import DataError, InputError
from benzoplan.safety.knowledge import OffLabelDosing, safety_data
from benzoplan.safety.patient import known_indications
from benzoplan.safety.vocabulary import INDICATION_ALIASES
from benzoplan.units import Concentration, Dose, Volume, ureg

__all__ = [
    "DosingProposal",
    "LabelDosing",
    "ProductOption",
    "TitrationStep",
    "label_dosing",
    "product_options",
    "propose_dosing",
]

Per = Literal["day", "dose"]
Population = Literal["adult", "pediatric", "older_adult"]

_MAX_OPTIONAL_STEPS = 12


def _per_day(a: Amount, weight_kg: float | None) -> tuple[Per, Dose] | None:
    """An amount from a drug file as a Dose per day or per dose (None if it needs a weight)."""
    return _per_day_cached(a.value, a.unit, weight_kg)


@lru_cache(maxsize=4096)
def _per_day_cached(value: float, unit: str, weight_kg: float | None
                    ) -> tuple[Per, Dose] | None:
    # Doses are immutable, so cached results are safe to share; unit algebra is the slow part.
    a = Amount(value=value, unit=unit)
    q = a.quantity()
    mass = ureg.Quantity(1, "mg").dimensionality
    if q.dimensionality == mass:
        return "dose", Dose(float(q.to("mg").magnitude), "mg", allow_zero=True)
    if q.dimensionality == ureg.Quantity(1, "mg/d").dimensionality:
        return "day", Dose(float(q.to("mg/d").magnitude), "mg", allow_zero=True)
    if q.dimensionality == ureg.Quantity(1, "mg/kg/d").dimensionality:
        if weight_kg is None:
            return None
        return "day", Dose(float(q.to("mg/kg/d").magnitude) * weight_kg, "mg", allow_zero=True)
    if q.dimensionality == ureg.Quantity(1, "mg/kg").dimensionality:
        if weight_kg is None:
            return None
        return "dose", Dose(float(q.to("mg/kg").magnitude) * weight_kg, "mg", allow_zero=True)
    raise DataError(f"drug file dosing unit '{a.unit}' is not a dose, a daily dose or a "
                    "per-kg dose")


@dataclass(frozen=True)
class LabelDosing:
    """The dosing that applies to one drug, indication and person (or why none does)."""

    drug: str
    indication: str
    population: Population
    weight_kg: float | None
    entry: IndicationDosing | None
    offlabel: OffLabelDosing | None
    gap: str | None  # why no dosing (or no ceiling) applies; None when complete
    needs_weight: bool
    assumptions: tuple[str, ...]

    @property
    def on_label(self) -> bool:
        return self.entry is not None and self.entry.on_label

    @property
    def found(self) -> bool:
        return self.entry is not None or self.offlabel is not None

    @property
    def source(self) -> str | None:
        if self.entry is not None:
            return self.entry.source
        return self.offlabel.source if self.offlabel is not None else None

    def _amount(self, a: Amount | None) -> tuple[Per, Dose] | None:
        return None if a is None else _per_day(a, self.weight_kg)

    def maximum(self) -> tuple[Per, Dose] | None:
        return self._amount(self.entry.maximum) if self.entry is not None else None

    def start(self, *, conservative: bool = True) -> tuple[Per, Dose] | None:
        if self.entry is not None:
            a = self.entry.start_low if conservative and self.entry.start_low else self.entry.start
            return self._amount(a)
        if self.offlabel is not None:
            return self._amount(self.offlabel.start)
        return None

    def start_ceiling(self) -> tuple[Per, Dose] | None:
        """The highest starting dose the label allows (the upper end of its range)."""
        return self._amount(self.entry.start) if self.entry is not None else None

    def step(self, *, conservative: bool = True) -> Dose | None:
        if self.entry is None:
            return None
        a = self.entry.titration_step_low if conservative and self.entry.titration_step_low \
            else self.entry.titration_step
        got = self._amount(a)
        return None if got is None else got[1]

    @property
    def interval_days(self) -> int | None:
        return self.entry.titration_interval_days if self.entry is not None else None

    def usual(self) -> tuple[Dose | None, Dose | None]:
        if self.entry is None:
            return None, None
        lo, hi = self._amount(self.entry.usual_low), self._amount(self.entry.usual_high)
        return (lo[1] if lo else None), (hi[1] if hi else None)

    @property
    def advised_max_days(self) -> int | None:
        if self.entry is not None and self.entry.max_duration_days is not None:
            return self.entry.max_duration_days
        if self.offlabel is not None:
            return self.offlabel.max_duration_days
        if self.indication == "insomnia":
            return safety_data().policy.advised_duration.insomnia
        return None


def _population(age_years: float | None, weight_kg: float | None
                ) -> tuple[Population, bool, tuple[str, ...]]:
    """(population, weight needed but missing, assumptions used)."""
    policy = safety_data().policy
    if age_years is None:
        return "adult", False, ()
    if age_years < policy.adult.age_years:
        if age_years <= policy.pediatric.age_years_max:
            return "pediatric", weight_kg is None, ()
        if weight_kg is None:
            return "pediatric", True, ()
        if weight_kg <= policy.pediatric.weight_kg_max:
            return "pediatric", False, ()
        return "adult", False, ("adult-dosing-above-pediatric-limits",)
    if age_years >= policy.older_adult.age_years:
        return "older_adult", False, ()
    return "adult", False, ()


def label_dosing(drug: str | Drug, indication: str, *, age_years: float | None = None,
                 weight_kg: float | None = None, market: str = "US") -> LabelDosing:
    """The dosing that applies; never raises for a gap (see :attr:`LabelDosing.gap`)."""
    d = drug if isinstance(drug, Drug) else get_drug(drug)
    population, needs_weight, assumptions = _population(age_years, weight_kg)
    wanted: tuple[str, ...] = ("pediatric",) if population == "pediatric" else (
        ("older_adult", "adult") if population == "older_adult" else ("adult",))
    entries = [i for i in d.indications if i.indication == indication and i.market == market]
    entry = next((i for p in wanted for i in entries if i.population == p), None)
    minor = age_years is not None and age_years < safety_data().policy.adult.age_years
    if minor and not any(i.population == "pediatric" for i in entries):
        # No pediatric section at all: the adult section does not extend to minors.
        entry, population, needs_weight, assumptions = None, "pediatric", False, ()
    offlabel = None
    gap = None
    if entry is None:
        off = safety_data().policy.offlabel_dosing.get(indication)
        if off is not None and off.drug == d.name and not minor:
            offlabel = off
            assumptions = (*assumptions, *( (off.assumption,) if off.assumption else ()))
            gap = f"{indication} is off-label; there is no label maximum"
        elif entries:
            have = ", ".join(sorted({i.population for i in entries}))
            under18 = (" (safety and effectiveness under 18 not established)"
                       if population == "pediatric" else "")
            gap = f"the {market} label gives {indication} dosing only for: {have}{under18}"
        else:
            gap = f"no {market} dosing for {d.name} in {indication}"
    elif needs_weight and any(a is not None and "kg" in a.unit for a in
                              (entry.start, entry.maximum, entry.usual_low)):
        gap = "the label doses children per kg of body weight; the weight is missing"
    elif needs_weight:
        needs_weight = False
    return LabelDosing(drug=d.name, indication=indication, population=population,
                       weight_kg=weight_kg, entry=entry, offlabel=offlabel, gap=gap,
                       needs_weight=needs_weight and gap is not None, assumptions=assumptions)


@dataclass(frozen=True)
class ProductOption:
    """One way to give a dose with a marketed product: ``count`` units or ``volume`` mL."""

    product: str  # the product's label, e.g. "0.5 mg tablet, scored"
    form: str
    count: float | None
    volume: Volume | None
    contains_ethanol: bool
    source: str

    def describe(self) -> str:
        if self.volume is not None:
            return f"{self.volume} of {self.product}"
        n = self.count if self.count is not None else 0
        return f"{'½' if n == 0.5 else f'{n:g}'} × {self.product}"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"product": self.product, "form": self.form,
                                "source": self.source}
        if self.count is not None:
            data["count"] = self.count
        if self.volume is not None:
            data["volume"] = self.volume.to_json()
        if self.contains_ethanol:
            data["contains_ethanol"] = True
        return data


_COUNTS = (1.0, 2.0, 3.0, 4.0)
_HALVES = (0.5, 1.5)


def product_options(drug: str | Drug, dose: Dose, *, market: str = "US",
                    limit: int = 3) -> tuple[ProductOption, ...]:
    """Products of the drug file that give ``dose`` exactly: whole units (up to 4), halves
    of scored tablets, or a volume of an oral solution; fewest units first."""
    d = drug if isinstance(drug, Drug) else get_drug(drug)
    found: list[tuple[tuple[float, int, bool, str], ProductOption]] = []
    for p in d.products_for(market):
        if p.form in ("oral_solution", "oral_drops"):
            conc = Concentration(p.strength.value, p.strength.unit)
            vol = dose / conc
            opt = ProductOption(p.label(), p.form, None, vol, p.contains_ethanol, p.source)
            found.append(((99.0, 1, True, p.label()), opt))
            continue
        unit = p.unit_dose().mg
        counts = _COUNTS + (_HALVES if p.splittable else ())
        for n in counts:
            if abs(n * unit - dose.mg) <= 1e-9 * max(1.0, dose.mg):
                opt = ProductOption(p.label(), p.form, n, None, False, p.source)
                key = (0.0 if n.is_integer() else 1.0, int(n * 2), p.form != "tablet", p.label())
                found.append((key, opt))
    found.sort(key=lambda x: x[0])
    return tuple(opt for _, opt in found[:limit])


@dataclass(frozen=True)
class TitrationStep:
    day: int
    daily_total: Dose
    if_needed: bool  # beyond the usual target: only if response is insufficient
    per_dose: Dose
    products: tuple[ProductOption, ...]  # ways to give per_dose; empty if none exactly

    def to_json(self) -> dict[str, Any]:
        return {"day": self.day, "daily_total": self.daily_total.to_json(),
                "if_needed": self.if_needed, "per_dose": self.per_dose.to_json(),
                "products": [o.to_json() for o in self.products]}


@dataclass(frozen=True)
class DosingProposal:
    drug: str
    indication: str
    population: Population
    on_label: bool
    start: Dose
    start_per: Per
    divided_doses: int | None
    timing: str | None
    per_dose: Dose
    start_products: tuple[ProductOption, ...]
    titration: tuple[TitrationStep, ...]
    maximum: Dose | None
    maximum_per: Per | None
    max_duration_days: int | None
    source: str
    notes: tuple[str, ...]
    assumptions: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        data = safety_data()
        return {
            "drug": self.drug,
            "indication": self.indication,
            "population": self.population,
            "on_label": self.on_label,
            "start": self.start.to_json(),
            "start_per": self.start_per,
            "divided_doses": self.divided_doses,
            "timing": self.timing,
            "per_dose": self.per_dose.to_json(),
            "start_products": [o.to_json() for o in self.start_products],
            "titration": [s.to_json() for s in self.titration],
            "maximum": self.maximum.to_json() if self.maximum is not None else None,
            "maximum_per": self.maximum_per,
            "max_duration_days": self.max_duration_days,
            "sources": [_source_json(self.source)],
            "notes": list(self.notes),
            "assumptions": [{"name": a, "text": data.policy.assumptions[a].text}
                            for a in self.assumptions],
        }


def _source_json(key: str) -> dict[str, Any]:
    s = safety_data().cite(key)
    return {"key": key, "title": s.title, "url": s.url}


def _r(mg: float) -> Dose:
    return Dose(round(mg, 4), "mg", allow_zero=True)


def propose_dosing(drug: str, indication: str, *, weight_kg: float | None = None,
                   age_years: float | None = None, market: str = "US") -> DosingProposal:
    """A conservative start and titration schedule within the label ceilings.

    Weight-based where the label is (children up to 10 years or 30 kg); raises
    :class:`InputError` when no dosing applies or a needed weight is missing.
    """
    if age_years is not None and not 0 <= age_years <= 130:
        raise InputError(f"age {age_years:g} years is outside 0–130", field="age")
    if weight_kg is not None and not 0 < weight_kg <= 400:
        raise InputError(f"weight {weight_kg:g} kg is outside (0, 400] kg", field="weight")
    key = "-".join(indication.strip().lower().split())
    key = INDICATION_ALIASES.get(key, key)
    if key not in known_indications():
        raise InputError(f"unknown indication '{indication}'; known: "
                         f"{', '.join(sorted(known_indications()))}", field="indication")
    ld = label_dosing(drug, key, age_years=age_years, weight_kg=weight_kg, market=market)
    if ld.needs_weight:
        raise InputError(f"{ld.gap}: give --weight", field="weight")
    if not ld.found:
        raise InputError(f"no dosing to propose: {ld.gap}", field="indication")
    start = ld.start()
    if start is None:
        raise InputError(f"the {market} label doses {ld.drug} for {key} per kg of body weight; "
                         "give --weight", field="weight")
    start_per, start_dose = start
    mx = ld.maximum()
    divided = (ld.entry.divided_doses if ld.entry is not None else None) or 1

    def step_at(day: int, total: float, if_needed: bool) -> TitrationStep:
        each = _r(total / divided)
        return TitrationStep(day, _r(total), if_needed, each,
                             product_options(ld.drug, each, market=market))

    notes: list[str] = []
    steps: list[TitrationStep] = []
    # Up to the usual target the label's own step (panic: 1 mg/day on day 3); beyond it, only
    # if needed, the conservative low end of the label's step range, up to the maximum.
    step, slow, interval = ld.step(conservative=False), ld.step(), ld.interval_days
    # Without a label maximum, the titration stops at the upper usual dose.
    usual_low, usual_high = ld.usual()
    top = (mx[1], "label maximum") if mx is not None and mx[0] == "day" else (
        (usual_high, "upper usual dose") if usual_high is not None else None)
    if top is not None and start_per == "day" and step is not None and slow is not None \
            and interval is not None and step.mg > 0 and slow.mg > 0:
        target, (ceiling_dose, ceiling_name) = usual_low, top
        ceiling = ceiling_dose.mg
        day, total = 0, start_dose.mg
        steps.append(step_at(0, total, False))
        optional = 0
        while total + 1e-9 < ceiling and optional < _MAX_OPTIONAL_STEPS:
            day += interval
            to_target = target is not None and total + 1e-9 < target.mg
            if to_target:
                assert target is not None
                total = min(total + step.mg, target.mg)
            else:
                total = min(total + slow.mg, ceiling)
                optional += 1
            steps.append(step_at(day, total, not to_target))
        if total + 1e-9 < ceiling:
            by = f"{slow}" if slow == step else f"{slow}–{step}"
            notes.append(f"If needed, continue +{by} per day every {interval} days up to the "
                         f"{ceiling_name} of {ceiling_dose} per day.")
    if ld.entry is not None:
        notes.extend(ld.entry.notes)
    if ld.offlabel is not None:
        notes.extend(ld.offlabel.notes)
    if ld.population == "older_adult":
        notes.append("Age ≥ 65: Beers Criteria advise avoiding benzodiazepines; if used, start "
                     "at the lowest dose and titrate slowly.")
    per_dose = _r(start_dose.mg / divided) if start_per == "day" else _r(start_dose.mg)
    start_products = product_options(ld.drug, per_dose, market=market)
    if not start_products:
        notes.append(f"No {market} product gives {per_dose} per dose exactly; round with the "
                     "taper planner's product rounding or use an oral solution where one is "
                     "marketed.")
    return DosingProposal(
        drug=ld.drug, indication=key, population=ld.population, on_label=ld.on_label,
        start=_r(start_dose.mg), start_per=start_per, per_dose=per_dose,
        start_products=start_products,
        divided_doses=ld.entry.divided_doses if ld.entry is not None else None,
        timing=ld.offlabel.timing if ld.offlabel is not None else None,
        titration=tuple(steps),
        maximum=_r(mx[1].mg) if mx is not None else None,
        maximum_per=mx[0] if mx is not None else None,
        max_duration_days=ld.advised_max_days,
        source=ld.source or "", notes=tuple(notes), assumptions=ld.assumptions,
    )

