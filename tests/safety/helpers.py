"""Shared builders for the safety tests: a clean adult-epilepsy patient and overrides."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from benzoplan.safety import CheckResult, PatientRecord, check

TODAY = dt.date(2026, 11, 24)

CLEAN: dict[str, Any] = {
    "id": "clean",
    "age_years": 34,
    "sex": "male",
    "weight": "78 kg",
    "conditions": ["epilepsy"],
    "alcohol_use": "none",
    "drives": False,
    "medicines": [],
    "regimen": {
        "drug": "clonazepam",
        "indication": "seizure-disorders",
        "start_date": "2026-10-01",
        "schedule": [
            {"time": "08:00", "dose": "0.5 mg"},
            {"time": "14:00", "dose": "0.5 mg"},
            {"time": "20:00", "dose": "0.5 mg"},
        ],
    },
}


def patient_dict(**overrides: Any) -> dict[str, Any]:
    """The clean patient with top-level overrides; ``regimen`` overrides merge key by key."""
    data = copy.deepcopy(CLEAN)
    for key, value in overrides.items():
        if key == "regimen":
            data["regimen"].update(value)
        else:
            data[key] = value
    return data


def run(**overrides: Any) -> CheckResult:
    return check(PatientRecord.from_json(patient_dict(**overrides)), today=TODAY)


def daily(mg: float, times: int = 2) -> list[dict[str, str]]:
    return [{"dose": f"{mg / times:g} mg"} for _ in range(times)]
