"""Prescribing safety: a data-driven rule engine over a patient and their benzodiazepine
regimen, indication dosing and titration, dependence risk, the monitoring schedule and
overdose triage. Rules, medicine classes and policies live in ``safety/data/*.toml``.
"""

from benzoplan.safety.dependence import DependenceRisk, RiskInput, dependence_risk
from benzoplan.safety.dosing import (
    DosingProposal,
    LabelDosing,
    ProductOption,
    TitrationStep,
    label_dosing,
    product_options,
    propose_dosing,
)
from benzoplan.safety.engine import (
    CheckResult,
    Finding,
    SourceRef,
    check,
    severity_rank,
    triage_overdose,
)
from benzoplan.safety.facts import Unresolved
from benzoplan.safety.knowledge import safety_data
from benzoplan.safety.medicines import MedicineMatch, resolve_medicine
from benzoplan.safety.patient import (
    Administration,
    DoseChange,
    MonitoringDates,
    PatientRecord,
    Regimen,
)
from benzoplan.safety.schedule import ScheduleItem, monitoring_schedule
from benzoplan.safety.vocabulary import SEVERITIES, Severity

__all__ = [
    "SEVERITIES",
    "Administration",
    "CheckResult",
    "DependenceRisk",
    "DoseChange",
    "DosingProposal",
    "Finding",
    "LabelDosing",
    "MedicineMatch",
    "MonitoringDates",
    "PatientRecord",
    "ProductOption",
    "Regimen",
    "RiskInput",
    "ScheduleItem",
    "Severity",
    "SourceRef",
    "TitrationStep",
    "Unresolved",
    "check",
    "dependence_risk",
    "label_dosing",
    "monitoring_schedule",
    "product_options",
    "propose_dosing",
    "resolve_medicine",
    "safety_data",
    "severity_rank",
    "triage_overdose",
]
