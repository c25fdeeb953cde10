"""A taper plan as an iCalendar file: a daily reminder per administration, an event per step."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from pathlib import Path

from icalendar import Calendar, Event

from benzoplan.taper import TaperPlan, TaperStep

__all__ = ["plan_calendar", "write_plan_ics"]


def _uid(plan: TaperPlan, *parts: object) -> str:
    seed = f"{plan.drug}|{plan.start}|{plan.version}|" + "|".join(str(p) for p in parts)
    return hashlib.sha256(seed.encode()).hexdigest()[:24] + "@benzoplan"


def _reminder_text(step: TaperStep, time: dt.time) -> str:
    parts = [a.describe() for a in step.administrations if a.time == time]
    total = sum((a.dose_mg for a in step.administrations if a.time == time), start=0)
    drugs = sorted({a.drug for a in step.administrations if a.time == time})
    return f"{' + '.join(drugs)} {float(total):g} mg: " + " + ".join(parts)


def plan_calendar(plan: TaperPlan) -> Calendar:
    """The plan as a :class:`icalendar.Calendar` (times are the patient's local clock)."""
    cal = Calendar()
    cal.add("prodid", "-//benzoplan//taper plan//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{plan.drug} taper (version {plan.version})")
    stamp = dt.datetime.combine(plan.start, dt.time(0), tzinfo=dt.UTC)
    for step in plan.steps:
        change = Event()
        change.add("uid", _uid(plan, "step", step.index))
        change.add("dtstamp", stamp)
        change.add("dtstart", step.start)
        change.add("dtend", step.start + dt.timedelta(days=1))
        if step.kind == "stop":
            change.add("summary", f"Last day without {plan.drug}: taper complete")
        else:
            change.add("summary", f"Step {step.index}: {step.drug} "
                       f"{float(step.daily_total_mg):g} mg a day "
                       f"(−{step.reduction_percent:.0f}%)")
        change.add("description", step.reason + (f"\n{step.deviation}" if step.deviation else ""))
        cal.add_component(change)
        if step.kind == "stop" or step.days <= 0:
            continue
        times: dict[dt.time, int] = defaultdict(int)
        for a in step.administrations:
            times[a.time] += 1
        for t in sorted(times):
            ev = Event()
            ev.add("uid", _uid(plan, "dose", step.index, t.isoformat()))
            ev.add("dtstamp", stamp)
            start = dt.datetime.combine(step.start, t)
            ev.add("dtstart", start)
            ev.add("dtend", start + dt.timedelta(minutes=10))
            ev.add("rrule", {"freq": "daily", "count": step.days})
            ev.add("summary", _reminder_text(step, t))
            ev.add("description", f"Taper step {step.index} of {len(plan.steps)}. "
                   "Do not change the dose without your prescriber.")
            cal.add_component(ev)
    return cal


def write_plan_ics(plan: TaperPlan, path: str | Path) -> Path:
    p = Path(path)
    p.write_bytes(plan_calendar(plan).to_ical())
    return p
