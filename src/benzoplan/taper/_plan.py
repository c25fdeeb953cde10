"""The versioned, immutable taper plan: JSON round trip and revisions (hold, slow, resume)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any, Literal

from benzoplan.errors import InputError
from benzoplan.pk import DoseEvent, Regimen
from benzoplan.taper._model import (
    Fill,
    Revision,
    TaperFinding,
    TaperRequest,
    TaperStep,
)
from benzoplan.units import Dose, quantity_json

__all__ = ["TaperPlan"]


@dataclass(frozen=True)
class TaperPlan:
    """A taper schedule. Never changed in place: :meth:`revise` returns a new version."""

    version: int
    request: TaperRequest
    drug: str
    strategy: str
    steps: tuple[TaperStep, ...]
    dispensing: tuple[Fill, ...]
    findings: tuple[TaperFinding, ...]
    notes: tuple[str, ...] = ()
    parameters: Mapping[str, Any] = field(default_factory=dict)
    revisions: tuple[Revision, ...] = ()

    # --- derived ----------------------------------------------------------------------
    @property
    def start(self) -> dt.date:
        return self.steps[0].start

    @property
    def end(self) -> dt.date:
        """The day the last dose is stopped (the first day without any dose)."""
        return self.steps[-1].start

    @property
    def total_days(self) -> int:
        return (self.end - self.start).days

    def step_on(self, day: dt.date) -> TaperStep | None:
        """The step in force on ``day`` (None before the start; the stop step after the end)."""
        if day < self.start:
            return None
        found = self.steps[0]
        for s in self.steps:
            if s.start <= day:
                found = s
        return found

    # --- JSON ---------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "drug": self.drug,
            "strategy": self.strategy,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "total_duration": quantity_json(self.total_days, "d"),
            "steps": [s.to_json() for s in self.steps],
            "dispensing": [f.to_json() for f in self.dispensing],
            "findings": [f.to_json() for f in self.findings],
            "notes": list(self.notes),
            "parameters": dict(self.parameters),
            "request": self.request.to_json(),
            "revisions": [r.to_json() for r in self.revisions],
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> TaperPlan:
        try:
            return cls(
                version=int(obj["version"]),
                request=TaperRequest.from_json(obj["request"]),
                drug=obj["drug"],
                strategy=obj["strategy"],
                steps=tuple(TaperStep.from_json(s) for s in obj["steps"]),
                dispensing=tuple(Fill.from_json(f) for f in obj["dispensing"]),
                findings=tuple(TaperFinding.from_json(f) for f in obj["findings"]),
                notes=tuple(obj["notes"]),
                parameters=dict(obj["parameters"]),
                revisions=tuple(Revision.from_json(r) for r in obj["revisions"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"not a taper plan: {exc}", field="plan") from exc

    def to_events(self, *, lead_in_days: int = 0) -> Regimen:
        """The plan as explicit dose events, hours since the first dose (for the PK engine):
        one event per drug per administration time per day, the whole plan without loss.
        ``lead_in_days`` first repeats the current regimen for that many days, so that a
        simulation starts the plan from the patient's steady state."""
        return _regimen(self, lead_in_days)

    # --- revisions ----------------------------------------------------------------------
    def revise(
        self,
        kind: Literal["hold", "slow", "resume"],
        *,
        effective: dt.date,
        reason: str,
        author: str,
        days: int | None = None,
        factor: float | None = None,
        at: dt.datetime | None = None,
    ) -> TaperPlan:
        """A new version of this plan: ``hold`` keeps the dose in force on ``effective`` for
        ``days`` more days (default: one interval) and moves every later step by as much;
        ``slow`` multiplies the remaining time of every step from ``effective`` on by
        ``factor`` (> 1); ``resume`` ends a hold on ``effective`` and brings slowed steps back
        to their planned length. The reason, author, time and a diff are recorded."""
        from benzoplan.taper._planner import finalise, make_context

        if not reason or not reason.strip():
            raise InputError("a revision needs a reason", field="reason")
        if not author or not author.strip():
            raise InputError("a revision needs an author", field="author")
        if effective >= self.end:
            raise InputError(f"the plan ends on {self.end.isoformat()}; nothing to revise on "
                             f"{effective.isoformat()}", field="effective")
        eff = max(effective, self.start)
        steps = list(self.steps)
        if kind == "hold":
            n = self.request.interval_days if days is None else days
            if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 365:
                raise InputError("a hold lasts 1–365 days", field="days")
            steps = _hold(steps, eff, n, reason)
        elif kind == "slow":
            if factor is None or not math.isfinite(factor) or not 1 < factor <= 10:
                raise InputError("slowing needs a factor above 1 and at most 10 (e.g. 2 for "
                                 "steps twice as long)", field="factor")
            steps = _slow(steps, eff, factor)
        elif kind == "resume":
            steps = _resume(steps, eff)
        else:
            raise InputError(f"unknown revision '{kind}'; use hold, slow or resume",
                             field="kind")
        steps = _renumber(steps)
        ctx = make_context(self.request)
        fills, findings = finalise(ctx, steps)
        revision = Revision(
            version=self.version + 1, kind=kind, effective=eff, reason=reason.strip(),
            author=author.strip(), at=at or dt.datetime.now(dt.UTC),
            days=days if kind == "hold" else None, factor=factor if kind == "slow" else None,
            diff=_diff(self.steps, tuple(steps)))
        return replace(self, version=self.version + 1, steps=tuple(steps), dispensing=fills,
                       findings=findings, revisions=(*self.revisions, revision))


