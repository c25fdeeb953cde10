"""The pages' presentation helpers over real taper plans (JSON form from the taper engine)."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benzoplan.taper import ScheduledDose, TaperRequest, plan_taper
from benzoplan.units import Dose
from benzoplan.web import _views

START = dt.date(2026, 1, 5)


def _plan(mg: float = 1.0, interval: int = 14, strategy: str = "fixed-fraction",
          drug: str = "clonazepam") -> dict[str, Any]:
    req = TaperRequest(
        drug=drug,
        doses=(ScheduledDose(dt.time(8), Dose.from_json({"value": mg, "unit": "mg"})),
               ScheduledDose(dt.time(20), Dose.from_json({"value": mg, "unit": "mg"}))),
        start=START, interval_days=interval, strategy=strategy,  # type: ignore[arg-type]
    )
    plan: dict[str, Any] = plan_taper(req).to_json()
    return plan


PLANS = {
    "fixed-fraction 2w": _plan(),
    "linear 10d": _plan(interval=10, strategy="linear"),
    "hyperbolic 3d": _plan(0.5, interval=3, strategy="hyperbolic"),
    "crossover": _plan(strategy="crossover"),
}


@pytest.mark.parametrize("name", sorted(PLANS))
def test_weeks_cover_every_day_once_in_order(name: str) -> None:
    plan = PLANS[name]
    rows = _views.weeks(plan)
    day = dt.date.fromisoformat(plan["start"])
    for row in rows:
        assert row.start == day, "weeks must be contiguous"
        assert row.end >= row.start
        assert (row.end - row.start).days < 7
        # A row never crosses a week boundary counted from the plan's start.
        assert (row.start - START).days // 7 + 1 == row.week == (row.end - START).days // 7 + 1
        day = row.end + dt.timedelta(days=1)
    assert day - dt.timedelta(days=1) == dt.date.fromisoformat(plan["steps"][-1]["end"])


@pytest.mark.parametrize("name", sorted(PLANS))
def test_dose_slots_show_every_administration_once(name: str) -> None:
    for step in PLANS[name]["steps"]:
        slots = _views.dose_slots(step)
        admins = step["administrations"]
        assert [s.time for s in slots] == sorted({a["time"] for a in admins})
        assert sum(len(s.items) for s in slots) == len(admins)
        for s in slots:
            at = [a for a in admins if a["time"] == s.time]
            mg = sum(a["dose"]["value"] for a in at)
            assert s.total == _views.fmt_qty({"value": mg, "unit": at[0]["dose"]["unit"]})
        # The slots together give the step's daily total (one drug at a time outside a crossover).
        if len(step["totals"]) == 1 and admins:
            total = sum(a["dose"]["value"] for a in admins)
            assert total == pytest.approx(step["daily_total"]["value"])


@given(st.integers(min_value=-10, max_value=400))
def test_step_on_finds_the_step_in_force(offset: int) -> None:
    plan = PLANS["fixed-fraction 2w"]
    day = START + dt.timedelta(days=offset)
    step = _views.step_on(plan, day)
    end = dt.date.fromisoformat(plan["steps"][-1]["end"])
    if day < START or day > end:
        assert step is None
    else:
        assert step is not None
        assert dt.date.fromisoformat(step["start"]) <= day <= dt.date.fromisoformat(step["end"])


@pytest.mark.parametrize("name", sorted(PLANS))
def test_chart_is_valid_svg_with_a_text_alternative(name: str) -> None:
    plan = PLANS[name]
    svg = _views.plan_svg(plan, today=START + dt.timedelta(days=20))
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.get("role") == "img"
    assert root.find(f"{ns}title") is not None and root.find(f"{ns}desc") is not None
    path = root.find(f"{ns}path")
    assert path is not None
    steps = [s for s in plan["steps"] if "daily_total" in s]
    assert path.get("d", "").count("L") == 2 * len(steps) - 1
    assert root.find(f"{ns}line[@class='today']") is not None


def test_fmt_qty() -> None:
    assert _views.fmt_qty({"value": 1.875, "unit": "mg"}) == "1.875 mg"
    assert _views.fmt_qty({"value": 14, "unit": "{tablet}"}) == "14 tablets"
    assert _views.fmt_qty({"value": 1, "unit": "{tablet}"}) == "1 tablet"
    assert _views.fmt_qty({"value": 0.5, "unit": "{tablet}"}) == "0.5 tablet"
    assert _views.fmt_qty({"value": 1 / 3, "unit": "mL"}) == "0.3333 mL"
    assert _views.fmt_qty(None) == "—"


def test_chart_escapes_text_from_the_plan() -> None:
    plan = {**PLANS["fixed-fraction 2w"], "end": "<script>alert(1)</script>"}
    svg = _views.plan_svg(plan)
    assert "<script>" not in svg
    desc = ET.fromstring(svg).find("{http://www.w3.org/2000/svg}desc")
    assert desc is not None and desc.text is not None and "<script>" in desc.text


@pytest.mark.parametrize(("kind", "data", "line"), [
    ("dose", {"slot": "08:00", "status": "missed"}, "08:00 missed"),
    ("symptoms", {"ratings": {"tremor": 1, "anxiety": 2, "headache": 0}}, "anxiety 2, tremor 1"),
    ("symptoms", {"ratings": {}}, "none"),
    ("seizure", {"count": 2, "type": "focal"}, "2 seizures (focal)"),
    ("seizure", {"count": 0}, "0 seizures"),
    ("instrument", {"instrument": "phq-9", "answers": {"1": 0}}, "PHQ-9 answered"),
    ("sleep", {"bedtime": "23:00", "total_sleep_h": 6.5, "quality": 2, "note": None},
     "bedtime 23:00, total sleep h 6.5, quality 2"),
])
def test_entry_summary(kind: str, data: dict[str, Any], line: str) -> None:
    assert _views.entry_summary(kind, data) == line
