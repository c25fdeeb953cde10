"""Each monitoring rule firing and not firing; red flags never lowered; bad input rejected."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benzoplan.errors import InputError
from benzoplan.monitoring import EMERGENCY, PlanView, evaluate, parameter

from .helpers import (
    checklist,
    ciwa,
    day,
    dose,
    instrument,
    plan_json,
    rising_diary,
    seizure,
)

PLAN = plan_json()


def codes(result: Any, level: str | None = None) -> set[str]:
    return {a.code for a in result.alerts if level is None or a.level == level}


def quiet(days: int) -> list[dict[str, Any]]:
    return [checklist(n, anxiety=1, insomnia=1) for n in range(days)]


# --- red flags ---------------------------------------------------------------------------
def test_seizure_during_taper_is_urgent_with_emergency_instructions() -> None:
    r = evaluate(PLAN, [*quiet(5), seizure(4)], today=day(5))
    a = next(a for a in r.alerts if a.code == "seizure-during-taper")
    assert a.level == "urgent" and a.action == EMERGENCY and "911" in a.action
    assert a.entries == ("seizure:2026-03-05",) and a.source == "fda-clonazepam-tablets"
    assert r.alerts[0].level == "urgent"


def test_seizure_diary_with_zero_count_is_not_a_red_flag() -> None:
    r = evaluate(PLAN, [*quiet(5), seizure(4, count=0)], today=day(5))
    assert "seizure-during-taper" not in codes(r)


@pytest.mark.parametrize(("ratings", "code"), [
    ({"hallucinations": 1}, "hallucinations"),
    ({"disorientation": 2}, "delirium"),
    ({"suicidal_thoughts": 1}, "suicidal-thoughts"),
    ({"slow_breathing": 1}, "overdose-signs"),
    ({"extreme_drowsiness": 3}, "overdose-signs"),
])
def test_symptom_red_flags(ratings: dict[str, int], code: str) -> None:
    r = evaluate(PLAN, [*quiet(3), checklist(3, **ratings)], today=day(3))
    assert code in codes(r, "urgent")
    alert = next(a for a in r.alerts if a.code == code)
    assert alert.entries == ("symptoms:2026-03-04",) and alert.action == EMERGENCY


@pytest.mark.parametrize("ratings", [{"disorientation": 1}, {"extreme_drowsiness": 2},
                                     {"anxiety": 3, "headache": 3}])
def test_symptoms_below_red_flag_threshold(ratings: dict[str, int]) -> None:
    r = evaluate(PLAN, [*quiet(3), checklist(3, **ratings)], today=day(3))
    assert not codes(r, "urgent")


def test_phq9_item9_and_cssrs_are_urgent() -> None:
    phq = instrument(2, "phq-9", {**{str(i): 0 for i in range(1, 9)}, "9": 1})
    cssrs = instrument(3, "c-ssrs", {"1": 1, "2": 0, "6": 0})
    r = evaluate(PLAN, quiet(4), [phq, cssrs], today=day(4))
    assert {"phq9-item9", "cssrs-positive"} <= codes(r, "urgent")


def test_phq9_without_item9_and_negative_cssrs_raise_nothing() -> None:
    phq = instrument(2, "phq-9", {**{str(i): 2 for i in range(1, 9)}, "9": 0})
    cssrs = instrument(3, "c-ssrs", {"1": 0, "2": 0, "6": 0})
    r = evaluate(PLAN, quiet(4), [phq, cssrs], today=day(4))
    assert not codes(r, "urgent")


@st.composite
def benign_entries(draw: st.DrawFn) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for n in draw(st.sets(st.integers(min_value=6, max_value=20), max_size=10)):
        out.append(checklist(n, anxiety=draw(st.integers(0, 3)), headache=draw(st.integers(0, 3))))
        if draw(st.booleans()):
            out.append(dose(n, "08:00", draw(st.sampled_from(["taken", "missed"]))))
    return out


@given(extra=benign_entries())
def test_red_flag_is_never_downgraded_by_other_entries(extra: list[dict[str, Any]]) -> None:
    base = [*quiet(5), seizure(3), checklist(5, hallucinations=1)]
    r = evaluate(PLAN, [*base, *extra], today=day(21))
    urgent = [a for a in r.alerts if a.level == "urgent"]
    assert {"seizure-during-taper", "hallucinations"} <= {a.code for a in urgent}
    assert all(p.kind != "resume" for p in r.proposals)
    levels = [a.level for a in r.alerts]
    assert levels == sorted(levels, key=["urgent", "warning", "info"].index)


# --- worsening → hold / slow ---------------------------------------------------------------
def test_rising_checklist_proposes_hold_for_documented_days() -> None:
    r = evaluate(PLAN, rising_diary(14), today=day(13))
    hold = [p for p in r.proposals if p.kind == "hold"]
    assert len(hold) == 1 and hold[0].days == int(parameter("hold_days").value) == 14
    assert hold[0].rule == "worsening.checklist-rise" and hold[0].assumption
    assert hold[0].effective == day(13) and hold[0].source == "joint-guideline-2025"
    assert "symptoms:2026-03-01" in hold[0].entries and "symptoms:2026-03-14" in hold[0].entries
    assert "withdrawal-worsening" in codes(r, "warning")


def test_rise_on_only_two_days_proposes_nothing() -> None:
    r = evaluate(PLAN, rising_diary(14)[: 3 * 11], today=day(10))  # days 0–10: 2 high days
    assert r.proposals == () and "withdrawal-worsening" not in codes(r)


def test_rise_must_be_consecutive_days() -> None:
    entries = [*quiet(3), checklist(5, anxiety=3, headache=3), checklist(6, anxiety=3,
                                                                          headache=3),
               checklist(8, anxiety=3, headache=3)]
    assert evaluate(PLAN, entries, today=day(8)).proposals == ()


def test_ciwa_b_moderate_band_proposes_hold() -> None:
    r = evaluate(PLAN, quiet(3), [ciwa(2, 2)], today=day(3))  # total 40 → moderate
    assert [p.kind for p in r.proposals] == ["hold"]
    assert r.proposals[0].rule == "worsening.ciwa-b-band"
    assert "band unverified" in r.proposals[0].why


def test_ciwa_b_mild_band_proposes_nothing() -> None:
    r = evaluate(PLAN, quiet(3), [ciwa(2, 1)], today=day(3))  # total 20 → mild
    assert r.proposals == ()


def test_severe_withdrawal_proposes_hold_and_slow() -> None:
    r = evaluate(PLAN, quiet(3), [ciwa(2, 3)], today=day(3))  # total 60 → severe
    assert [p.kind for p in r.proposals] == ["hold", "slow"]
    slow = r.proposals[1]
    assert slow.factor == 2.0 and "slow" in slow.to_json()["kind"]


def test_worsening_during_hold_proposes_slow_not_another_hold() -> None:
    plan = plan_json(revisions=[{"kind": "hold", "effective": day(8).isoformat(), "days": 14}])
    r = evaluate(plan, rising_diary(14), today=day(13))
    assert [p.kind for p in r.proposals] == ["slow"]
    assert "during the hold" in r.proposals[0].why


# --- improvement after a hold → resume ----------------------------------------------------
def test_improvement_during_hold_proposes_resume() -> None:
    plan = plan_json(hold_step=True)  # step 1 (days 14–27) is a hold
    entries = [*quiet(3), *[checklist(n, anxiety=1) for n in range(20, 23)]]
    r = evaluate(plan, entries, today=day(22))
    assert [p.kind for p in r.proposals] == ["resume"]
    assert r.proposals[0].entries == ("symptoms:2026-03-21", "symptoms:2026-03-22",
                                      "symptoms:2026-03-23")


def test_no_resume_without_hold_or_while_still_worse() -> None:
    entries = [*quiet(3), *[checklist(n, anxiety=1) for n in range(20, 23)]]
    assert evaluate(PLAN, entries, today=day(22)).proposals == ()
    worse = [*quiet(3), *[checklist(n, anxiety=3, headache=3) for n in range(20, 23)]]
    r = evaluate(plan_json(hold_step=True), worse, today=day(22))
    assert "resume" not in [p.kind for p in r.proposals]


def test_no_resume_while_a_red_flag_stands() -> None:
    entries = [*quiet(3), seizure(15), *[checklist(n, anxiety=1) for n in range(20, 23)]]
    r = evaluate(plan_json(hold_step=True), entries, today=day(22))
    assert r.proposals == () and "seizure-during-taper" in codes(r, "urgent")


# --- efficacy and tolerance ---------------------------------------------------------------
def _seizure_months(counts: tuple[int, int, int]) -> list[dict[str, Any]]:
    out = []
    for k, c in enumerate(counts):  # windows: days 0–29, 30–59, 60–89 (today = day 89)
        out.append(seizure(5 + 30 * k, count=0))
        if c:
            out.append(seizure(10 + 30 * k, count=c, type_="focal"))
    return out


def test_seizure_frequency_rising_over_3_months() -> None:
    r = evaluate(PLAN, _seizure_months((1, 2, 4)), today=day(89))
    a = next(a for a in r.alerts if a.code == "seizure-frequency-rising")
    assert a.level == "warning" and "1, 2, 4" in a.why


@pytest.mark.parametrize("counts", [(4, 2, 1), (2, 1, 3), (2, 2, 2)])
def test_seizure_frequency_not_rising(counts: tuple[int, int, int]) -> None:
    r = evaluate(PLAN, _seizure_months(counts), today=day(89))
    assert "seizure-frequency-rising" not in codes(r)


def _isi(n: int, total: int) -> dict[str, Any]:
    values = [min(4, max(0, total - 4 * i)) for i in range(7)]
    return instrument(n, "isi", {str(i + 1): v for i, v in enumerate(values)})


def test_isi_back_in_clinical_band() -> None:
    r = evaluate(PLAN, [_isi(0, 10), _isi(13, 16)], today=day(14))
    assert "insomnia-clinical-again" in codes(r, "warning")


def test_isi_staying_subthreshold_is_quiet() -> None:
    r = evaluate(PLAN, [_isi(0, 10), _isi(13, 14)], today=day(14))
    assert not {"insomnia-clinical-again", "insomnia-clinical"} & codes(r)


def _cows(n: int, pulse: int, gi: int) -> dict[str, Any]:
    return instrument(n, "cows", {"1": pulse, "2": 2, "3": 3, "4": 1, "5": 2, "6": 2, "7": gi,
                                  "8": 1, "9": 1, "10": 2, "11": 0})


def test_cows_course_rising_and_long() -> None:
    r = evaluate(PLAN, [_cows(0, 0, 0), _cows(1, 1, 1), _cows(5, 2, 3)], today=day(5))
    assert {"opioid-withdrawal", "opioid-withdrawal-rising"} <= codes(r, "warning")
    assert "opioid-withdrawal-course-long" in codes(r, "info")


def test_cows_course_settling() -> None:
    low = instrument(1, "cows", {str(i): 0 for i in range(1, 12)})
    r = evaluate(PLAN, [_cows(0, 2, 3), low], today=day(1))
    assert codes(r) == {"opioid-withdrawal-settling"}


# --- adherence ----------------------------------------------------------------------------
def test_missed_doses_info_then_warning() -> None:
    one = evaluate(PLAN, [dose(5, "08:00", "missed"), dose(5, "20:00")], today=day(6))
    assert [(a.code, a.level) for a in one.alerts] == [("missed-doses", "info")]
    two = evaluate(PLAN, [dose(5, "08:00", "missed"), dose(6, "20:00", "missed")], today=day(6))
    assert [(a.code, a.level) for a in two.alerts] == [("missed-doses", "warning")]


def test_missed_doses_outside_window_are_ignored() -> None:
    r = evaluate(PLAN, [dose(1, "08:00", "missed")], today=day(20))
    assert r.alerts == ()


def test_extra_dose_is_a_dependence_sign() -> None:
    entries = [dose(5, "08:00"), dose(5, "14:30", "extra"), dose(5, "20:00")]
    r = evaluate(PLAN, entries, today=day(6))
    a = next(a for a in r.alerts if a.code == "more-than-prescribed")
    assert "dependence" in a.why and "dose:2026-03-06:14:30" in a.entries


def test_taking_doses_as_scheduled_is_quiet() -> None:
    r = evaluate(PLAN, [dose(n, s) for n in range(7) for s in ("08:00", "20:00")], today=day(6))
    assert r.alerts == () and r.proposals == ()


# --- bad input: clear error, no partial result --------------------------------------------
@pytest.mark.parametrize(("entries", "message"), [
    ([checklist(9)], "dated after today"),
    ([{"kind": "symptoms", "date": "2026-02-27", "ratings": {}}], "before the plan starts"),
    ([checklist(2), checklist(2, anxiety=1)], "recorded twice"),
    ([dose(2, "08:00"), dose(2, "08:00", "missed")], "recorded twice"),
    ([dose(2, "12:00")], "no dose is scheduled at 12:00"),
    ([instrument(2, "phq-9", {"1": 1})], r"instrument:2026-03-03:phq-9: phq-9: invalid"),
    ([instrument(2, "hamd", {"1": 1})], "unknown instrument 'hamd'"),
    ([{"kind": "symptoms", "date": "2026-03-02", "ratings": {"anxiety": 4}}], "0–3"),
    ([{"kind": "mood", "date": "2026-03-02"}],
     "diary entry 3: .*does not match any of the expected tags"),
])
def test_bad_diary_raises_input_error(entries: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(InputError, match=message):
        evaluate(PLAN, [*quiet(2), *entries, seizure(1)], today=day(5))


def test_plan_json_missing_key() -> None:
    bad = {k: v for k, v in PLAN.items() if k != "steps"}
    with pytest.raises(InputError, match="missing key 'steps'"):
        evaluate(bad, [], today=day(1))


def test_result_json_contract() -> None:
    r = evaluate(PLAN, [*rising_diary(14), seizure(12)], today=day(13))
    d = r.to_json()
    assert set(d) >= {"alerts", "proposals"}
    for a in d["alerts"]:
        assert a["level"] in {"urgent", "warning", "info"}
        assert a["why"] and a["action"] and a["source"] and a["entries"]
    for p in d["proposals"]:
        assert p["kind"] in {"hold", "slow", "resume"} and p["why"]
        assert "days" in p and "factor" in p and p["effective"] == "2026-03-14"


def test_plan_view_reads_steps_and_holds() -> None:
    v = PlanView.of(plan_json(hold_step=True))
    assert v.slots_on(day(0)) == ("08:00", "20:00") and v.slots_on(day(-1)) == ()
    assert v.step_on(day(15)) is not None and v.hold_in_effect(day(15)) is not None
    assert v.hold_in_effect(day(3)) is None
    rv = PlanView.of(plan_json(revisions=[{"kind": "hold", "effective": "2026-03-05",
                                           "days": 3}]))
    assert rv.hold_in_effect(day(5)) is not None and rv.hold_in_effect(day(7)) is None
    assert rv.end == dt.date(2026, 4, 25)


def test_entries_before_a_hold_do_not_count_as_worse_during_it() -> None:
    plan = plan_json(revisions=[{"kind": "hold", "effective": day(13).isoformat(), "days": 14}])
    assert evaluate(plan, rising_diary(14), today=day(13)).proposals == ()


def test_first_isi_in_clinical_band_is_info() -> None:
    r = evaluate(PLAN, [_isi(2, 18)], today=day(3))
    assert [(a.code, a.level) for a in r.alerts] == [("insomnia-clinical", "info")]


def test_single_low_cows_is_quiet() -> None:
    low = instrument(1, "cows", {str(i): 0 for i in range(1, 12)})
    assert evaluate(PLAN, [low], today=day(1)).alerts == ()
