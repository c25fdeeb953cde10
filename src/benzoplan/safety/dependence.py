"""Dependence risk: a transparent points score that names every input, its points and source.

Inputs (joint guideline 2025, Table 2 risk factors; FDA 2020 class boxed warning; the
dependence signs of the source texts): the daily dose band (clonazepam's own column of the
guideline's table where the drug has one, else diazepam-equivalent bands), the duration
band, a history of alcohol or drug dependence, prior withdrawal, and each reported sign
(craving, cannot sleep without it, taking more or more often than prescribed, dose
escalation). The weights and bands are the named assumption ``dependence-score-weights``;
the score is not a validated instrument, so every result recommends the SDS.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from benzoplan.drugs import convert
from benzoplan.safety.knowledge import safety_data
from benzoplan.units import Dose

__all__ = ["DependenceRisk", "RiskInput", "dependence_risk"]

Band = Literal["low", "moderate", "high"]


@dataclass(frozen=True)
class RiskInput:
    name: str
    value: str
    points: int

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "points": self.points}


@dataclass(frozen=True)
class DependenceRisk:
    score: int
    band: Band
    inputs: tuple[RiskInput, ...]
    diazepam_equivalent: Dose | None  # None when the dose is not known
    source: str
    assumption: str
    screening: str
    screening_source: str

    def describe(self) -> str:
        return "; ".join(f"{i.name} {i.value} (+{i.points})" for i in self.inputs)

    def to_json(self) -> dict[str, Any]:
        data = safety_data()
        return {
            "score": self.score,
            "band": self.band,
            "inputs": [i.to_json() for i in self.inputs],
            "diazepam_equivalent": (self.diazepam_equivalent.to_json()
                                    if self.diazepam_equivalent is not None else None),
            "source": self.source,
            "assumption": {"name": self.assumption,
                           "text": data.policy.assumptions[self.assumption].text},
            "recommendation": f"Screen with the {self.screening}.",
            "instrument": data.policy.dependence.screening_instrument,
            "screening_source": self.screening_source,
        }


@lru_cache(maxsize=1024)
def _diazepam_equivalent(drug: str, daily_dose: Dose) -> Dose:
    return convert(daily_dose, drug, to="diazepam").equivalent if drug != "diazepam" \
        else daily_dose


def dependence_risk(*, drug: str, daily_dose: Dose | None, duration_days: int, history: bool,
                    prior_withdrawal: bool, signs: Sequence[str]) -> DependenceRisk:
    """The score; an unknown dose (``None``) scores 0 for the dose and says so."""
    p = safety_data().policy.dependence
    de: Dose | None = None
    if daily_dose is None:
        dose_input = RiskInput("dose", "not given (not scored)", 0)
    else:
        de = _diazepam_equivalent(drug, daily_dose)
        bands = p.drug_bands.get(drug)
        if bands is not None:
            lo, mid, basis = bands.low_max_mg, bands.moderate_max_mg, f"{daily_dose}/day {drug}"
            value = daily_dose.mg
        else:
            lo, mid, basis = p.low_max_mg, p.moderate_max_mg, f"{de}/day diazepam-equivalent"
            value = de.mg
        dose_pts = 0 if value <= lo + 1e-9 else (1 if value <= mid + 1e-9 else 2)
        dose_input = RiskInput("dose", f"{basis} ({('low', 'moderate', 'high')[dose_pts]})",
                               dose_pts)
    dur_pts = 0 if duration_days <= p.short_max_days else (
        1 if duration_days <= p.medium_max_days else 2)
    inputs = [
        dose_input,
        RiskInput("duration", f"{duration_days} days", dur_pts),
        RiskInput("history of alcohol or drug dependence", "yes" if history else "no",
                  p.history_points if history else 0),
        RiskInput("prior withdrawal", "yes" if prior_withdrawal else "no",
                  p.prior_withdrawal_points if prior_withdrawal else 0),
    ]
    for sign in sorted(set(signs)):
        inputs.append(RiskInput("dependence sign", p.signs.get(sign, sign), p.sign_points))
    score = sum(i.points for i in inputs)
    band: Band = "high" if score >= p.high_from else (
        "moderate" if score >= p.moderate_from else "low")
    assert p.assumption is not None
    return DependenceRisk(score=score, band=band, inputs=tuple(inputs), diazepam_equivalent=de,
                          source=p.source, assumption=p.assumption, screening=p.screening,
                          screening_source=p.screening_source)
