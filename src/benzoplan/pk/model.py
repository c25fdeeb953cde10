"""PK models: from a drug's data to per-subject parameters and exact unit-dose responses.

A linear model with first-order absorption (one or two compartments, optionally a chain of
active metabolites) has, for a unit oral dose, a plasma concentration that is a sum of
exponentials ``C(t) = Σ_m a_m · exp(-λ_m t)``. :func:`unit_response` computes the ``a_m`` and
``λ_m`` in closed form (the ADVAN-style solutions of Abuhelwa, Foster & Upton 2015), by
convolving the disposition with first-order steps; the simulator superposes them exactly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from benzoplan.drugs import get_drug
from benzoplan.drugs.schema import Drug, MetaboliteModel, PKModel, PKParameter, Variability
from benzoplan.errors import DataError, UnknownItem
from benzoplan.pk._data import Effect, covariate_data
from benzoplan.pk.subject import Subject

__all__ = [
    "ExpSum",
    "MetaboliteSpec",
    "ModelSpec",
    "ParameterSample",
    "Species",
    "model_spec",
    "pk_model",
    "sample_parameters",
    "unit_response",
]

Array = npt.NDArray[np.float64]
LN2 = math.log(2.0)
# A rate constant closer than this (relative) to one already in the sum is moved just past
# it, so the closed form stays finite (coincident rates would need t·e^{-λt} terms). Only
# then is the result approximate: within 1e-3 relative for up to four coinciding rates.
# Rates from data and IIV practically never come this close.
_RATE_SEPARATION = 1e-4
_DERIVED_IIV = {
    "cl": Variability(cv=0.3, assumed=True, note="No published model in the data: 30% CV "
                      "on clearance assumed."),
    "v": Variability(cv=0.2, assumed=True, note="No published model in the data: 20% CV "
                     "on volume assumed."),
}


def ka_from_tmax(tmax_h: float, ke: float) -> float:
    """The absorption rate constant giving peak time ``tmax_h`` in a one-compartment model
    (solves ln(ka/ke)/(ka−ke) = Tmax for ka > ke)."""
    if not tmax_h * ke < 1:
        raise DataError(f"Tmax {tmax_h} h is not reachable with elimination rate {ke:.4g}/h")
    lo, hi = math.log(ke) + 1e-12, math.log(ke) + 50
    for _ in range(200):
        mid = (lo + hi) / 2
        ka = math.exp(mid)
        t = math.log(ka / ke) / (ka - ke)
        if t > tmax_h:
            lo = mid
        else:
            hi = mid
    return math.exp((lo + hi) / 2)


def _derived_model(drug: Drug) -> PKModel:
    pk = drug.pk
    params: dict[str, PKParameter] = {
        "half_life": PKParameter(value=pk.half_life.in_unit("h"), unit="h",
                                 source=pk.half_life.source),
        "v": PKParameter(value=pk.volume_of_distribution.in_unit("L/kg"), unit="L/kg",
                         source=pk.volume_of_distribution.source),
        "f": PKParameter(value=pk.bioavailability.in_unit("1"), unit="1",
                         source=pk.bioavailability.source),
    }
    if pk.absorption_half_life is not None:
        params["ka"] = PKParameter(value=LN2 / pk.absorption_half_life.in_unit("h"),
                                   unit="1/h", source=pk.absorption_half_life.source,
                                   note="ln 2 / absorption half-life")
    else:
        params["tmax"] = PKParameter(value=pk.tmax.in_unit("h"), unit="h", source=pk.tmax.source)
    return PKModel.model_validate({
        "name": "derived-one-compartment",
        "kind": "one-compartment",
        "default": True,
        "source": pk.half_life.source,
        "note": "Derived from the drug file's PK facts (no published model in the data): "
                "CL = ln 2 · V / t½; ka from the absorption half-life or Tmax.",
        "parameters": params,
        "iiv": _DERIVED_IIV,
    })


def pk_model(drug: str | Drug, model: str | None = None) -> PKModel:
    """The named model of a drug, its default, or one derived from its PK facts."""
    d = drug if isinstance(drug, Drug) else get_drug(drug)
    models = d.pk_models or (_derived_model(d),)
    if model is None:
        return next((m for m in models if m.default), models[0])
    for m in models:
        if m.name == model:
            return m
    names = ", ".join(m.name for m in models)
    raise UnknownItem(f"{d.name} has no PK model '{model}'; available: {names}", field="model",
                      suggestions=tuple(m.name for m in models))


@dataclass(frozen=True)
class Species:
    """A simulated analyte: the parent drug or an active metabolite."""

    drug: str
    name: str
    relative_potency: float  # per ng/mL, relative to the parent drug


class MetaboliteSpec(NamedTuple):
    """An active metabolite's typical parameters (fm of its source's elimination)."""

    name: str
    fm: float
    cl: float  # L/h
    v: float  # L
    potency: float
    formed_from: str | None = None  # None: the parent


@dataclass(frozen=True)
class ModelSpec:
    """Typical (covariate-adjusted) parameters of one drug's model for one subject, with the
    IIV coefficients of variation and every assumption and source behind them."""

    drug: str
    model: str
    kind: str
    apparent: bool
    typical: Mapping[str, float]  # ka 1/h, cl L/h, v|vc|vp L, q L/h, f 1
    iiv_cv: Mapping[str, float]
    metabolites: tuple[tuple[Any, ...], ...]  # MetaboliteSpec fields, in chain order
    assumptions: tuple[str, ...]
    sources: tuple[str, ...]
    adjustments: tuple[str, ...] = ()  # covariate effects applied, with their provenance

    @property
    def species(self) -> tuple[Species, ...]:
        return (Species(self.drug, self.drug, 1.0),
                *(Species(self.drug, m.name, m.potency) for m in self.metabolite_specs))

    @property
    def metabolite_specs(self) -> tuple[MetaboliteSpec, ...]:
        return tuple(MetaboliteSpec(*m) for m in self.metabolites)


def _value(p: PKParameter, unit: str, weight: float, ref: float | None) -> float:
    if p.per_kg:
        return p.in_unit(f"{unit}/kg") * weight
    v = p.in_unit(unit)
    if p.weight_exponent is not None and ref is not None:
        v *= (weight / ref) ** p.weight_exponent
    return v


def _applies(effect: Effect, drug: Drug, specific: set[str]) -> bool:
    if effect.drug == drug.name:
        return True
    if effect.drug != "*" or drug.name in specific:
        return False
    return effect.metabolism is None or effect.metabolism.lower() in drug.pk.metabolism.text.lower()


def _covariate_factor(drug: Drug, subject: Subject) -> tuple[float, list[str], list[str]]:
    """The product of clearance factors for this subject, with notes and sources."""
    data = covariate_data()
    factor = 1.0
    notes: list[str] = []
    sources: list[str] = []

    def use(e: Effect, what: str) -> None:
        nonlocal factor
        factor *= e.factor
        notes.append(f"{what}: clearance × {e.factor:g}. {e.provenance()}")
        if e.source:
            sources.append(e.source)

    for age in sorted(data.age, key=lambda a: -a.min_years):
        specific = {a.drug for a in data.age if a.drug != "*"}
        if subject.age_years >= age.min_years and _applies(age, drug, specific):
            use(age, f"age ≥ {age.min_years:g} years")
            break
    if subject.hepatic_impairment != "none":
        grade = [h for h in data.hepatic if h.grade == subject.hepatic_impairment]
        specific = {h.drug for h in grade if h.drug != "*"}
        for h in grade:
            if _applies(h, drug, specific):
                use(h, f"{h.grade} hepatic impairment")
    for name in subject.comedications:
        c = data.comedication(name)
        assert c is not None  # Subject validated the name
        specific = {e.drug for e in c.effects if e.drug != "*"}
        hits = [e for e in c.effects if _applies(e, drug, specific)]
        for e in hits:
            use(e, f"{c.name} ({c.kind})")
        if not hits:
            notes.append(f"{c.name}: no sourced effect on {drug.name} in the data; "
                         "not adjusted.")
    return factor, notes, sources


@cache
def model_spec(drug: str, subject: Subject | None = None, model: str | None = None) -> ModelSpec:
    """Typical parameters of ``drug``'s model (default unless named) for ``subject``."""
    d = get_drug(drug)
    m = pk_model(d, model)
    s = subject or Subject()
    ref = m.reference_weight.value if m.reference_weight is not None else None
    if m.reference_weight is not None and m.reference_weight.unit != "kg":
        raise DataError(f"{d.name} model {m.name}: reference_weight must be in kg")
    p = m.parameters
    assumptions: list[str] = []
    sources: list[str] = [m.source]
    for key, par in p.items():
        if par.assumed:
            assumptions.append(f"{d.name} {m.name} {key}: ASSUMPTION. {par.note or ''}".strip())
        if par.source:
            sources.append(par.source)
    typical: dict[str, float] = {"f": p["f"].in_unit("1") if "f" in p else 1.0}
    if m.kind == "one-compartment":
        v = _value(p["v"], "L", s.weight_kg, ref)
        cl = (_value(p["cl"], "L/h", s.weight_kg, ref) if "cl" in p
              else LN2 * v / p["half_life"].in_unit("h"))
        typical.update(v=v, cl=cl)
        ka = (_value(p["ka"], "1/h", s.weight_kg, ref) if "ka" in p
              else ka_from_tmax(p["tmax"].in_unit("h"), cl / v))
        typical["ka"] = ka
    else:
        typical.update(
            ka=_value(p["ka"], "1/h", s.weight_kg, ref),
            cl=_value(p["cl"], "L/h", s.weight_kg, ref),
            vc=_value(p["vc"], "L", s.weight_kg, ref),
            q=_value(p["q"], "L/h", s.weight_kg, ref),
            vp=_value(p["vp"], "L", s.weight_kg, ref),
        )
    factor, notes, cov_sources = _covariate_factor(d, s)
    typical["cl"] *= factor
    assumptions.extend(n for n in notes if "ASSUMPTION" in n or "not adjusted" in n)
    sources.extend(cov_sources)
    for key, var in m.iiv.items():
        if var.assumed:
            assumptions.append(f"{d.name} {m.name} IIV on {key} ({var.cv:.0%} CV): "
                               f"ASSUMPTION. {var.note or ''}".strip())
        if var.source:
            sources.append(var.source)
    if m.name == "derived-one-compartment":
        assumptions.insert(0, f"{d.name}: no published PK model in the data; a one-compartment "
                              "model derived from its label PK facts is used.")
    mets = []
    for met in m.metabolites:
        mets.append(_metabolite(met, s.weight_kg, ref, factor))
        for mkey in ("fraction_formed", "half_life", "volume", "relative_potency"):
            par = getattr(met, mkey)
            if par.assumed:
                assumptions.append(f"{d.name} → {met.name} {mkey.replace('_', ' ')}: "
                                   f"ASSUMPTION. {par.note or ''}".strip())
            if par.source:
                sources.append(par.source)
    return ModelSpec(
        drug=d.name, model=m.name, kind=m.kind, apparent=m.apparent, typical=typical,
        iiv_cv={k: v.cv for k, v in m.iiv.items()}, metabolites=tuple(mets),
        assumptions=tuple(assumptions), sources=tuple(dict.fromkeys(sources)),
        adjustments=tuple(notes),
    )


