"""The taper plan's immutable value types and their JSON form (issue 7's contract)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

from benzoplan.errors import InputError, UnitError
from benzoplan.taper._products import ProductOptions, ProductRef, exact
from benzoplan.units import Concentration, Dose, quantity_json

__all__ = [
    "Administration",
    "DispensingItem",
    "Fill",
    "Revision",
    "ScheduledDose",
    "StepKind",
    "StepLimit",
    "Strategy",
    "TaperFinding",
    "TaperRequest",
    "TaperStep",
]

Strategy = Literal["fixed-fraction", "hyperbolic", "linear", "crossover"]
StepKind = Literal["taper", "crossover", "hold", "stop"]
# the same severity words as the safety findings (benzoplan.safety), most severe first
Severity = Literal["contraindicated", "major", "moderate", "minor", "info"]
STRATEGIES: tuple[str, ...] = ("fixed-fraction", "hyperbolic", "linear", "crossover")
DoseOrder = Literal["balanced", "night-last"]
# how a step's deviation begins when the products forced a step larger than the limit
FORCED = "no givable dose lies within the step limit;"


def _q(mg: Fraction | float, unit: str = "mg") -> dict[str, Any]:
    return quantity_json(float(mg), unit)


def _mg(obj: Mapping[str, Any]) -> Fraction:
    if obj.get("unit") == "ug":
        return exact(obj["value"]) / 1000
    if obj.get("unit") != "mg":
        raise InputError(f"expected a dose in mg, got {obj!r}")
    return exact(obj["value"])


def _hhmm(t: dt.time) -> str:
    return t.strftime("%H:%M")


def parse_time(text: str) -> dt.time:
    try:
        return dt.time.fromisoformat(text.strip())
    except ValueError as exc:
        raise InputError(f"time '{text}' is not HH:MM, e.g. 08:00", field="at") from exc


@dataclass(frozen=True)
class StepLimit:
    """The largest step allowed: a fraction of the current daily dose, or an amount per day."""

    fraction: Fraction | None = None
    amount: Dose | None = None

    def __post_init__(self) -> None:
        if (self.fraction is None) == (self.amount is None):
            raise InputError("a step limit is either a percentage or an amount per day",
                             field="max_step")
        if self.fraction is not None and not 0 < self.fraction < 1:
            raise InputError(f"the maximum step must be above 0% and below 100%, got "
                             f"{float(self.fraction) * 100:g}%", field="max_step")
        if self.amount is not None and self.amount.is_zero():
            raise InputError("the maximum step must be more than 0 mg", field="max_step")

    @classmethod
    def parse(cls, text: str) -> StepLimit:
        t = text.strip()
        if t.endswith("%"):
            try:
                pct = Fraction(t[:-1].strip())
            except ValueError as exc:
                raise InputError(f"maximum step '{text}' is not a percentage such as '10%'",
                                 field="max_step") from exc
            return cls(fraction=pct / 100)
        try:
            return cls(amount=Dose(t))
        except UnitError as exc:
            raise UnitError(f"maximum step: {exc.message} (give a percentage such as '10%' "
                            "or an amount per day such as '0.25 mg')", field="max_step") from exc

    def describe(self) -> str:
        if self.fraction is not None:
            return f"{float(self.fraction) * 100:g}% of the current daily dose"
        assert self.amount is not None
        return f"{self.amount} per day"

    def to_json(self) -> dict[str, Any]:
        if self.fraction is not None:
            return _q(self.fraction * 100, "%")
        assert self.amount is not None
        return self.amount.to_json()

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> StepLimit:
        if obj.get("unit") == "%":
            return cls(fraction=exact(obj["value"]) / 100)
        try:
            return cls(amount=Dose.from_json(obj))
        except UnitError as exc:
            raise UnitError(f"maximum step: {exc.message} (give a percentage such as "
                            "{\"value\": 10, \"unit\": \"%\"} or an amount per day in mg)",
                            field="max_step") from exc


@dataclass(frozen=True)
class ScheduledDose:
    """One dose of the current regimen: clock time and amount."""

    time: dt.time
    dose: Dose

    def to_json(self) -> dict[str, Any]:
        return {"time": _hhmm(self.time), "dose": self.dose.to_json()}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> ScheduledDose:
        return cls(time=parse_time(obj["time"]), dose=Dose.from_json(obj["dose"]))


@dataclass(frozen=True)
class PatientFactors:
    """Factors that call for a slower taper (joint guideline 2025)."""

    seizure_history: bool = False
    age: int | None = None
    prior_failed_taper: bool = False
    substance_use_disorder: bool = False
    insomnia: bool = False

    def __post_init__(self) -> None:
        if self.age is not None and not 0 <= self.age <= 120:
            raise InputError(f"age {self.age} is outside 0–120 years", field="age")

    def to_json(self) -> dict[str, Any]:
        return {"seizure_history": self.seizure_history, "age": self.age,
                "prior_failed_taper": self.prior_failed_taper,
                "substance_use_disorder": self.substance_use_disorder,
                "insomnia": self.insomnia}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> PatientFactors:
        return cls(**obj)


@dataclass(frozen=True)
class TaperRequest:
    """Everything the planner needs: the current regimen, the patient, the clinician's choices.

    ``max_step`` limits every step (the final step to zero excepted, which is taken only from
    the smallest givable dose). ``then`` is the strategy of the diazepam taper after a
    crossover. ``equivalence`` names the table used to substitute (default: the drug's
    default table) and ``report_table`` the one used for diazepam-equivalent totals.
    """

    drug: str
    doses: tuple[ScheduledDose, ...]
    start: dt.date
    strategy: Strategy = "fixed-fraction"
    interval_days: int = 14
    max_step: StepLimit = field(default_factory=lambda: StepLimit(fraction=Fraction(1, 10)))
    years_of_use: float = 1.0
    indication: str | None = None
    factors: PatientFactors = field(default_factory=PatientFactors)
    market: str = "US"
    products: ProductOptions = field(default_factory=ProductOptions)
    to: str = "diazepam"
    then: Strategy = "fixed-fraction"
    equivalence: str | None = None
    report_table: str | None = None
    target_products: ProductOptions = field(default_factory=ProductOptions)
    crossover_days: int = 7
    dose_order: DoseOrder | None = None
    effect_step: float | None = None
    ec50: Concentration | None = None
    fill_days: int = 28

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise InputError(f"unknown strategy '{self.strategy}'; choose one of "
                             f"{', '.join(STRATEGIES)}", field="strategy")
        if self.then not in STRATEGIES or self.then == "crossover":
            raise InputError("the taper after a crossover is fixed-fraction, hyperbolic or "
                             "linear", field="then")
        if not self.doses:
            raise InputError("the current regimen has no doses", field="dose")
        times = [d.time for d in self.doses]
        if len(set(times)) != len(times):
            raise InputError("two doses are given at the same time", field="at")
        if any(d.dose.is_zero() for d in self.doses):
            raise InputError("every dose of the current regimen must be above zero",
                             field="dose")
        for name, v, hi in (("interval", self.interval_days, 365),
                            ("crossover stage", self.crossover_days, 365),
                            ("fill period", self.fill_days, 366)):
            if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= hi:
                raise InputError(f"the {name} must be 1–{hi} days, got {v!r}",
                                 field=name.replace(" ", "_"))
        if not 0 <= self.years_of_use <= 100:
            raise InputError(f"years of use {self.years_of_use} is outside 0–100",
                             field="years")
        if self.effect_step is not None and not 0 < self.effect_step < 100:
            raise InputError("the effect step must be between 0 and 100 percentage points",
                             field="effect_step")
        if self.dose_order not in (None, "balanced", "night-last"):
            raise InputError("dose order is 'balanced' or 'night-last'", field="dose_order")

    @property
    def sorted_doses(self) -> tuple[ScheduledDose, ...]:
        return tuple(sorted(self.doses, key=lambda d: d.time))

    @property
    def insomnia(self) -> bool:
        return self.factors.insomnia or (self.indication or "").lower() == "insomnia"

    @property
    def order(self) -> DoseOrder:
        if self.dose_order is not None:
            return self.dose_order
        return "night-last" if self.insomnia else "balanced"

    def to_json(self) -> dict[str, Any]:
        return {
            "drug": self.drug,
            "doses": [d.to_json() for d in self.sorted_doses],
            "start": self.start.isoformat(),
            "strategy": self.strategy,
            "interval": _q(self.interval_days, "d"),
            "max_step": self.max_step.to_json(),
            "years_of_use": self.years_of_use,
            "indication": self.indication,
            "factors": self.factors.to_json(),
            "market": self.market,
            "products": self.products.to_json(),
            "to": self.to,
            "then": self.then,
            "equivalence": self.equivalence,
            "report_table": self.report_table,
            "target_products": self.target_products.to_json(),
            "crossover_stage": _q(self.crossover_days, "d"),
            "dose_order": self.dose_order,
            "effect_step": self.effect_step,
            "ec50": None if self.ec50 is None else self.ec50.to_json("ng/mL"),
            "fill": _q(self.fill_days, "d"),
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> TaperRequest:
        return cls(
            drug=obj["drug"],
            doses=tuple(ScheduledDose.from_json(d) for d in obj["doses"]),
            start=dt.date.fromisoformat(obj["start"]),
            strategy=obj["strategy"],
            interval_days=int(obj["interval"]["value"]),
            max_step=StepLimit.from_json(obj["max_step"]),
            years_of_use=float(obj["years_of_use"]),
            indication=obj["indication"],
            factors=PatientFactors.from_json(obj["factors"]),
            market=obj["market"],
            products=ProductOptions.from_json(obj["products"]),
            to=obj["to"],
            then=obj["then"],
            equivalence=obj["equivalence"],
            report_table=obj["report_table"],
            target_products=ProductOptions.from_json(obj["target_products"]),
            crossover_days=int(obj["crossover_stage"]["value"]),
            dose_order=obj["dose_order"],
            effect_step=obj["effect_step"],
            ec50=None if obj["ec50"] is None else Concentration.from_json(obj["ec50"]),
            fill_days=int(obj["fill"]["value"]),
        )


@dataclass(frozen=True)
class Administration:
    """One thing to take at one time: a count of tablets or a volume of one product."""

    time: dt.time
    drug: str
    product: ProductRef
    dose_mg: Fraction
    count: Fraction | None = None
    volume_ml: Fraction | None = None

    @property
    def dose(self) -> Dose:
        return Dose(float(self.dose_mg), "mg")

    def describe(self) -> str:
        from benzoplan.taper._products import Portion

        return Portion(self.product, self.dose_mg, self.count, self.volume_ml).describe()

    def short(self) -> str:
        from benzoplan.taper._products import Portion

        return Portion(self.product, self.dose_mg, self.count, self.volume_ml).short()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"time": _hhmm(self.time), "drug": self.drug,
                               "product": self.product.to_json()}
        if self.volume_ml is not None:
            out["volume"] = _q(self.volume_ml, "mL")
        else:
            assert self.count is not None
            out["count"] = _num(self.count)
        out["dose"] = _q(self.dose_mg)
        return out

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Administration:
        return cls(time=parse_time(obj["time"]), drug=obj["drug"],
                   product=ProductRef.from_json(obj["product"]), dose_mg=_mg(obj["dose"]),
                   count=exact(obj["count"]) if "count" in obj else None,
                   volume_ml=exact(obj["volume"]["value"]) if "volume" in obj else None)


def _num(v: Fraction) -> int | float:
    f = float(v)
    return int(f) if f.is_integer() else float(format(f, ".12g"))


@dataclass(frozen=True)
class TaperStep:
    """One period on one daily regimen."""

    index: int
    kind: StepKind
    start: dt.date
    days: int
    drug: str
    administrations: tuple[Administration, ...]
    totals: tuple[tuple[str, Fraction], ...]
    daily_total_mg: Fraction
    diazepam_equivalent_mg: Fraction
    reduction_mg: Fraction
    reduction_percent: float
    cumulative_reduction_percent: float
    occupancy: float | None
    effect: float | None
    reason: str
    deviation: str | None = None
    base_days: int = 0

    @property
    def end(self) -> dt.date:
        """The last day of this step (inclusive); a stop step starts and ends on its day."""
        return self.start + dt.timedelta(days=max(self.days, 1) - 1)

    @property
    def daily_total(self) -> Dose:
        return Dose(float(self.daily_total_mg), "mg", allow_zero=True)

    @property
    def diazepam_equivalent(self) -> Dose:
        return Dose(float(self.diazepam_equivalent_mg), "mg", allow_zero=True)

    def total_of(self, drug: str) -> Fraction:
        return dict(self.totals).get(drug, Fraction(0))

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "kind": self.kind,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "days": self.days,
            "drug": self.drug,
            "daily_total": _q(self.daily_total_mg),
            "totals": {d: _q(v) for d, v in self.totals},
            "reduction": _q(self.reduction_mg),
            "reduction_percent": self.reduction_percent,
            "cumulative_reduction_percent": self.cumulative_reduction_percent,
            "diazepam_equivalent": _q(self.diazepam_equivalent_mg),
            "occupancy": self.occupancy,
            "effect": self.effect,
            "administrations": [a.to_json() for a in self.administrations],
            "reason": self.reason,
            "deviation": self.deviation,
            "base_days": self.base_days,
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> TaperStep:
        return cls(
            index=obj["index"], kind=obj["kind"], start=dt.date.fromisoformat(obj["start"]),
            days=obj["days"], drug=obj["drug"],
            administrations=tuple(Administration.from_json(a) for a in obj["administrations"]),
            totals=tuple((d, _mg(v)) for d, v in obj["totals"].items()),
            daily_total_mg=_mg(obj["daily_total"]),
            diazepam_equivalent_mg=_mg(obj["diazepam_equivalent"]),
            reduction_mg=_mg(obj["reduction"]),
            reduction_percent=float(obj["reduction_percent"]),
            cumulative_reduction_percent=float(obj["cumulative_reduction_percent"]),
            occupancy=obj["occupancy"], effect=obj["effect"], reason=obj["reason"],
            deviation=obj["deviation"], base_days=obj["base_days"],
        )


@dataclass(frozen=True)
class TaperFinding:
    """A guideline check's result (same keys as the safety findings)."""

    severity: Severity
    code: str
    message: str
    rationale: str
    source: str
    step: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"severity": self.severity, "code": self.code, "message": self.message,
                "rationale": self.rationale, "source": self.source, "step": self.step}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> TaperFinding:
        return cls(**obj)


