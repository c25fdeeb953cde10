"""Names shared by the patient model, the fact builder and the rule files.

:data:`FACTS` declares every fact a rule condition may test, with its kind; :data:`TEXTS`
declares the extra values a rule text may quote as ``{name}`` (dates and phrases computed
for the message). Rules are validated against both when they load.
"""

from __future__ import annotations

from typing import Final, Literal

from benzoplan.safety.conditions import FactKind

Severity = Literal["contraindicated", "major", "moderate", "minor", "info"]
SEVERITIES: Final[tuple[Severity, ...]] = ("contraindicated", "major", "moderate", "minor", "info")

Sex = Literal["female", "male", "other", "unknown"]
HepaticImpairment = Literal["none", "mild", "moderate", "severe"]
AlcoholUse = Literal["none", "occasional", "regular", "heavy", "unknown"]

ConditionCode = Literal[
    "epilepsy",
    "panic-disorder",
    "insomnia",
    "opioid-withdrawal",
    "depression",
    "suicide-attempt",
    "substance-use-disorder",
    "alcohol-use-disorder",
    "sleep-apnea",
    "copd",
    "respiratory-failure",
    "myasthenia-gravis",
    "renal-impairment",
    "acute-narrow-angle-glaucoma",
    "dementia",
    "falls",
]
CONDITION_LABELS: Final[dict[str, str]] = {
    "epilepsy": "epilepsy / seizure disorder",
    "panic-disorder": "panic disorder",
    "insomnia": "insomnia",
    "opioid-withdrawal": "opioid withdrawal",
    "depression": "depression",
    "suicide-attempt": "previous suicide attempt",
    "substance-use-disorder": "drug (substance) use disorder",
    "alcohol-use-disorder": "alcohol use disorder",
    "sleep-apnea": "sleep apnoea",
    "copd": "COPD",
    "respiratory-failure": "severe respiratory insufficiency",
    "myasthenia-gravis": "myasthenia gravis",
    "renal-impairment": "renal impairment",
    "acute-narrow-angle-glaucoma": "acute narrow-angle glaucoma",
    "dementia": "dementia",
    "falls": "falls",
}

INDICATION_ALIASES: Final[dict[str, str]] = {
    "seizure-disorders": "seizure-disorders",
    "seizures": "seizure-disorders",
    "seizure": "seizure-disorders",
    "epilepsy": "seizure-disorders",
    "panic-disorder": "panic-disorder",
    "panic": "panic-disorder",
    "insomnia": "insomnia",
    "opioid-withdrawal": "opioid-withdrawal",
    "opiate-withdrawal": "opioid-withdrawal",
    "unspecified": "unspecified",
}

DependenceSign = Literal[
    "craving",
    "cannot-sleep-without",
    "taking-more-than-prescribed",
    "taking-more-often-than-prescribed",
    "dose-escalation",
]
OverdoseSign = Literal[
    "slow-heart-rate",
    "low-blood-pressure",
    "confusion",
    "extreme-drowsiness",
    "slow-or-irregular-breathing",
    "unresponsive",
    "coma",
]

FACTS: Final[dict[str, FactKind]] = {
    # patient
    "age_years": "number",
    "weight_kg": "number",
    "sex": "text",
    "pregnant": "bool",
    "breastfeeding": "bool",
    "older_adult": "bool",
    "conditions": "set",
    "hepatic_impairment": "text",
    "alcohol_use": "text",
    "drives": "bool",
    "medicine_classes": "set",
    "dependence_signs": "set",
    "overdose_signs": "set",
    "prior_withdrawal": "bool",
    # regimen
    "drug": "text",
    "drug_cyp3a_substrate": "bool",
    "indication": "text",
    "population": "text",
    "on_label": "bool",
    "label_dosing_found": "bool",
    "regimen_active": "bool",
    "within_alcohol_window": "bool",
    "daily_dose_mg": "number",
    "max_single_dose_mg": "number",
    "diazepam_equivalent_mg": "number",
    "duration_days": "number",
    "advised_max_days": "number",
    "dose_above_label_max": "bool",
    "start_above_label": "bool",
    "titration_too_fast": "bool",
    "duration_beyond_advised": "bool",
    # derived
    "dependence_score": "number",
    "dependence_band": "text",
    "overdue_monitoring": "set",
}

TEXTS: Final[frozenset[str]] = frozenset({
    "alcohol_avoid_until",
    "alcohol_use_text",
    "alcohol_until_clause",
    "regimen_end",
    "overdose_signs_text",
    "emergency",
    "opioid_note",
    "cns_depressants_text",
    "inducers_text",
    "respiratory_text",
    "dementia_falls_text",
    "sud_text",
    "dose_vs_max_text",
    "start_vs_label_text",
    "titration_text",
    "label_gap_text",
    "dependence_inputs",
    "dependence_signs_text",
    "screening",
    "complete_blood_count_due",
    "liver_function_tests_due",
    "efficacy_review_due",
    "depression_screening_due",
})
