"""Receptor occupancy and effect (PD), and the cheap steady-state dose → effect map.

* Occupancy of the GABA-A benzodiazepine site from the free plasma concentration, by
  single-site binding, competitive over several drugs and active metabolites:
  ``occ = S^n / (1 + S^n)``, ``S = Σ fu_i·C_i·p_i / K_i``.
* Effect, a separate Emax curve in total plasma concentration with a named EC50:
  ``E = Emax · S^n / (1 + S^n)``, ``S = Σ C_i·p_i / EC50_i``.

K and EC50 are not measured in humans for these drugs: both are calibrated (see
``pk/data/pd.toml``) and every result lists that assumption. Drugs other than the anchor
(clonazepam) get theirs from the anchor through the equivalence table: equipotent daily doses
give equal occupancy and effect at steady state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

from benzoplan.drugs import convert, get_drug
from benzoplan.errors import InputError, UnitError
from benzoplan.pk._data import pd_data
from benzoplan.pk.model import ModelSpec, model_spec, sample_parameters, unit_response
from benzoplan.pk.subject import Subject
from benzoplan.units import Concentration, Dose, quantity_json

__all__ = [
    "DoseEffect",
    "EffectParams",
    "dose_effect",
    "effect_curve",
    "effect_params",
    "occupancy_curve",
]

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class EffectParams:
    """PD parameters of one drug (concentrations are total plasma levels of the parent)."""

    drug: str
    emax_percent: float
    ec50: Concentration  # effect EC50 (named, calibrated assumption)
    hill: float
    occupancy_ec50: Concentration  # total plasma concentration at 50% occupancy
    occupancy_k_free: Concentration  # the same in free (unbound) concentration
    occupancy_hill: float
    fraction_unbound: float
    metabolites: tuple[tuple[str, float], ...]  # (name, potency relative to the parent)
    derived_from: str | None
    sources: tuple[str, ...]
    assumptions: tuple[str, ...]

    def potency(self, species: str) -> float:
        if species == self.drug:
            return 1.0
        return dict(self.metabolites).get(species, 0.0)

    def to_json(self) -> dict[str, Any]:
        return {
            "drug": self.drug,
            "emax_percent": self.emax_percent,
            "ec50": self.ec50.to_json("ng/mL"),
            "hill": self.hill,
            "occupancy_ec50": self.occupancy_ec50.to_json("ng/mL"),
            "occupancy_k_free": self.occupancy_k_free.to_json("ng/mL"),
            "occupancy_hill": self.occupancy_hill,
            "fraction_unbound": self.fraction_unbound,
            "metabolites": [{"name": n, "relative_potency": p} for n, p in self.metabolites],
            "derived_from": self.derived_from,
            "sources": list(self.sources),
            "assumptions": list(self.assumptions),
        }


@cache
def _cavg_table(drug: str, subject: Subject | None) -> Mapping[str, float]:
    spec = model_spec(drug, subject)
    resp = unit_response(sample_parameters(spec, 1, None))
    return {name: float(r.auc_per_mg()[0]) / 24.0 for name, r in resp.items()}


def _cavg_per_mg_day(spec: ModelSpec, subject: Subject | None = None) -> Mapping[str, float]:
    """Steady-state average concentration (ng/mL) per 1 mg/day, per species."""
    return _cavg_table(spec.drug, subject)


def _weighted(spec: ModelSpec, daily_mg: float) -> float:
    """Potency-weighted steady-state average (parent-equivalent ng/mL) at a daily dose."""
    per = _cavg_per_mg_day(spec)
    return sum(per[s.name] * s.relative_potency for s in spec.species) * daily_mg


def _unbound(drug: str) -> float:
    return 1.0 - get_drug(drug).pk.protein_binding.in_unit("1")


@cache
def effect_params(drug: str) -> EffectParams:
    """Occupancy and effect parameters of ``drug`` (name, synonym or brand)."""
    name = get_drug(drug).name
    pd = pd_data()
    occ, eff = pd.occupancy, pd.effect
    spec = model_spec(name)
    anchor_occ = model_spec(get_drug(occ.anchor_drug).name)
    anchor_eff = model_spec(get_drug(eff.anchor_drug).name)
    occ_dose = Dose(occ.anchor_daily_dose.value, occ.anchor_daily_dose.unit)
    eff_dose = Dose(eff.anchor_daily_dose.value, eff.anchor_daily_dose.unit)
    # anchor: K (free) such that the anchor dose gives the anchor occupancy
    p = occ.anchor_percent / 100.0
    cu_anchor = _weighted(anchor_occ, occ_dose.mg) * _unbound(anchor_occ.drug)
    k_anchor = cu_anchor / (p / (1 - p)) ** (1 / occ.hill)
    ec50_anchor = _weighted(anchor_eff, eff_dose.mg)
    assumptions = [
        f"Occupancy: ASSUMPTION (calibrated). {occ.anchor_drug} {occ_dose}/day at steady "
        f"state is set to {occ.anchor_percent:g}% occupancy. {occ.note}",
        f"Effect EC50: ASSUMPTION (named parameter, not measured). Half-maximal effect at the "
        f"steady-state average of {eff.anchor_drug} {eff_dose}/day. {eff.note}",
    ]
    derived_from = None
    if name == anchor_occ.drug:
        k_free = k_anchor
    else:
        eq = convert(occ_dose, anchor_occ.drug, to=name)
        k_free = k_anchor * _weighted(spec, eq.equivalent.mg) * _unbound(name) / cu_anchor
        derived_from = f"{anchor_occ.drug} via the {eq.table} equivalence table"
    if name == anchor_eff.drug:
        ec50 = ec50_anchor
    else:
        eq = convert(eff_dose, anchor_eff.drug, to=name)
        ec50 = ec50_anchor * _weighted(spec, eq.equivalent.mg) / ec50_anchor
        derived_from = f"{anchor_eff.drug} via the {eq.table} equivalence table"
    if derived_from:
        assumptions.append(f"{name}: occupancy K and effect EC50 derived from {derived_from} "
                           "(equipotent daily doses give equal steady-state occupancy and "
                           "effect). ASSUMPTION.")
    mets = tuple((s.name, s.relative_potency) for s in spec.species[1:])
    if mets:
        assumptions.append(f"{name}: active metabolites count with their relative potency and "
                           "the parent's unbound fraction.")
    fu = _unbound(name)
    sources = tuple(dict.fromkeys(x for x in (occ.source, eff.source, "sybirska-1993",
                                              "myers-2012", *spec.sources) if x))
    return EffectParams(
        drug=name,
        emax_percent=eff.emax_percent,
        ec50=Concentration(ec50, "ng/mL"),
        hill=eff.hill,
        occupancy_ec50=Concentration(k_free / fu, "ng/mL"),
        occupancy_k_free=Concentration(k_free, "ng/mL"),
        occupancy_hill=occ.hill,
        fraction_unbound=fu,
        metabolites=mets,
        derived_from=derived_from,
        sources=sources,
        assumptions=tuple(assumptions),
    )


def occupancy_curve(
    conc: Mapping[str, Array | float], params: Mapping[str, EffectParams]
) -> Array:
    """Occupancy (%) from total plasma concentrations (ng/mL) of each species, keyed by
    species name; ``params`` maps each species to its drug's parameters."""
    s: Array | float = 0.0
    hill = 1.0
    for species, c in conc.items():
        p = params[species]
        s = s + np.asarray(c) * p.potency(species) * p.fraction_unbound / p.occupancy_k_free.to(
            "ng/mL")
        hill = p.occupancy_hill
    return np.asarray(100.0 * _hyperbola(np.asarray(s), hill))


