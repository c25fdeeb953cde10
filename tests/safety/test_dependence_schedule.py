"""Dependence-risk score and monitoring schedule."""

from __future__ import annotations

import datetime as dt

from benzoplan.safety import PatientRecord, dependence_risk, monitoring_schedule, safety_data
from benzoplan.units import Dose

from .helpers import TODAY, patient_dict


def test_dependence_names_inputs_and_recommends_sds() -> None:
    r = dependence_risk(drug="clonazepam", daily_dose=Dose("2 mg"), duration_days=400,
                        history=True, prior_withdrawal=True, signs=["craving"])
    # Joint guideline Table 2, clonazepam column: > 1.5 mg/day is a high dose.
    assert [i.points for i in r.inputs] == [2, 2, 2, 1, 2]
    assert r.score == 9 and r.band == "high"
    data = r.to_json()
    assert "SDS" in data["recommendation"] and data["assumption"]["name"]
    assert data["instrument"] == "sds"
    assert data["diazepam_equivalent"] == {"value": 40, "unit": "mg"}


def test_dependence_low_for_short_low_dose() -> None:
    r = dependence_risk(drug="clonazepam", daily_dose=Dose("0.5 mg"), duration_days=10,
                        history=False, prior_withdrawal=False, signs=[])
    assert (r.score, r.band) == (0, "low")


def test_diazepam_uses_diazepam_equivalent_bands() -> None:
    r = dependence_risk(drug="diazepam", daily_dose=Dose("12 mg"), duration_days=10,
                        history=False, prior_withdrawal=False, signs=[])
    assert r.inputs[0].points == 1


def test_schedule_due_dates_and_overdue() -> None:
    p = PatientRecord.from_json(patient_dict(
        regimen={"start_date": "2025-01-01"},
        monitoring={"complete-blood-count": "2026-08-01", "liver-function-tests": "2025-03-01"}))
    items = {s.item: s for s in monitoring_schedule(p, today=TODAY)}
    assert items["complete-blood-count"].due == dt.date(2026, 8, 1) + dt.timedelta(days=180)
    assert not items["complete-blood-count"].overdue
    assert items["liver-function-tests"].overdue
    assert items["efficacy-review"].assumption == "efficacy-review"
    assert items["depression-screening"].to_json()["interval"] == {"value": 90, "unit": "d"}


def test_schedule_labs_not_overdue_before_long_term() -> None:
    p = PatientRecord.from_json(patient_dict(regimen={"start_date": "2026-09-15"}))
    items = {s.item: s for s in monitoring_schedule(p, today=TODAY)}
    assert not items["complete-blood-count"].overdue


def test_schedule_empty_after_regimen_ended() -> None:
    p = PatientRecord.from_json(patient_dict(regimen={"start_date": "2025-01-01",
                                                      "end_date": "2026-01-01"}))
    assert monitoring_schedule(p, today=TODAY) == ()


def test_panic_disorder_has_no_efficacy_review() -> None:
    p = PatientRecord.from_json(patient_dict(regimen={"indication": "panic-disorder"}))
    assert "efficacy-review" not in {s.item for s in monitoring_schedule(p, today=TODAY)}


def test_screening_instrument_exists() -> None:
    from benzoplan.instruments import get_instrument

    assert get_instrument(safety_data().policy.dependence.screening_instrument)
