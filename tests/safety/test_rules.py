"""Every rule fires on a patient made for it and stays silent on a near miss."""

from __future__ import annotations

import re
from typing import Any

import pytest

from benzoplan.safety import safety_data, severity_rank

from .helpers import daily, run

# code -> (overrides that must fire it, overrides of a near miss that must not)
CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "overdose-signs": ({"overdose_signs": ["slow-or-irregular-breathing"]},
                       {"dependence_signs": ["craving"]}),
    "opioid-co-use": ({"medicines": ["Suboxone 8 mg/2 mg film"]}, {"medicines": ["naproxen"]}),
    "duplicate-benzodiazepine": ({"medicines": ["Xanax 0.5 mg"]}, {"medicines": ["Klonopin"]}),
    "cns-depressant-co-use": ({"medicines": ["zolpidem"]}, {"medicines": ["ibuprofen"]}),
    "gabapentinoid-co-use": ({"medicines": ["Lyrica"]}, {"medicines": ["levetiracetam"]}),
    "alcohol-use": ({"alcohol_use": "regular"}, {"alcohol_use": "none"}),
    "alcohol-after-stop": ({"regimen": {"end_date": "2026-11-22"}},
                           {"regimen": {"end_date": "2026-11-20"}}),
    "cyp3a4-inhibitor": ({"medicines": ["ketoconazole"]}, {"medicines": ["fluconazole cream"]}),
    "enzyme-inducer": ({"medicines": ["carbamazepine"]}, {"medicines": ["levetiracetam"]}),
    "valproate-absence-status": ({"medicines": ["Depakote"]}, {"medicines": ["lacosamide"]}),
    "hepatic-impairment": ({"hepatic_impairment": "mild"}, {"hepatic_impairment": "none"}),
    "narrow-angle-glaucoma": ({"conditions": ["epilepsy", "acute-narrow-angle-glaucoma"]},
                              {"conditions": ["epilepsy"]}),
    "respiratory-contraindication": ({"conditions": ["epilepsy", "sleep-apnea"]},
                                     {"conditions": ["epilepsy", "copd"]}),
    "respiratory-disease": ({"conditions": ["epilepsy", "copd"]},
                            {"conditions": ["epilepsy", "sleep-apnea"]}),
    "myasthenia-gravis": ({"conditions": ["epilepsy", "myasthenia-gravis"]}, {}),
    "renal-impairment": ({"conditions": ["epilepsy", "renal-impairment"]}, {}),
    "pregnancy": ({"sex": "female", "pregnant": True}, {"sex": "female", "pregnant": False}),
    "breastfeeding": ({"sex": "female", "breastfeeding": True}, {"sex": "female"}),
    "older-adult": ({"age_years": 65}, {"age_years": 64.9}),
    "dementia-or-falls": ({"conditions": ["epilepsy", "falls"]}, {}),
    "suicide-attempt-history": ({"conditions": ["epilepsy", "suicide-attempt"]},
                                {"conditions": ["epilepsy", "depression"]}),
    "depression-history": ({"conditions": ["epilepsy", "depression"]}, {}),
    "substance-use-history": ({"conditions": ["epilepsy", "alcohol-use-disorder"]},
                              {"alcohol_use": "occasional"}),
    "driving": ({"drives": True}, {"drives": False}),
    "dose-above-label-maximum": (
        {"regimen": {"indication": "panic-disorder", "start_date": "2026-11-20",
                     "schedule": daily(5)}},
        {"regimen": {"indication": "panic-disorder", "start_date": "2026-11-20",
                     "schedule": daily(4)}}),
    "start-dose-above-label": (
        {"regimen": {"schedule": daily(3, 3),
                     "history": [{"date": "2026-10-01", "daily_dose": "3 mg"}]}},
        {"regimen": {"schedule": daily(3, 3),
                     "history": [{"date": "2026-10-01", "daily_dose": "1.5 mg"},
                                 {"date": "2026-10-04", "daily_dose": "2.5 mg"},
                                 {"date": "2026-10-07", "daily_dose": "3 mg"}]}}),
    "titration-too-fast": (
        {"regimen": {"indication": "panic-disorder", "schedule": daily(2),
                     "history": [{"date": "2026-10-01", "daily_dose": "0.5 mg"},
                                 {"date": "2026-10-03", "daily_dose": "1 mg"},
                                 {"date": "2026-10-06", "daily_dose": "2 mg"}]}},
        {"regimen": {"indication": "panic-disorder", "schedule": daily(2),
                     "history": [{"date": "2026-10-01", "daily_dose": "0.5 mg"},
                                 {"date": "2026-10-04", "daily_dose": "1 mg"},
                                 {"date": "2026-10-10", "daily_dose": "2 mg"}]}}),
    "duration-beyond-advised": (
        {"regimen": {"indication": "opioid-withdrawal", "start_date": "2026-11-19",
                     "schedule": daily(1)}},
        {"regimen": {"indication": "opioid-withdrawal", "start_date": "2026-11-20",
                     "schedule": daily(1)}}),
    "indication-not-labelled-for-population": (
        {"age_years": 8, "weight": "25 kg",
         "regimen": {"indication": "panic-disorder", "schedule": daily(0.5)}},
        {"age_years": 8, "weight": "25 kg", "regimen": {"schedule": daily(0.5)}}),
    "off-label-use": ({"regimen": {"indication": "insomnia", "schedule": daily(0.25, 1)}},
                      {"regimen": {"indication": "panic-disorder", "schedule": daily(1)}}),
    "dependence-risk": ({"regimen": {"start_date": "2025-01-01"}},
                        {"regimen": {"start_date": "2026-11-01"}}),
    "dependence-signs": ({"dependence_signs": ["cannot-sleep-without"]}, {}),
    "blood-count-overdue": (
        {"regimen": {"start_date": "2025-01-01"},
         "monitoring": {"liver-function-tests": "2026-10-01",
                        "depression-screening": "2026-10-01"}},
        {"regimen": {"start_date": "2025-01-01"},
         "monitoring": {"complete-blood-count": "2026-06-01"}}),
    "liver-tests-overdue": (
        {"regimen": {"start_date": "2025-01-01"},
         "monitoring": {"complete-blood-count": "2026-10-01"}},
        {"regimen": {"start_date": "2025-01-01"},
         "monitoring": {"liver-function-tests": "2026-06-01"}}),
    "efficacy-review-overdue": ({"regimen": {"start_date": "2026-08-01"}},
                                {"regimen": {"start_date": "2026-08-30"}}),
    "depression-screening-overdue": (
        {"regimen": {"start_date": "2026-08-01"}},
        {"regimen": {"start_date": "2026-08-01"},
         "monitoring": {"depression-screening": "2026-09-01"}}),
}