def _metabolite(met: MetaboliteModel, weight: float, ref: float | None,
                factor: float) -> MetaboliteSpec:
    v = _value(met.volume, "L", weight, ref)
    cl = LN2 * v / met.half_life.in_unit("h") * factor
    return MetaboliteSpec(met.name, met.fraction_formed.in_unit("1"), cl, v,
                          met.relative_potency.in_unit("1"), met.formed_from)


@dataclass(frozen=True)
class ParameterSample:
    """Per-subject parameter arrays (shape (n,)) for one model."""

    spec: ModelSpec
    values: Mapping[str, Array]

    @property
    def n(self) -> int:
        return int(next(iter(self.values.values())).shape[0])


def sample_parameters(spec: ModelSpec, n: int, rng: np.random.Generator | None) -> ParameterSample:
    """``n`` subjects: typical values times log-normal random effects (CV → ω² = ln(1+CV²)).

    With ``rng`` None every subject is typical. Random effects are drawn subject by subject
    in a fixed parameter order, so the k-th subject is the same whatever the chunk size.
    """
    keys = sorted(spec.typical)
    values = {k: np.full(n, spec.typical[k]) for k in keys}
    if rng is not None and spec.iiv_cv:
        varied = sorted(spec.iiv_cv)
        omega = np.array([math.sqrt(math.log1p(spec.iiv_cv[k] ** 2)) for k in varied])
        eta = rng.standard_normal((n, len(varied))) * omega
        for j, k in enumerate(varied):
            target = "cl" if k == "half_life" else k
            values[target] = values[target] * np.exp(eta[:, j])
    if "f" in values:
        values["f"] = np.minimum(values["f"], 1.0) if not spec.apparent else values["f"]
    return ParameterSample(spec, values)


