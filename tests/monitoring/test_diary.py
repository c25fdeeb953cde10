"""Diary entry models: JSON form round trip, validation, schema; the symptom checklist."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benzoplan.errors import InputError
from benzoplan.monitoring import (
    SeizureEntry,
    SymptomEntry,
    diary_json_schema,
    parse_entry,
    symptoms,
)

EXAMPLES: list[dict[str, Any]] = [
    {"kind": "dose", "date": "2026-03-02", "slot": "08:00", "status": "taken"},
    {"kind": "dose", "date": "2026-03-02", "slot": "14:10", "status": "extra"},
    {"kind": "symptoms", "date": "2026-03-02", "ratings": {"anxiety": 2, "headache": 1}},
    {"kind": "sleep", "date": "2026-03-02", "bedtime": "23:15", "latency_min": 40,
     "awakenings": 2, "total_sleep_h": 5.5, "quality": 1},
    {"kind": "seizure", "date": "2026-03-02", "count": 1, "type": "focal",
     "longest_duration_s": 45},
    {"kind": "instrument", "date": "2026-03-02", "instrument": "isi",
     "answers": {"1": 1, "2": 1, "3": 1, "4": 1, "5": 1, "6": 1, "7": 1}},
]


@pytest.mark.parametrize("obj", EXAMPLES)
def test_json_round_trip(obj: dict[str, Any]) -> None:
    e = parse_entry(obj)
    assert e.to_json() == obj and parse_entry(e.to_json()) == e
    with pytest.raises(Exception):  # noqa: B017 - frozen
        e.date = e.date  # type: ignore[misc]


def test_refs_name_day_and_slot() -> None:
    assert [parse_entry(o).ref for o in EXAMPLES] == [
        "dose:2026-03-02:08:00", "dose:2026-03-02:14:10", "symptoms:2026-03-02",
        "sleep:2026-03-02:night", "seizure:2026-03-02", "instrument:2026-03-02:isi"]


@pytest.mark.parametrize(("obj", "message"), [
    ({**EXAMPLES[0], "slot": "8am"}, "slot must be a time HH:MM"),
    ({**EXAMPLES[0], "status": "skipped"}, "status"),
    ({**EXAMPLES[2], "ratings": {"anxiety": 4}}, "ratings must be 0–3"),
    ({**EXAMPLES[2], "ratings": {"sadness": 1}}, "unknown symptom"),
    ({**EXAMPLES[3], "quality": 5}, "quality"),
    ({"kind": "seizure", "date": "2026-03-02", "count": 2}, "needs its type"),
    ({**EXAMPLES[0], "mood": 3}, "mood"),
    ({**EXAMPLES[0], "date": "2026-02-30"}, "date"),
])
def test_invalid_entries(obj: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_entry(obj)


def test_checklist_is_built_from_the_clinical_texts() -> None:
    codes = {s.code for s in symptoms()}
    for needed in ("anxiety", "insomnia", "headache", "muscle_pain", "agitation",
                   "disorientation", "sensory_hypersensitivity", "numbness", "derealisation",
                   "hallucinations", "low_mood", "suicidal_thoughts", "slow_breathing"):
        assert needed in codes
    assert all(s.source for s in symptoms())


@given(st.dictionaries(st.sampled_from([s.code for s in symptoms()]), st.integers(0, 3)))
def test_checklist_total_is_sum_and_in_range(ratings: dict[str, int]) -> None:
    e = SymptomEntry(date="2026-03-02", ratings=ratings)  # type: ignore[arg-type]
    assert e.total == sum(ratings.values()) and 0 <= e.total <= 3 * len(symptoms())


def test_schema_is_discriminated_by_kind() -> None:
    schema = diary_json_schema()
    assert schema["discriminator"]["propertyName"] == "kind"
    assert SeizureEntry(date="2026-03-02", count=0).count == 0  # type: ignore[arg-type]
