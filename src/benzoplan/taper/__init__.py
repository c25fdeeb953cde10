"""Taper planning: guideline-bounded, product-aware discontinuation schedules.

``plan_taper(TaperRequest(...))`` returns a :class:`TaperPlan`: dated steps whose every dose
can be given with the allowed products, the dispensing list per fill, and guideline
findings. Plans are immutable and versioned; :meth:`TaperPlan.revise` holds, slows or
resumes a plan as a new version with the reason and a diff.
"""

from benzoplan.taper._model import (
    Administration,
    DispensingItem,
    Fill,
    PatientFactors,
    Revision,
    ScheduledDose,
    StepLimit,
    TaperFinding,
    TaperRequest,
    TaperStep,
)
from benzoplan.taper._plan import TaperPlan
from benzoplan.taper._planner import plan_taper
from benzoplan.taper._products import ProductOptions, ProductRef

__all__ = [
    "Administration",
    "DispensingItem",
    "Fill",
    "PatientFactors",
    "ProductOptions",
    "ProductRef",
    "Revision",
    "ScheduledDose",
    "StepLimit",
    "TaperFinding",
    "TaperPlan",
    "TaperRequest",
    "TaperStep",
    "plan_taper",
]
