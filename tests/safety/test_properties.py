"""Engine invariants, property-tested: determinism, severity order, monotonicity in risk
factors, and red-flag overdose signs always yielding an urgent finding first."""

from __future__ import annotations

import datetime as dt
from typing import Any, get_args

from hypothesis import given
from hypothesis import strategies as st

from benzoplan.drugs import list_drugs
from benzoplan.safety import CheckResult, PatientRecord, check, severity_rank
from benzoplan.safety.patient import known_indications
from benzoplan.safety.vocabulary import ConditionCode, DependenceSign, OverdoseSign

from .helpers import TODAY

CONDITIONS = list(get_args(ConditionCode))
SIGNS = list(get_args(DependenceSign))
OVERDOSE = list(get_args(OverdoseSign))
MEDICINES = ["oxycodone", "Suboxone", "methadone", "Xanax", "zolpidem", "gabapentin",
             "Benadryl", "quetiapine", "phenobarbital", "Soma", "ketoconazole", "rifampin",
             "carbamazepine", "lamotrigine", "Depakote", "wine", "sertraline", "unknownium"]
INDICATIONS = sorted(known_indications())
DRUGS = [d.name for d in list_drugs()]


@st.composite
def patients(draw: st.DrawFn) -> dict[str, Any]:
    sex = draw(st.sampled_from(["female", "male", "other", "unknown"]))
    age = draw(st.floats(min_value=0.5, max_value=100, allow_nan=False))
    start = TODAY - dt.timedelta(days=draw(st.integers(0, 3000)))
    data: dict[str, Any] = {
        "age_years": round(age, 1),
        "sex": sex,
        "weight": f"{draw(st.integers(8, 140))} kg",
        "pregnant": sex == "female" and age >= 14 and draw(st.booleans()),
        "conditions": draw(st.lists(st.sampled_from(CONDITIONS), unique=True, max_size=4)),
        "hepatic_impairment": draw(st.sampled_from(["none", "mild", "moderate", "severe"])),
        "alcohol_use": draw(st.sampled_from(["none", "occasional", "regular", "heavy",
                                             "unknown"])),
        "drives": draw(st.sampled_from([True, False, None])),
        "medicines": draw(st.lists(st.sampled_from(MEDICINES), unique=True, max_size=4)),
        "dependence_signs": draw(st.lists(st.sampled_from(SIGNS), unique=True, max_size=2)),
        "prior_withdrawal": draw(st.booleans()),
        "overdose_signs": draw(st.lists(st.sampled_from(OVERDOSE), unique=True, max_size=2)),
        "regimen": {
            "drug": draw(st.sampled_from(["clonazepam", *DRUGS])),
            "indication": draw(st.sampled_from(INDICATIONS)),
            "start_date": start.isoformat(),
            "schedule": [{"dose": f"{draw(st.sampled_from([0.125, 0.25, 0.5, 1, 2, 3]))} mg"}
                         for _ in range(draw(st.integers(0, 3)))],
        },
    }
    if draw(st.booleans()):
        end = start + dt.timedelta(days=draw(st.integers(0, 4000)))
        data["regimen"]["end_date"] = end.isoformat()
    return data


def _check(data: dict[str, Any]) -> CheckResult:
    return check(PatientRecord.from_json(data), today=TODAY)


def _add_risk(data: dict[str, Any], kind: str, choice: int) -> dict[str, Any]:
    new = {**data, "regimen": dict(data["regimen"])}
    if kind == "condition":
        extra = [c for c in CONDITIONS if c not in data["conditions"]]
        new["conditions"] = [*data["conditions"], extra[choice % len(extra)]] if extra else \
            data["conditions"]
    elif kind == "medicine":
        new["medicines"] = [*data["medicines"], MEDICINES[choice % len(MEDICINES)]]
        new["medicines"] = list(dict.fromkeys(new["medicines"]))
    elif kind == "alcohol":
        new["alcohol_use"] = "heavy"
    elif kind == "drives":
        new["drives"] = True
    elif kind == "dependence":
        new["dependence_signs"] = sorted({*data["dependence_signs"], SIGNS[choice % len(SIGNS)]})
    elif kind == "overdose":
        new["overdose_signs"] = sorted({*data["overdose_signs"], OVERDOSE[choice % 7]})
    elif kind == "withdrawal":
        new["prior_withdrawal"] = True
    elif kind == "hepatic":
        order = ["none", "mild", "moderate", "severe"]
        i = order.index(data["hepatic_impairment"])
        new["hepatic_impairment"] = order[min(3, i + 1 + choice % 2)]
    return new


@given(patients())
def test_deterministic(data: dict[str, Any]) -> None:
    assert _check(data).to_json() == _check(data).to_json()


@given(patients())
def test_sorted_by_severity(data: dict[str, Any]) -> None:
    findings = _check(data).findings
    keys = [f.sort_key() for f in findings]
    assert keys == sorted(keys)
    ranks = [severity_rank(f.severity) for f in findings]
    assert ranks == sorted(ranks)
    assert len({f.code for f in findings}) == len(findings)


@given(patients(), st.sampled_from(["condition", "medicine", "alcohol", "drives", "dependence",
                                    "overdose", "withdrawal", "hepatic"]),
       st.integers(0, 100))
def test_adding_a_risk_factor_never_removes_or_softens_a_finding(
        data: dict[str, Any], kind: str, choice: int) -> None:
    before = {f.code: severity_rank(f.severity) for f in _check(data).findings}
    after = {f.code: severity_rank(f.severity) for f in _check(_add_risk(data, kind, choice))
             .findings}
    for code, rank in before.items():
        assert code in after, (kind, code)
        assert after[code] <= rank, (kind, code)


@given(patients(), st.lists(st.sampled_from(OVERDOSE), min_size=1, unique=True))
def test_red_flag_overdose_signs_always_urgent_first(data: dict[str, Any],
                                                      signs: list[str]) -> None:
    result = _check({**data, "overdose_signs": signs})
    first = result.findings[0]
    assert first.code == "overdose-signs" and first.urgent
    assert first.severity == "contraindicated" and first.emergency
    assert "opioid" in first.message.lower()
