"""A small typed view of a taper plan, read from issue 7's plan JSON.

The engine reads only what it needs: the plan's version, drug and dates, each step's dates,
kind and scheduled administrations, and any revisions (holds) recorded in the plan. A diary
slot is a clock time: several products taken together at 08:00 are one scheduled dose.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from benzoplan.errors import InputError
from benzoplan.units import Dose

__all__ = ["PlanAdministration", "PlanRevision", "PlanStep", "PlanView"]


@dataclass(frozen=True)
class PlanAdministration:
    time: str  # "HH:MM"
    drug: str
    dose: Dose


@dataclass(frozen=True)
class PlanStep:
    index: int
    start: dt.date
    end: dt.date  # inclusive
    kind: str
    daily_total: Dose
    administrations: tuple[PlanAdministration, ...]


@dataclass(frozen=True)
class PlanRevision:
    kind: str
    effective: dt.date
    days: int | None


def _date(obj: Mapping[str, Any], key: str, where: str) -> dt.date:
    raw = obj.get(key)
    try:
        return dt.date.fromisoformat(str(raw)[:10])
    except (TypeError, ValueError):
        raise InputError(f"plan: {where}.{key} must be an ISO date, got {raw!r}",
                         field=f"plan.{where}.{key}") from None


def _dose(obj: Any, where: str) -> Dose:
    if not isinstance(obj, Mapping):
        raise InputError(f"plan: {where} must be a quantity {{value, unit}}", field=where)
    return Dose.from_json(obj, allow_zero=True)


@dataclass(frozen=True)
class PlanView:
    version: int
    drug: str
    start: dt.date
    end: dt.date
    steps: tuple[PlanStep, ...]
    revisions: tuple[PlanRevision, ...] = ()

    @classmethod
    def of(cls, plan: Any) -> PlanView:
        """A view of a plan given as a PlanView, its JSON form, or an object with to_json()."""
        if isinstance(plan, PlanView):
            return plan
        if isinstance(plan, Mapping):
            return cls.from_json(plan)
        to_json = getattr(plan, "to_json", None)
        if callable(to_json):
            return cls.from_json(to_json())
        raise InputError("plan: expected a taper plan or its JSON object", field="plan")

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> PlanView:
        for key in ("version", "drug", "start", "end", "steps"):
            if key not in obj:
                raise InputError(f"plan: missing key '{key}' (plan JSON as printed by "
                                 f"`benzoplan taper --json`)", field=f"plan.{key}")
        raw_steps = obj["steps"]
        if not isinstance(raw_steps, list) or not raw_steps:
            raise InputError("plan: steps must be a non-empty list", field="plan.steps")
        steps = []
        for i, s in enumerate(raw_steps):
            where = f"steps[{i}]"
            if not isinstance(s, Mapping):
                raise InputError(f"plan: {where} must be an object", field=f"plan.{where}")
            admins = []
            for j, a in enumerate(s.get("administrations", [])):
                t = str(a.get("time", ""))[:5]
                if len(t) != 5 or t[2] != ":":
                    raise InputError(f"plan: {where}.administrations[{j}].time must be HH:MM",
                                     field=f"plan.{where}.administrations")
                admins.append(PlanAdministration(t, str(a.get("drug", obj["drug"])),
                                                 _dose(a.get("dose"), f"{where}.dose")))
            steps.append(PlanStep(int(s.get("index", i)), _date(s, "start", where),
                                  _date(s, "end", where), str(s.get("kind", "taper")),
                                  _dose(s.get("daily_total"), f"{where}.daily_total"),
                                  tuple(admins)))
        revisions = tuple(
            PlanRevision(str(r["kind"]), _date(r, "effective", "revisions"),
                         None if r.get("days") is None else int(r["days"]))
            for r in obj.get("revisions", []) or [] if isinstance(r, Mapping) and "kind" in r)
        start, end = _date(obj, "start", "plan"), _date(obj, "end", "plan")
        if end < start:
            raise InputError("plan: end is before start", field="plan.end")
        return cls(int(obj["version"]), str(obj["drug"]), start, end,
                   tuple(sorted(steps, key=lambda s: s.start)), revisions)

    def step_on(self, day: dt.date) -> PlanStep | None:
        """The step in force on ``day`` (the latest step that has started), None outside."""
        if day < self.start or day > self.end:
            return None
        current = None
        for s in self.steps:
            if s.start <= day:
                current = s
        return current

    def slots_on(self, day: dt.date) -> tuple[str, ...]:
        step = self.step_on(day)
        return () if step is None else tuple(sorted({a.time for a in step.administrations}))

    def hold_in_effect(self, day: dt.date) -> tuple[dt.date, str] | None:
        """(start of the hold, how it is recorded) if ``day`` falls in a hold, else None."""
        step = self.step_on(day)
        if step is not None and step.kind == "hold":
            return step.start, f"plan step {step.index} is a hold"
        for r in self.revisions:
            if r.kind == "hold" and r.effective <= day and (
                    r.days is None or day < r.effective + dt.timedelta(days=r.days)):
                return r.effective, f"hold revision effective {r.effective.isoformat()}"
        return None