@dataclass(frozen=True)
class ExpSum:
    """Unit-dose response ``C(t) = Σ_m coef[:, m] · exp(-rate[:, m] · t)`` in ng/mL per mg,
    one row per subject."""

    coef: Array
    rate: Array

    def auc_per_mg(self) -> Array:
        """AUC from 0 to ∞ of one 1 mg dose (ng·h/mL), exactly."""
        return np.asarray((self.coef / self.rate).sum(axis=1))

    def __call__(self, t: Array) -> Array:
        """Response at times ``t`` (h, ≥ 0) after a unit dose: shape (subjects, len(t))."""
        tt = np.asarray(t, dtype=float)
        e = np.exp(-self.rate[:, :, None] * tt[None, None, :])
        return np.asarray(np.einsum("sm,smt->st", self.coef, e))


def _convolve(coef: Array, rate: Array, k: Array) -> tuple[Array, Array]:
    """Σ a·e^{-λt} convolved with k·e^{-kt} (a first-order transfer with rate k)."""
    k = k.copy()
    for _ in range(rate.shape[1] + 1):
        close = np.abs(k[:, None] - rate) < _RATE_SEPARATION * k[:, None]
        if not close.any():
            break
        past = np.where(close, rate * (1 + 2 * _RATE_SEPARATION), 0.0).max(axis=1)
        k = np.where(close.any(axis=1), np.maximum(k, past), k)
    diff = k[:, None] - rate
    scaled = coef * (k[:, None] / diff)
    return (np.concatenate([scaled, -scaled.sum(axis=1, keepdims=True)], axis=1),
            np.concatenate([rate, k[:, None]], axis=1))