def _regimen(plan: TaperPlan, lead_in_days: int) -> Regimen:
    if isinstance(lead_in_days, bool) or not isinstance(lead_in_days, int) or not (
            0 <= lead_in_days <= 365):
        raise InputError("the lead-in is 0–365 days", field="lead_in_days")
    first = plan.steps[0]
    times = sorted({a.time for a in first.administrations}) or [dt.time(8)]
    begin = plan.start - dt.timedelta(days=lead_in_days)
    current = [(d.time, plan.drug, Fraction(format(d.dose.mg, ".12g")))
               for d in plan.request.sorted_doses]
    if lead_in_days:
        times = sorted({*times, *(t for t, _, _ in current)})
    origin = dt.datetime.combine(begin, times[0])
    events: list[DoseEvent] = []
    doses: dict[Fraction, Dose] = {}

    def add(date: dt.date, per: dict[tuple[dt.time, str], Fraction]) -> None:
        for (t, drug), mg in sorted(per.items()):
            h = (dt.datetime.combine(date, t) - origin).total_seconds() / 3600
            if mg not in doses:
                doses[mg] = Dose._of(float(mg))
            events.append(DoseEvent(drug, h, doses[mg]))

    baseline: dict[tuple[dt.time, str], Fraction] = {}
    for t, drug, mg in current:
        baseline[(t, drug)] = baseline.get((t, drug), Fraction(0)) + mg
    for day in range(lead_in_days):
        add(begin + dt.timedelta(days=day), baseline)
    for s in plan.steps:
        if s.kind == "stop":
            continue
        per: dict[tuple[dt.time, str], Fraction] = {}
        for a in s.administrations:
            per[(a.time, a.drug)] = per.get((a.time, a.drug), Fraction(0)) + a.dose_mg
        for day in range(s.days):
            add(s.start + dt.timedelta(days=day), per)
    events.sort(key=lambda e: (e.time_h, e.drug))
    return Regimen.from_events(events, start=origin)


def _active(steps: list[TaperStep], day: dt.date) -> int:
    idx = 0
    for i, s in enumerate(steps):
        if s.start <= day:
            idx = i
    return idx


def _shift_from(steps: list[TaperStep], i: int, delta: int) -> None:
    for j in range(i, len(steps)):
        steps[j] = replace(steps[j], start=steps[j].start + dt.timedelta(days=delta))


def _hold(steps: list[TaperStep], eff: dt.date, n: int, reason: str) -> list[TaperStep]:
    i = _active(steps, eff)
    s = steps[i]
    if s.kind == "stop":
        raise InputError("the plan has already stopped on that day", field="effective")
    before = (eff - s.start).days
    remaining = s.days - before
    held = replace(s, kind="hold", start=eff, days=remaining + n, base_days=remaining,
                   reason=f"hold for {n} days: {reason}", deviation=None,
                   reduction_mg=s.reduction_mg if before == 0 else Fraction(0),
                   reduction_percent=s.reduction_percent if before == 0 else 0.0)
    out = steps[:i]
    if before > 0:
        out.append(replace(s, days=before, base_days=min(s.base_days, before)))
    out.append(held)
    rest = steps[i + 1:]
    _shift_from(rest, 0, n)
    return out + rest


def _slow(steps: list[TaperStep], eff: dt.date, factor: float) -> list[TaperStep]:
    i = _active(steps, eff)
    out = steps[:i]
    for j in range(i, len(steps)):
        s = steps[j]
        if s.kind == "stop":
            out.append(s)
            continue
        if j == i and s.start < eff:
            done = (eff - s.start).days
            out.append(replace(s, days=done + math.ceil((s.days - done) * factor)))
        else:
            out.append(replace(s, days=math.ceil(s.days * factor)))
    return _restart(out)


def _resume(steps: list[TaperStep], eff: dt.date) -> list[TaperStep]:
    i = _active(steps, eff)
    changed = False
    out = steps[:i]
    for j in range(i, len(steps)):
        s = steps[j]
        if s.kind == "stop":
            out.append(s)
            continue
        if j == i and s.kind == "hold":
            kept = (eff - s.start).days
            changed = True
            if kept > 0:
                out.append(replace(s, days=kept))
            continue
        if s.days != s.base_days:
            changed = True
            if j == i and s.start < eff:
                done = (eff - s.start).days
                out.append(replace(s, days=max(done + 1, s.base_days)))
            else:
                out.append(replace(s, days=s.base_days))
        else:
            out.append(s)
    if not changed:
        raise InputError("nothing to resume: no hold is in force and no later step is slowed",
                         field="kind")
    return _restart(out, anchor=steps[0].start)


def _restart(steps: list[TaperStep], anchor: dt.date | None = None) -> list[TaperStep]:
    day = anchor or steps[0].start
    out = []
    for s in steps:
        out.append(replace(s, start=day))
        day = day + dt.timedelta(days=s.days)
    return out


def _renumber(steps: list[TaperStep]) -> list[TaperStep]:
    return [replace(s, index=i) for i, s in enumerate(steps, start=1)]


def _diff(old: tuple[TaperStep, ...], new: tuple[TaperStep, ...]) -> tuple[dict[str, Any], ...]:
    def key(s: TaperStep) -> dict[str, Any]:
        return {"kind": s.kind, "start": s.start.isoformat(), "end": s.end.isoformat(),
                "days": s.days, "daily_total": quantity_json(float(s.daily_total_mg), "mg")}

    out: list[dict[str, Any]] = []
    for i in range(max(len(old), len(new))):
        a = key(old[i]) if i < len(old) else None
        b = key(new[i]) if i < len(new) else None
        if a == b:
            continue
        change = "added" if a is None else "removed" if b is None else "changed"
        out.append({"step": i + 1, "change": change, "before": a, "after": b})
    return tuple(out)
