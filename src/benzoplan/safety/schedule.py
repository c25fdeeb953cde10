"""Monitoring schedule: due dates for blood counts, liver tests, efficacy reviews and
depression screening during therapy (``data/policy.toml`` ``[monitoring.*]``).

The label asks for these "periodically" without an interval; every interval here is a named
clinic-policy assumption, and each item says which one it uses. An item is due ``interval``
days after its last result (or after the start, whichever is later; the efficacy review is
first due ``first_after_days`` after the start). Overdue items become findings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from benzoplan.safety.knowledge import safety_data
from benzoplan.safety.patient import PatientRecord

__all__ = ["ScheduleItem", "monitoring_schedule"]


@dataclass(frozen=True)
class ScheduleItem:
    item: str
    label: str
    last: dt.date | None
    due: dt.date
    overdue: bool
    interval_days: int
    loinc: str | None
    source: str
    assumption: str | None

    def to_json(self) -> dict[str, Any]:
        data = safety_data()
        return {
            "item": self.item,
            "label": self.label,
            "last": self.last.isoformat() if self.last else None,
            "due": self.due.isoformat(),
            "overdue": self.overdue,
            "interval": {"value": self.interval_days, "unit": "d"},
            "loinc": self.loinc,
            "source": self.source,
            "assumption": ({"name": self.assumption,
                            "text": data.policy.assumptions[self.assumption].text}
                           if self.assumption else None),
        }


def monitoring_schedule(patient: PatientRecord, *, today: dt.date) -> tuple[ScheduleItem, ...]:
    """Due dates for the patient's current regimen; empty once the regimen has ended."""
    policy = safety_data().policy
    reg = patient.regimen
    if reg.end_date is not None and reg.end_date < today:
        return ()
    out: list[ScheduleItem] = []
    duration = (today - reg.start_date).days
    for name in sorted(policy.monitoring):
        item = policy.monitoring[name]
        if item.applies == "seizure-disorders" and reg.indication != "seizure-disorders":
            continue
        last = patient.monitoring.last(name)
        if last is not None and last >= reg.start_date:
            due = last + dt.timedelta(days=item.interval_days)
        else:
            first = item.first_after_days or item.interval_days
            due = reg.start_date + dt.timedelta(days=first)
        overdue = today > due
        if item.applies == "long-term" and duration < policy.long_term_from_days:
            overdue = False
        out.append(ScheduleItem(item=name, label=item.label, last=last, due=due,
                                overdue=overdue, interval_days=item.interval_days,
                                loinc=item.loinc, source=item.source,
                                assumption=item.assumption))
    return tuple(out)
