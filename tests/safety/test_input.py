"""Bad input gives a clear benzoplan error or an explicit unresolved item, never a silent pass."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from benzoplan.errors import InputError, UnitError, UnknownDrug
from benzoplan.safety import PatientRecord, check

from .helpers import TODAY, patient_dict, run

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize(
    ("overrides", "error", "words"),
    [
        ({"weight": "0 kg"}, InputError, "weight 0 kg is outside"),
        ({"weight": 70}, UnitError, "no unit"),
        ({"weight": "70 mL"}, UnitError, "mass"),
        ({"age_years": 250}, InputError, "age_years"),
        ({"age_years": -1}, InputError, "age_years"),
        ({"regimen": {"schedule": [{"dose": 1}]}}, UnitError, "has no unit"),
        ({"regimen": {"schedule": [{"dose": "1"}]}}, UnitError, "has no unit"),
        ({"regimen": {"schedule": [{"dose": "1 mL"}]}}, UnitError, "mass"),
        ({"sex": "male", "pregnant": True}, InputError, "pregnant"),
        ({"sex": "male", "breastfeeding": True}, InputError, "breastfeeding"),
        ({"conditions": ["epilepsy", "gout"]}, InputError, "gout"),
        ({"overdose_signs": ["sneezing"]}, InputError, "sneezing"),
        ({"regimen": {"drug": "klonopn"}}, UnknownDrug, "did you mean"),
        ({"regimen": {"indication": "back pain"}}, InputError, "unknown indication"),
        ({"regimen": {"end_date": "2026-01-01"}}, InputError, "before start_date"),
        ({"regimen": {"history": [{"date": "2026-11-01", "daily_dose": "1 mg"},
                                  {"date": "2026-10-15", "daily_dose": "1.5 mg"}]}},
         InputError, "increasing"),
        ({"regimen": {"schedule": [{"dose": "1 mg", "time": "25:00"}]}}, InputError, "HH:MM"),
        ({"unknown_key": 1}, InputError, "unknown_key"),
    ],
)
def test_bad_input_is_refused(overrides: dict[str, Any], error: type[Exception],
                              words: str) -> None:
    with pytest.raises(error) as info:
        PatientRecord.from_json(patient_dict(**overrides))
    assert words in str(info.value)


def test_unknown_medicine_is_listed_not_dropped() -> None:
    result = run(medicines=["oxycodone", "zzqx-unknown 10 mg"])
    assert "opioid-co-use" in result.codes()
    assert [u.value for u in result.unresolved] == ["zzqx-unknown 10 mg"]


def test_unrecorded_alcohol_and_driving_are_unresolved() -> None:
    data = patient_dict()
    del data["alcohol_use"], data["drives"]
    result = check(PatientRecord.from_json(data), today=TODAY)
    assert {u.field for u in result.unresolved} == {"alcohol_use", "drives"}


def test_missing_dose_is_unresolved_not_passed() -> None:
    result = run(regimen={"schedule": [], "indication": "panic-disorder"})
    assert any(u.field == "regimen.schedule" for u in result.unresolved)
    assert "dose-above-label-maximum" not in result.codes()
    assert result.dependence.inputs[0].value == "not given (not scored)"


def test_non_object_is_refused() -> None:
    with pytest.raises(InputError):
        PatientRecord.from_json(["not", "an", "object"])


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("patient-*.json")), ids=lambda p: p.name)
def test_examples_load_and_round_trip(path: Path) -> None:
    p = PatientRecord.from_json(json.loads(path.read_text()))
    again = PatientRecord.from_json(p.to_json())
    assert again == p
    assert check(again, today=TODAY) == check(p, today=TODAY)


def test_sample_example_fires() -> None:
    p = PatientRecord.from_json(json.loads((EXAMPLES / "patient-sample.json").read_text()))
    codes = check(p, today=TODAY).codes()
    assert "opioid-co-use" in codes and "alcohol-use" in codes


def test_clean_example_has_nothing_above_minor() -> None:
    p = PatientRecord.from_json(
        json.loads((EXAMPLES / "patient-clean-epilepsy.json").read_text()))
    assert all(f.severity in ("minor", "info") for f in check(p, today=TODAY).findings)


def test_unspecified_indication_is_unresolved_not_passed() -> None:
    result = run(regimen={"indication": "unspecified", "schedule": [{"dose": "30 mg"}]})
    assert [u.field for u in result.unresolved] == ["regimen.indication"]
    assert not {"dose-above-label-maximum", "off-label-use",
                "indication-not-labelled-for-population"} & set(result.codes())


def test_patient_json_schema_is_generated() -> None:
    schema = PatientRecord.model_json_schema()
    assert "weight" in schema["properties"] and "regimen" in schema["properties"]
    text = json.dumps(schema)
    assert "an amount with its unit" in text