def unit_response(sample: ParameterSample) -> dict[str, ExpSum]:
    """Exact unit-dose (1 mg) plasma concentration responses, keyed by species name."""
    v = sample.values
    f = v["f"]
    ng_per_mg_l = 1000.0  # mg/L → ng/mL
    if sample.spec.kind == "one-compartment":
        ke = v["cl"] / v["v"]
        coef = (ng_per_mg_l / v["v"])[:, None]
        rate = ke[:, None]
    else:
        k10, k12, k21 = v["cl"] / v["vc"], v["q"] / v["vc"], v["q"] / v["vp"]
        total = k10 + k12 + k21
        alpha = (total + np.sqrt(np.maximum(total * total - 4 * k10 * k21, 0.0))) / 2
        beta = k10 * k21 / alpha
        span = alpha - beta
        coef = np.stack([(alpha - k21) / span, (k21 - beta) / span], axis=1)
        coef = coef * (ng_per_mg_l / v["vc"])[:, None]
        rate = np.stack([alpha, beta], axis=1)
    coef, rate = _convolve(coef, rate, v["ka"])
    parent = ExpSum(coef * f[:, None], rate)
    out = {sample.spec.drug: parent}
    clearance: dict[str, Array] = {sample.spec.drug: v["cl"]}
    for met in sample.spec.metabolite_specs:
        source = met.formed_from or sample.spec.drug
        km = np.full_like(f, met.cl / met.v)
        cm, rm = _convolve(out[source].coef, out[source].rate, km)
        # flux in = fm · CL_source · C_source (for an apparent model CL/F: F taken as 1)
        scale = met.fm * clearance[source] / (km * met.v)
        out[met.name] = ExpSum(cm * scale[:, None], rm)
        clearance[met.name] = np.full_like(f, met.cl)
    return out
