"""PK/PD engine: dosing events, exact linear PK models with first-order absorption and
metabolite chains, covariates, population variability, receptor occupancy and effect.

Engine time is hours since the first dose. Core and pure: no file I/O (plots live in
:mod:`benzoplan.reports`).
"""

from benzoplan.pk.effect import (
    DoseEffect,
    EffectParams,
    dose_effect,
    effect_curve,
    effect_params,
    occupancy_curve,
)
from benzoplan.pk.model import ExpSum, ModelSpec, model_spec, pk_model
from benzoplan.pk.regimen import DailyStep, DoseEvent, Regimen, parse_clock
from benzoplan.pk.simulate import Band, SimulationResult, Summary, simulate
from benzoplan.pk.subject import HepaticImpairment, Subject

__all__ = [
    "Band",
    "DailyStep",
    "DoseEffect",
    "DoseEvent",
    "EffectParams",
    "ExpSum",
    "HepaticImpairment",
    "ModelSpec",
    "Regimen",
    "SimulationResult",
    "Subject",
    "Summary",
    "dose_effect",
    "effect_curve",
    "effect_params",
    "model_spec",
    "occupancy_curve",
    "parse_clock",
    "pk_model",
    "simulate",
]