def effect_curve(
    conc: Mapping[str, Array | float],
    params: Mapping[str, EffectParams],
    *,
    ec50_scale: float = 1.0,
) -> Array:
    """Effect (% of Emax·100) from total plasma concentrations (ng/mL) per species."""
    s: Array | float = 0.0
    emax, hill = 100.0, 1.0
    for species, c in conc.items():
        p = params[species]
        s = s + np.asarray(c) * p.potency(species) / (p.ec50.to("ng/mL") * ec50_scale)
        emax, hill = p.emax_percent, p.hill
    return np.asarray(emax * _hyperbola(np.asarray(s), hill))


def _hyperbola(s: Array, hill: float) -> Array:
    x = np.power(np.maximum(s, 0.0), hill)
    return np.asarray(x / (1.0 + x))


@dataclass(frozen=True)
class DoseEffect:
    """Steady-state occupancy and effect of daily doses (linear PK: Cavg = F·D/(CL·24 h))."""

    cavg: Mapping[str, Concentration]  # per drug (parent), steady-state average
    metabolite_cavg: Mapping[str, Concentration]
    occupancy_percent: float
    effect_percent: float
    params: EffectParams  # of the first drug
    all_params: Mapping[str, EffectParams]
    assumptions: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "cavg": {k: v.to_json("ng/mL") for k, v in self.cavg.items()},
            "metabolite_cavg": {k: v.to_json("ng/mL") for k, v in self.metabolite_cavg.items()},
            "occupancy": quantity_json(self.occupancy_percent, "%"),
            "effect": quantity_json(self.effect_percent, "%"),
            "params": {k: v.to_json() for k, v in self.all_params.items()},
            "assumptions": list(self.assumptions),
        }


