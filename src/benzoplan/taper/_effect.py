"""Predicted receptor occupancy and effect of daily doses, from the PK engine.

The PK engine's steady state is linear in dose (``Cavg = F·D/(CL·24 h)``), so the planner asks
:func:`benzoplan.pk.dose_effect` once per drug for the concentrations of 1 mg/day and scales
them, then evaluates the engine's own occupancy and effect curves
(:func:`benzoplan.pk.occupancy_curve`, :func:`benzoplan.pk.effect_curve`) on whole arrays of
doses at once. Results equal ``dose_effect`` for the same doses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from benzoplan.pk import EffectParams, dose_effect, effect_curve, effect_params, occupancy_curve
from benzoplan.units import Concentration, Dose

__all__ = ["EffectModel"]

Array = npt.NDArray[np.float64]


class EffectModel:
    """Occupancy and effect (%) of daily doses (mg) of one or more drugs taken together."""

    def __init__(self, drugs: Sequence[str], *, ec50: Concentration | None = None) -> None:
        self.drugs = tuple(drugs)
        self.per_mg: dict[str, dict[str, float]] = {}
        self.params: dict[str, EffectParams] = {}
        assumptions: list[str] = []
        for d in self.drugs:
            de = dose_effect({d: Dose("1 mg")})
            per = {k: v.ng_per_ml for k, v in de.cavg.items()}
            per.update({k: v.ng_per_ml for k, v in de.metabolite_cavg.items()})
            self.per_mg[d] = per
            self.params.update(de.all_params)
            assumptions.extend(a for a in de.assumptions if a not in assumptions)
        first = effect_params(self.drugs[0])
        self.reference = first
        self.ec50 = ec50 if ec50 is not None else first.ec50
        self.scale = self.ec50.ng_per_ml / first.ec50.ng_per_ml
        if ec50 is not None:
            assumptions.append(f"Effect EC50 set by the clinician to {ec50} for {first.drug}.")
        self.assumptions = tuple(assumptions)
        p = self.reference
        self._json: dict[str, Any] = {
            "drug": p.drug,
            "emax_percent": p.emax_percent,
            "ec50": self.ec50.to_json("ng/mL"),
            "ec50_default": p.ec50.to_json("ng/mL"),
            "hill": p.hill,
            "occupancy_ec50": p.occupancy_ec50.to_json("ng/mL"),
            "sources": list(p.sources),
            "assumptions": list(self.assumptions),
        }

    def _conc(self, doses: Mapping[str, Array | float]) -> dict[str, Array]:
        conc: dict[str, Array] = {}
        for drug, mg in doses.items():
            for species, per in self.per_mg[drug].items():
                c = np.asarray(mg, dtype=float) * per
                conc[species] = conc[species] + c if species in conc else c
        return conc

    def effect(self, doses: Mapping[str, Array | float]) -> Array:
        return effect_curve(self._conc(doses), self.params, ec50_scale=self.scale)

    def occupancy(self, doses: Mapping[str, Array | float]) -> Array:
        return occupancy_curve(self._conc(doses), self.params)

    def to_json(self, effect_step: float | None) -> dict[str, Any]:
        out = {k: (list(v) if isinstance(v, list) else dict(v) if isinstance(v, dict) else v)
               for k, v in self._json.items()}
        out["effect_step"] = effect_step
        return out
