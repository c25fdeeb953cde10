"""A plan in issue 7's JSON form and diary builders for the monitoring tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

START = dt.date(2026, 3, 1)


def q(mg: float) -> dict[str, Any]:
    return {"value": mg, "unit": "mg"}


def plan_json(*, hold_step: bool = False, revisions: list[dict[str, Any]] | None = None
              ) -> dict[str, Any]:
    """Clonazepam 0.75 mg 08:00 + 1 mg 20:00, reduced every 14 days (four steps)."""
    doses = [(0.75, 1.0), (0.75, 0.75), (0.5, 0.75), (0.5, 0.5)]
    steps = []
    for i, (am, pm) in enumerate(doses):
        start = START + dt.timedelta(days=14 * i)
        steps.append({
            "index": i, "kind": "hold" if hold_step and i == 1 else "taper",
            "start": start.isoformat(), "end": (start + dt.timedelta(days=13)).isoformat(),
            "daily_total": q(am + pm), "reduction_percent": 0.0,
            "diazepam_equivalent": q((am + pm) * 20), "occupancy": None, "effect": None,
            "administrations": [
                {"time": "08:00", "drug": "clonazepam",
                 "product": {"form": "tablet", "strength": q(0.25)}, "count": am / 0.25,
                 "dose": q(am)},
                {"time": "20:00", "drug": "clonazepam",
                 "product": {"form": "tablet", "strength": q(0.25)}, "count": pm / 0.25,
                 "dose": q(pm)},
            ],
        })
    out: dict[str, Any] = {
        "version": 1, "drug": "clonazepam", "strategy": "fixed-fraction",
        "start": START.isoformat(), "end": (START + dt.timedelta(days=55)).isoformat(),
        "steps": steps, "dispensing": [], "findings": []}
    if revisions is not None:
        out["revisions"] = revisions
    return out


def day(n: int) -> dt.date:
    """Day n of the plan (day 0 = START)."""
    return START + dt.timedelta(days=n)


def checklist(n: int, **ratings: int) -> dict[str, Any]:
    return {"kind": "symptoms", "date": day(n).isoformat(), "ratings": ratings}


def dose(n: int, slot: str, status: str = "taken") -> dict[str, Any]:
    return {"kind": "dose", "date": day(n).isoformat(), "slot": slot, "status": status}


def seizure(n: int, count: int = 1, type_: str = "tonic-clonic") -> dict[str, Any]:
    out: dict[str, Any] = {"kind": "seizure", "date": day(n).isoformat(), "count": count}
    if count:
        out["type"] = type_
    return out


def instrument(n: int, name: str, answers: dict[str, int]) -> dict[str, Any]:
    return {"kind": "instrument", "date": day(n).isoformat(), "instrument": name,
            "answers": answers}


def ciwa(n: int, per_item: int) -> dict[str, Any]:
    return instrument(n, "ciwa-b", {str(i): per_item for i in range(1, 21)})


def rising_diary(days: int = 14) -> list[dict[str, Any]]:
    """Two weeks: quiet first week (totals 2), then anxiety, insomnia, headache, tremor rise."""
    out: list[dict[str, Any]] = []
    for n in range(days):
        level = 0 if n < 9 else min(3, n - 8)
        out.append(checklist(n, anxiety=min(3, 1 + level), insomnia=1 + (level > 0), headache=level,
                             tremor=level))
        out += [dose(n, "08:00"), dose(n, "20:00")]
    return out
