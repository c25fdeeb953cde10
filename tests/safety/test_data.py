"""The safety data files and the condition language."""

from __future__ import annotations

from typing import Any

import pytest

import benzoplan.safety as safety
from benzoplan.safety import resolve_medicine, safety_data
from benzoplan.safety.conditions import parse_condition
from benzoplan.safety.vocabulary import FACTS


def test_public_surface_is_intentional() -> None:
    assert set(safety.__all__) == {
        "SEVERITIES", "Administration", "CheckResult", "DependenceRisk", "DoseChange",
        "DosingProposal", "Finding", "LabelDosing", "MedicineMatch", "MonitoringDates",
        "PatientRecord", "ProductOption", "Regimen", "RiskInput", "ScheduleItem", "Severity",
        "SourceRef", "TitrationStep", "Unresolved", "check", "dependence_risk", "label_dosing",
        "monitoring_schedule", "product_options", "propose_dosing", "resolve_medicine",
        "safety_data", "severity_rank", "triage_overdose"}
    for name in safety.__all__:
        assert hasattr(safety, name)


def test_classes_required_by_the_issue_exist_and_are_populated() -> None:
    data = safety_data()
    required = {"opioid", "benzodiazepine", "z-drug", "gabapentinoid", "sedating-antihistamine",
                "antipsychotic", "barbiturate", "muscle-relaxant", "alcohol",
                "cyp3a4-strong-inhibitor", "cyp3a4-strong-inducer",
                "clonazepam-level-lowering-antiepileptic"}
    assert required <= set(data.classes)
    populated = {c for m in data.medicines for c in m.classes}
    assert set(data.classes) <= populated


@pytest.mark.parametrize(
    ("text", "name", "cls"),
    [("Suboxone 8/2 mg film", "buprenorphine", "opioid"),
     ("methadone 40 mg daily", "methadone", "opioid"),
     ("Percocet 5/325", "oxycodone", "opioid"),
     ("XANAX", "alprazolam", "benzodiazepine"),
     ("st john's wort", "st john's wort", "cyp3a4-strong-inducer"),
     ("Tegretol XR 200 mg", "carbamazepine", "clonazepam-level-lowering-antiepileptic"),
     ("rifampin", "rifampicin", "cyp3a4-strong-inducer")],
)
def test_medicine_resolution(text: str, name: str, cls: str) -> None:
    m = resolve_medicine(text)
    assert m is not None and m.medicine.name == name and cls in m.classes


def test_unknown_medicine_does_not_resolve() -> None:
    assert resolve_medicine("sertraline") is None
    assert resolve_medicine("   ") is None
    # whole words only: "cobicistat" must not match inside another word
    assert resolve_medicine("xcobicistatx") is None


def test_codes_where_given() -> None:
    for m in safety_data().medicines:
        assert m.atc is None or len(m.atc) == 7
        assert m.rxnorm is None or m.rxnorm.isdigit()
    opioid = next(m for m in safety_data().medicines if m.name == "buprenorphine")
    assert opioid.atc == "N07BC01" and opioid.rxnorm == "1819"


def test_every_assumption_is_used_and_explained() -> None:
    policy = safety_data().policy
    for a in policy.assumptions.values():
        assert a.text and a.based_on in safety_data().sources


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ({"fact": "nope", "is": 1}, "unknown fact"),
        ({"fact": "conditions", "gt": 1}, "does not apply"),
        ({"fact": "age_years", "ge": "old"}, "needs a number"),
        ({"fact": "pregnant", "is": "yes"}, "true or false"),
        ({"fact": "conditions", "has_any": "copd"}, "list of strings"),
        ({"all": []}, "non-empty list"),
        ({"fact": "sex", "is": "female", "extra": 1}, "expected"),
        ("sex == 'female'", "must be a table"),
        ({"fact": "sex", "in": ["female", 3]}, "list of strings"),
    ],
)
def test_condition_language_rejects(raw: Any, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_condition(raw, FACTS, where="test")


def test_condition_language_evaluates() -> None:
    c = parse_condition({"all": [{"fact": "age_years", "ge": 65},
                                 {"not": {"fact": "conditions", "has": "copd"}},
                                 {"any": [{"fact": "sex", "in": ["female"]},
                                          {"fact": "drives", "is": True}]}]},
                        FACTS, where="test")
    base: dict[str, Any] = {"age_years": 70, "conditions": frozenset(), "sex": "male",
                            "drives": True}
    assert c.holds(base)
    assert not c.holds({**base, "conditions": frozenset({"copd"})})
    assert not c.holds({**base, "age_years": None})  # unknown is never true
    assert not c.holds({**base, "drives": None})
