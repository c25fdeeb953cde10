"""Monitoring: patient diaries, red-flag escalation and proposals to hold, slow or resume a taper.

The engine never changes a plan: :func:`evaluate` returns alerts and proposals, and a clinician
applies a proposal with :meth:`Proposal.apply_to`, which asks the taper plan for a new version.
"""

from benzoplan.monitoring._data import Symptom, parameter, symptoms
from benzoplan.monitoring.diary import (
    DiaryEntry,
    DoseEntry,
    InstrumentEntry,
    SeizureEntry,
    SleepEntry,
    SymptomEntry,
    diary_json_schema,
    parse_entry,
)
from benzoplan.monitoring.engine import EMERGENCY, Alert, MonitoringResult, Proposal, evaluate
from benzoplan.monitoring.plan import PlanView

__all__ = [
    "EMERGENCY",
    "Alert",
    "DiaryEntry",
    "DoseEntry",
    "InstrumentEntry",
    "MonitoringResult",
    "PlanView",
    "Proposal",
    "SeizureEntry",
    "SleepEntry",
    "Symptom",
    "SymptomEntry",
    "diary_json_schema",
    "evaluate",
    "parameter",
    "parse_entry",
    "symptoms",
]
