"""Dosing events and regimens: what a clinician writes, as explicit events in engine time.

Engine time is hours since the first dose. A :class:`Regimen` is an ordered tuple of
:class:`DoseEvent` (several drugs allowed: a crossover); it is built from explicit events
(e.g. a taper plan, without loss), from daily clock-time schedules ("0.5 mg at 22:00 for
14 days", "1 mg at 08:00 and 20:00"), step by step ("0.5 mg twice daily for 14 days, then
0.25 mg ..."), or NONMEM-style (a dose repeated ``additional`` times every ``interval_h``).
Missed and extra doses are edits that return a new regimen.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from benzoplan.drugs import get_drug
from benzoplan.errors import InputError, UnitError
from benzoplan.units import Dose

__all__ = ["DailyStep", "DoseEvent", "Regimen", "parse_clock"]

_CLOCK = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?\s*$")
_SAME_TIME_H = 1e-9


def parse_clock(text: str | dt.time) -> float:
    """'22:00' or '8' → hours after midnight (22.0, 8.0)."""
    if isinstance(text, dt.time):
        return text.hour + text.minute / 60 + text.second / 3600
    m = _CLOCK.match(text) if isinstance(text, str) else None
    if not m:
        raise InputError(f"time of day '{text}' is not HH:MM, e.g. '22:00'", field="at")
    h, mi = int(m.group(1)), int(m.group(2) or 0)
    if h > 23 or mi > 59:
        raise InputError(f"time of day '{text}' is not a valid clock time", field="at")
    return h + mi / 60


@dataclass(frozen=True)
class DoseEvent:
    """One administration: ``dose`` of ``drug`` at ``time_h`` hours since the first dose."""

    drug: str
    time_h: float
    dose: Dose

    def __post_init__(self) -> None:
        if not isinstance(self.dose, Dose):
            raise UnitError(
                f"dose must be a Dose with a unit (e.g. Dose('0.5 mg')), got {self.dose!r}",
                field="dose",
            )
        if isinstance(self.time_h, bool) or not isinstance(self.time_h, int | float):
            raise InputError(f"time_h must be a number of hours, got {self.time_h!r}",
                             field="time_h")
        if not math.isfinite(self.time_h) or self.time_h < 0:
            raise InputError(f"dose time {self.time_h} h must be finite and not negative "
                             "(hours since the first dose)", field="time_h")
        object.__setattr__(self, "time_h", float(self.time_h))
        object.__setattr__(self, "drug", get_drug(self.drug).name)

    def to_json(self) -> dict[str, Any]:
        return {"drug": self.drug, "time_h": self.time_h, "dose": self.dose.to_json("mg")}


@dataclass(frozen=True)
class DailyStep:
    """``days`` days of the same doses at the same clock times (``{"08:00": Dose, ...}``)."""

    days: int
    doses: Mapping[str, Dose]

    def __post_init__(self) -> None:
        if isinstance(self.days, bool) or not isinstance(self.days, int) or self.days < 1:
            raise InputError(f"a step lasts a whole number of days ≥ 1, got {self.days!r}",
                             field="days")
        if not self.doses:
            raise InputError("a step needs at least one dose time", field="doses")
        for clock, dose in self.doses.items():
            parse_clock(clock)
            if not isinstance(dose, Dose):
                raise UnitError(f"dose at {clock} must be a Dose with a unit, got {dose!r}",
                                field="dose")


@dataclass(frozen=True)
class Regimen:
    """Ordered dose events. ``clock_origin_h`` is the clock time (hours after midnight) at
    engine time 0, when known (needed for the next-morning residual); ``start`` optionally
    anchors engine time 0 to a calendar datetime."""

    events: tuple[DoseEvent, ...]
    clock_origin_h: float | None = None
    start: dt.datetime | None = field(default=None, compare=True)

    def __post_init__(self) -> None:
        events = tuple(self.events)
        if not events:
            raise InputError("a regimen needs at least one dose", field="events")
        for e in events:
            if not isinstance(e, DoseEvent):
                raise InputError(f"regimen events must be DoseEvent, got {e!r}", field="events")
        last: dict[str, float] = {}
        prev = -math.inf
        for i, e in enumerate(events):
            if e.time_h < prev:
                raise InputError(
                    f"events are not in time order: event {i} at {e.time_h:g} h comes after "
                    f"{prev:g} h; sort them", field="events")
            if e.drug in last and e.time_h - last[e.drug] < _SAME_TIME_H:
                raise InputError(
                    f"two {e.drug} doses at the same time ({e.time_h:g} h) overlap; give one "
                    "event with the total dose", field="events")
            prev = e.time_h
            last[e.drug] = e.time_h
        object.__setattr__(self, "events", events)
        if self.start is not None and self.clock_origin_h is None:
            s = self.start
            object.__setattr__(self, "clock_origin_h", s.hour + s.minute / 60 + s.second / 3600)
        if self.clock_origin_h is not None and not 0 <= self.clock_origin_h < 24:
            raise InputError(f"clock_origin_h must be in [0, 24), got {self.clock_origin_h}",
                             field="clock_origin_h")

    # -- constructors -------------------------------------------------------------------
    @classmethod
    def from_events(
        cls,
        events: Iterable[DoseEvent],
        *,
        clock_origin_h: float | None = None,
        start: dt.datetime | None = None,
    ) -> Regimen:
        """Explicit events, which must already be in time order (refused otherwise)."""
        return cls(tuple(events), clock_origin_h=clock_origin_h, start=start)

    @classmethod
    def daily(
        cls,
        drug: str,
        dose: Dose | Mapping[str, Dose],
        *,
        at: Sequence[str | dt.time] | str = ("22:00",),
        days: int = 1,
        start: dt.date | None = None,
    ) -> Regimen:
        """The same dose(s) at clock times every day, e.g. ``daily("clonazepam",
        Dose("1 mg"), at=("08:00", "20:00"), days=14)``; ``dose`` may map clock → dose."""
        if isinstance(at, str):
            at = (at,)
        if isinstance(dose, Mapping):
            doses = dict(dose)
        else:
            if not at:
                raise InputError("give at least one time of day", field="at")
            doses = {(a if isinstance(a, str) else a.strftime("%H:%M")): dose for a in at}
        return cls.daily_steps(drug, [DailyStep(days, doses)], start=start)

    @classmethod
    def daily_steps(
        cls,
        drug: str,
        steps: Sequence[DailyStep],
        *,
        start: dt.date | None = None,
    ) -> Regimen:
        """Consecutive steps of daily doses (e.g. a taper). Day 1 begins at the first dose
        time of the first step; a zero dose (``Dose.zero()``) in a step is left out."""
        if not steps:
            raise InputError("give at least one step", field="steps")
        name = get_drug(drug).name
        first_clock = min(parse_clock(c) for c in steps[0].doses)
        events: list[DoseEvent] = []
        day = 0
        for step in steps:
            clocks = sorted((parse_clock(c), d) for c, d in step.doses.items())
            for _ in range(step.days):
                for clock, dose in clocks:
                    t = day * 24.0 + clock - first_clock
                    if t < 0:
                        t += 24.0  # before the first dose of day 1: falls on the next day
                    if not dose.is_zero():
                        events.append(DoseEvent(name, t, dose))
                day += 1
        events.sort(key=lambda e: e.time_h)
        begin = None
        if start is not None:
            h = int(first_clock)
            begin = dt.datetime.combine(start, dt.time(h, round((first_clock - h) * 60)))
        return cls(tuple(events), clock_origin_h=first_clock, start=begin)

    @classmethod
    def repeat(
        cls,
        drug: str,
        dose: Dose,
        *,
        interval_h: float,
        additional: int,
        first_h: float = 0.0,
        clock_origin_h: float | None = None,
    ) -> Regimen:
        """NONMEM-style: one dose at ``first_h`` plus ``additional`` (ADDL) more every
        ``interval_h`` (II) hours."""
        if isinstance(additional, bool) or not isinstance(additional, int) or additional < 0:
            raise InputError(f"additional doses must be a whole number ≥ 0, got {additional!r}",
                             field="additional")
        if not (isinstance(interval_h, int | float) and math.isfinite(interval_h)
                and interval_h > 0):
            raise InputError(f"interval must be a positive number of hours, got {interval_h!r}",
                             field="interval_h")
        events = [DoseEvent(drug, first_h + i * interval_h, dose) for i in range(additional + 1)]
        return cls(tuple(events), clock_origin_h=clock_origin_h)

    # -- edits ----------------------------------------------------------------------------
    def missed(self, time_h: float, drug: str | None = None) -> Regimen:
        """The regimen without the dose at ``time_h`` (a missed dose)."""
        keep = [e for e in self.events
                if not (abs(e.time_h - time_h) < 1e-6 and (drug is None
                                                              or e.drug == get_drug(drug).name))]
        if len(keep) == len(self.events):
            raise InputError(f"no dose at {time_h:g} h to mark as missed", field="time_h")
        return Regimen(tuple(keep), self.clock_origin_h, self.start)

    def with_events(self, *extra: DoseEvent) -> Regimen:
        """The regimen with extra doses (merged in time order)."""
        merged = sorted((*self.events, *extra), key=lambda e: e.time_h)
        return Regimen(tuple(merged), self.clock_origin_h, self.start)

    def combined(self, other: Regimen, *, offset_h: float = 0.0) -> Regimen:
        """Two regimens together (e.g. a crossover), ``other`` shifted by ``offset_h``."""
        shifted = [DoseEvent(e.drug, e.time_h + offset_h, e.dose) for e in other.events]
        return self.with_events(*shifted)

    # -- views ----------------------------------------------------------------------------
    @property
    def drugs(self) -> tuple[str, ...]:
        seen: list[str] = []
        for e in self.events:
            if e.drug not in seen:
                seen.append(e.drug)
        return tuple(seen)

    @property
    def last_dose_h(self) -> float:
        return self.events[-1].time_h

    def arrays(self, drug: str) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Dose times (h) and amounts (mg) of one drug, in time order."""
        name = get_drug(drug).name
        ev = [e for e in self.events if e.drug == name]
        return (np.array([e.time_h for e in ev], dtype=float),
                np.array([e.dose.mg for e in ev], dtype=float))

    def daily_dose(self, drug: str, *, day: int | None = None) -> Dose:
        """Total of one drug over 24 h: day ``day`` (from 0, counted from the first dose) or,
        by default, the 24 h ending with the drug's last dose."""
        t, mg = self.arrays(drug)
        if t.size == 0:
            return Dose.zero()
        if day is None:
            window = (t > t[-1] - 24 + 1e-9) & (t <= t[-1])
        else:
            window = (t >= day * 24) & (t < (day + 1) * 24)
        return Dose(float(mg[window].sum()), "mg", allow_zero=True)

    def to_json(self) -> dict[str, Any]:
        return {
            "events": [e.to_json() for e in self.events],
            "clock_origin_h": self.clock_origin_h,
            "start": self.start.isoformat() if self.start else None,
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Regimen:
        """The inverse of :meth:`to_json` (events with ``{"value", "unit"}`` doses)."""
        if not isinstance(obj, Mapping) or not isinstance(obj.get("events"), list):
            raise InputError('a regimen is an object with an "events" list', field="events")
        events = []
        for i, e in enumerate(obj["events"]):
            if not isinstance(e, Mapping) or set(e) != {"drug", "time_h", "dose"}:
                raise InputError(f'event {i} needs exactly "drug", "time_h" and "dose"',
                                 field="events")
            events.append(DoseEvent(e["drug"], e["time_h"], Dose.from_json(e["dose"])))
        start = obj.get("start")
        try:
            begin = dt.datetime.fromisoformat(start) if start else None
        except (TypeError, ValueError) as exc:
            raise InputError(f"start '{start}' is not an ISO datetime", field="start") from exc
        return cls(tuple(events), clock_origin_h=obj.get("clock_origin_h"), start=begin)