def dose_effect(
    daily: Mapping[str, Dose],
    *,
    ec50: Concentration | None = None,
    subject: Subject | None = None,
) -> DoseEffect:
    """Steady-state average concentration, occupancy and effect of daily doses.

    ``daily`` maps drug names to daily totals (a zero dose is allowed). ``ec50`` overrides
    the effect EC50 of the first drug; the others are scaled by the same factor, so
    equipotency is kept. Pure arithmetic, cheap enough for every taper step.
    """
    if not isinstance(daily, Mapping) or not daily:
        raise InputError("give at least one drug and its daily dose", field="daily")
    if ec50 is not None and not isinstance(ec50, Concentration):
        raise UnitError(f"ec50 must be a Concentration (e.g. '5 ng/mL'), got {ec50!r}",
                        field="ec50")
    if ec50 is not None and ec50.is_zero():
        raise UnitError("ec50 must be greater than zero", field="ec50")
    subject = subject or Subject()
    conc: dict[str, float] = {}
    params: dict[str, EffectParams] = {}
    cavg: dict[str, Concentration] = {}
    met_cavg: dict[str, Concentration] = {}
    assumptions: list[str] = []
    first: EffectParams | None = None
    for drug, dose in daily.items():
        if not isinstance(dose, Dose):
            raise UnitError(f"daily dose of {drug} must be a Dose with a unit "
                            f"(e.g. Dose('1 mg')), got {dose!r}", field="daily")
        ep = effect_params(drug)
        first = first or ep
        if ep.drug in params:
            raise InputError(f"{drug} is given twice (as {ep.drug})", field="daily")
        spec = model_spec(ep.drug, subject)
        per = _cavg_per_mg_day(spec, subject)
        for species in spec.species:
            c = per[species.name] * dose.mg
            conc[species.name] = conc.get(species.name, 0.0) + c
            params.setdefault(species.name, ep)
            if species.name == ep.drug:
                cavg[ep.drug] = Concentration(c, "ng/mL", allow_zero=True)
            else:  # a metabolite shared by two drugs adds up
                met_cavg[species.name] = Concentration(conc[species.name], "ng/mL",
                                                       allow_zero=True)
        params[ep.drug] = ep
        assumptions.extend(x for x in (*ep.assumptions, *spec.assumptions) if x not in assumptions)
    assert first is not None
    scale = 1.0 if ec50 is None else ec50.to("ng/mL") / first.ec50.to("ng/mL")
    if ec50 is not None:
        assumptions.append(f"Effect EC50 set by the caller to {ec50} for {first.drug}.")
    occ = float(occupancy_curve(conc, params))
    eff = float(effect_curve(conc, params, ec50_scale=scale))
    return DoseEffect(cavg=cavg, metabolite_cavg=met_cavg, occupancy_percent=occ,
                      effect_percent=eff, params=first, all_params=dict(params),
                      assumptions=tuple(assumptions))