@dataclass(frozen=True)
class DispensingItem:
    """How much of one product a fill period uses (exact) and how much to hand out."""

    product: ProductRef
    quantity: Fraction
    dispense: Fraction

    @property
    def unit(self) -> str:
        return "mL" if self.product.liquid else "{tablet}"

    def to_json(self) -> dict[str, Any]:
        return {"product": self.product.to_json(),
                "quantity": quantity_json(float(self.quantity), self.unit)
                if self.product.liquid else {"value": _num(self.quantity), "unit": self.unit},
                "dispense": quantity_json(float(self.dispense), self.unit)
                if self.product.liquid else {"value": _num(self.dispense), "unit": self.unit}}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> DispensingItem:
        return cls(product=ProductRef.from_json(obj["product"]),
                   quantity=exact(obj["quantity"]["value"]),
                   dispense=exact(obj["dispense"]["value"]))


@dataclass(frozen=True)
class Fill:
    start: dt.date
    end: dt.date
    items: tuple[DispensingItem, ...]

    def to_json(self) -> dict[str, Any]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat(),
                "items": [i.to_json() for i in self.items]}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Fill:
        return cls(start=dt.date.fromisoformat(obj["from"]), end=dt.date.fromisoformat(obj["to"]),
                   items=tuple(DispensingItem.from_json(i) for i in obj["items"]))


@dataclass(frozen=True)
class Revision:
    """Who changed a plan, when, why, and what changed."""

    version: int
    kind: Literal["hold", "slow", "resume"]
    effective: dt.date
    reason: str
    author: str
    at: dt.datetime
    days: int | None
    factor: float | None
    diff: tuple[Mapping[str, Any], ...]

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "kind": self.kind,
                "effective": self.effective.isoformat(), "reason": self.reason,
                "author": self.author, "at": self.at.isoformat(), "days": self.days,
                "factor": self.factor, "diff": [dict(d) for d in self.diff]}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Revision:
        return cls(version=obj["version"], kind=obj["kind"],
                   effective=dt.date.fromisoformat(obj["effective"]), reason=obj["reason"],
                   author=obj["author"], at=dt.datetime.fromisoformat(obj["at"]),
                   days=obj["days"], factor=obj["factor"], diff=tuple(obj["diff"]))


def steps_from_json(objs: Sequence[Mapping[str, Any]]) -> tuple[TaperStep, ...]:
    return tuple(TaperStep.from_json(o) for o in objs)
