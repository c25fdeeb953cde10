"""Dosing events, regimens and subjects: construction and refusal of bad input."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benzoplan.errors import InputError, UnitError, UnknownDrug, UnknownItem
from benzoplan.pk import DailyStep, DoseEvent, Regimen, Subject
from benzoplan.units import Dose


def test_daily_bedtime_regimen() -> None:
    r = Regimen.daily("clonazepam", Dose("0.5 mg"), at="22:00", days=14)
    assert len(r.events) == 14
    assert r.events[0].time_h == 0 and r.events[-1].time_h == 13 * 24
    assert r.clock_origin_h == 22
    assert r.daily_dose("clonazepam") == Dose("0.5 mg")


def test_twice_daily_and_brand_resolution() -> None:
    r = Regimen.daily("Klonopin", Dose("1 mg"), at=("08:00", "20:00"), days=2)
    assert [e.time_h for e in r.events] == [0, 12, 24, 36]
    assert r.drugs == ("clonazepam",)


def test_steps_taper_missed_extra_and_crossover() -> None:
    r = Regimen.daily_steps("clonazepam", [
        DailyStep(2, {"08:00": Dose("0.5 mg"), "20:00": Dose("0.5 mg")}),
        DailyStep(2, {"08:00": Dose("0.25 mg"), "20:00": Dose("0.5 mg")}),
    ])
    assert [e.dose.mg for e in r.events] == [0.5, 0.5, 0.5, 0.5, 0.25, 0.5, 0.25, 0.5]
    missed = r.missed(12)
    assert len(missed.events) == 7
    extra = r.with_events(DoseEvent("clonazepam", 30, Dose("0.25 mg")))
    assert len(extra.events) == 9
    cross = r.combined(Regimen.daily("diazepam", Dose("5 mg"), at="08:00", days=2), offset_h=48)
    assert cross.drugs == ("clonazepam", "diazepam")
    times = [e.time_h for e in cross.events]
    assert times == sorted(times)


def test_repeat_nonmem_style() -> None:
    r = Regimen.repeat("clonazepam", Dose("1 mg"), interval_h=12, additional=3)
    assert [e.time_h for e in r.events] == [0, 12, 24, 36]


@given(st.lists(st.floats(0, 1000), min_size=1, max_size=20))
def test_from_events_round_trip(times: list[float]) -> None:
    ts = sorted({round(t, 3) for t in times})  # doses within 1e-9 h are one dose
    ev = [DoseEvent("clonazepam", t, Dose("0.25 mg")) for t in ts]
    r = Regimen.from_events(ev)
    assert r.events == tuple(ev)
    t, mg = r.arrays("clonazepam")
    assert list(t) == ts and all(m == 0.25 for m in mg)


def test_bad_events() -> None:
    with pytest.raises(UnitError):
        DoseEvent("clonazepam", 0, 0.5)  # type: ignore[arg-type]
    with pytest.raises(UnitError):
        DoseEvent("clonazepam", 0, Dose("-0.5 mg"))
    with pytest.raises(UnknownDrug):
        DoseEvent("klonopine xr", 0, Dose("0.5 mg"))
    with pytest.raises(InputError):
        DoseEvent("clonazepam", math.nan, Dose("0.5 mg"))
    a, b = DoseEvent("clonazepam", 5, Dose("1 mg")), DoseEvent("clonazepam", 1, Dose("1 mg"))
    with pytest.raises(InputError, match="time order"):
        Regimen.from_events([a, b])
    with pytest.raises(InputError, match="overlap"):
        Regimen.from_events([b, DoseEvent("clonazepam", 1, Dose("0.5 mg"))])
    with pytest.raises(InputError):
        Regimen.from_events([])
    with pytest.raises(InputError):
        Regimen.daily("clonazepam", Dose("1 mg"), at="25:00")
    with pytest.raises(InputError):
        Regimen.daily("clonazepam", Dose("1 mg"), days=0)


def test_subject_validation() -> None:
    s = Subject(weight_kg=60, age_years=70, comedications=("Carbamazepine",))
    assert s.comedications == ("carbamazepine",) and s.older_adult
    for bad in ({"age_years": 250}, {"weight_kg": 0}, {"weight_kg": -3},
                {"age_years": math.nan}, {"hepatic_impairment": "awful"}):
        with pytest.raises(InputError):
            Subject(**bad)  # type: ignore[arg-type]
    with pytest.raises(UnknownItem, match="carbamazepine"):
        Subject(comedications=("carbamazapine",))


def test_json_round_trip_and_refusals() -> None:
    r = Regimen.daily_steps("clonazepam", [
        DailyStep(3, {"08:00": Dose("0.5 mg"), "20:00": Dose("0.5 mg")}),
        DailyStep(3, {"20:00": Dose("0.25 mg")}),
    ]).combined(Regimen.daily("diazepam", Dose("5 mg"), at="22:00", days=2), offset_h=24)
    assert Regimen.from_json(r.to_json()) == r
    with pytest.raises(InputError):
        Regimen.from_json({"events": [{"drug": "clonazepam", "time_h": 0}]})
    with pytest.raises(UnitError):
        Regimen.from_json({"events": [{"drug": "clonazepam", "time_h": 0, "dose": 0.5}]})
    with pytest.raises(InputError):
        Regimen.from_json({"events": "x"})