def test_every_rule_has_cases() -> None:
    assert set(CASES) == {r.code for r in safety_data().rules}


@pytest.mark.parametrize("code", sorted(CASES))
def test_rule_fires(code: str) -> None:
    result = run(**CASES[code][0])
    assert code in result.codes(), result.codes()
    f = next(f for f in result.findings if f.code == code)
    for text in (f.message, f.patient_message, f.rationale, f.action):
        assert text and "{" not in text and "unknown" not in text.lower().split(), text
        assert not re.search(r"(?<!e\.g)(?<!i\.e)\. [a-z]", text), text  # sentence case
    assert f.source.key and f.source.title


@pytest.mark.parametrize("code", sorted(CASES))
def test_rule_stays_silent(code: str) -> None:
    assert code not in run(**CASES[code][1]).codes()


def test_clean_patient_nothing_above_minor() -> None:
    result = run()
    assert all(severity_rank(f.severity) >= severity_rank("minor") for f in result.findings)
    assert result.unresolved == ()


def test_alcohol_window_names_the_computed_date() -> None:
    f = next(f for f in run(regimen={"end_date": "2026-11-22"}).findings
             if f.code == "alcohol-after-stop")
    assert "2026-11-25" in f.message and "2026-11-25" in f.patient_message


def test_alcohol_use_with_planned_end_gives_date() -> None:
    f = next(f for f in run(alcohol_use="heavy", regimen={"end_date": "2026-12-10"}).findings
             if f.code == "alcohol-use")
    assert "until 2026-12-13" in f.message


def test_hepatic_severity_follows_impairment() -> None:
    sev = {h: next(f for f in run(hepatic_impairment=h).findings
                   if f.code == "hepatic-impairment").severity
           for h in ("mild", "moderate", "severe")}
    assert sev == {"mild": "moderate", "moderate": "moderate", "severe": "contraindicated"}


def test_pediatric_per_kg_maximum() -> None:
    # Label: 0.2 mg/kg/day maintenance ceiling in children up to 10 years or 30 kg.
    over = run(age_years=8, weight="20 kg", regimen={"schedule": daily(4.5, 3)})
    ok = run(age_years=8, weight="20 kg", regimen={"schedule": daily(3.9, 3)})
    f = next(f for f in over.findings if f.code == "dose-above-label-maximum")
    assert "4 mg" in f.message
    assert "dose-above-label-maximum" not in ok.codes()


def test_child_without_weight_is_unresolved_not_passed() -> None:
    data = run(age_years=8, weight=None, regimen={"schedule": daily(6, 3)})
    assert "dose-above-label-maximum" not in data.codes()
    assert any(u.field == "weight" for u in data.unresolved)


def test_opioid_withdrawal_single_dose_ceiling() -> None:
    over = run(regimen={"indication": "opioid-withdrawal", "start_date": "2026-11-23",
                        "schedule": [{"dose": "2.5 mg", "time": "22:00"}]})
    assert "dose-above-label-maximum" in over.codes()


def test_overdose_finding_is_first_urgent_and_has_emergency_text() -> None:
    result = run(overdose_signs=["unresponsive"], medicines=["methadone"])
    first = result.findings[0]
    assert first.code == "overdose-signs" and first.urgent
    assert first.emergency and "emergency" in first.emergency.lower()
    assert "opioid" in first.message.lower() and "methadone" in first.message


def test_findings_json_contract() -> None:
    data = run(medicines=["oxycodone", "mystery pill"]).to_json()
    assert set(data) >= {"findings", "unresolved"}
    f = data["findings"][0]
    assert set(f) >= {"severity", "code", "message", "patient_message", "rationale", "action",
                      "source"}
    assert data["unresolved"] == [{"field": "medicines", "value": "mystery pill",
                                   "reason": "medicine not recognised; its interactions were "
                                             "not checked"}]


def test_triage_overdose_standalone() -> None:
    from benzoplan.errors import InputError
    from benzoplan.safety import triage_overdose

    assert triage_overdose([]) is None
    f = triage_overdose(["extreme-drowsiness", "slow-heart-rate"], medicines=["Suboxone"])
    assert f is not None and f.urgent and f.severity == "contraindicated"
    assert "buprenorphine" in f.message and f.emergency and "naloxone" in f.message
    plain = triage_overdose(["confusion"])
    assert plain is not None and "opioid" in plain.message.lower()
    with pytest.raises(InputError, match="unknown overdose sign"):
        triage_overdose(["hiccups"])


def test_alcohol_listed_as_medicine_fires_with_clear_text() -> None:
    f = next(f for f in run(alcohol_use="unknown", medicines=["wine"]).findings
             if f.code == "alcohol-use")
    assert "(listed among medicines: alcohol)" in f.message
