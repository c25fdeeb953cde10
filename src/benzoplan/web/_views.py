"""Presentation helpers: turn the API's JSON into what the templates show.

Nothing here decides anything clinical; it formats quantities, picks today's step out of a plan
the API returned, splits steps into weeks for the table and draws the plan as an inline SVG.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

__all__ = [
    "SEVERITY_ORDER",
    "Slot",
    "WeekRow",
    "dose_slots",
    "entry_summary",
    "fmt_qty",
    "plan_svg",
    "step_on",
    "weeks",
]

# Severity words of the safety engine (contraindicated … info), the taper planner's findings
# and monitoring alerts (urgent, warning, info), most severe first: the order findings show in.
SEVERITY_ORDER = {"urgent": 0, "contraindicated": 0, "error": 0, "major": 1, "warning": 2,
                  "moderate": 2, "minor": 3, "info": 4}


def fmt_qty(q: Mapping[str, Any] | None) -> str:
    """``{"value": 1.5, "unit": "mg"}`` → ``1.5 mg``; a UCUM annotation loses its braces and
    counts in words ("{tablet}") take the plural: ``14 tablets``, ``1 tablet``, ``0.5 tablet``."""
    if not q:
        return "—"
    value = q.get("value")
    raw = str(q.get("unit", ""))
    unit = raw.strip("{}")
    if raw.startswith("{") and isinstance(value, int | float) and value > 1:
        unit += "s"
    text = f"{value:.4g}" if isinstance(value, float) else str(value)
    return f"{text} {unit}".strip()


def _date(s: str) -> dt.date:
    return dt.date.fromisoformat(s)


def step_on(plan: Mapping[str, Any], day: dt.date) -> Mapping[str, Any] | None:
    """The step of ``plan`` (the taper JSON form) in force on ``day``, if any."""
    for step in plan.get("steps", []):
        if _date(step["start"]) <= day <= _date(step["end"]):
            found: Mapping[str, Any] = step
            return found
    return None


@dataclass(frozen=True)
class Slot:
    """One scheduled dose time: what to take and the total dose."""

    time: str
    items: tuple[str, ...]
    total: str


def dose_slots(step: Mapping[str, Any] | None) -> list[Slot]:
    if step is None:
        return []
    by_time: dict[str, list[Mapping[str, Any]]] = {}
    for a in step.get("administrations", []):
        by_time.setdefault(a["time"], []).append(a)
    slots = []
    for time in sorted(by_time):
        items = []
        total = 0.0
        unit = ""
        for a in by_time[time]:
            label = a.get("product", {}).get("label", a.get("drug", ""))
            if "count" in a:
                amount = f"{a['count']:g} × {label}"
            else:
                amount = f"{fmt_qty(a.get('volume'))} of {label}"
            items.append(f"{amount} ({a['drug']})")
            total += float(a["dose"]["value"])
            unit = a["dose"]["unit"]
        slots.append(Slot(time, tuple(items), fmt_qty({"value": total, "unit": unit})))
    return slots


@dataclass(frozen=True)
class WeekRow:
    week: int
    start: dt.date
    end: dt.date
    step: int
    daily_total: str
    reduction_percent: float | None
    slots: tuple[Slot, ...]
    kind: str
    reason: str


def weeks(plan: Mapping[str, Any]) -> list[WeekRow]:
    """The plan's steps split into calendar weeks from the plan's start (week 1 = first 7 days)."""
    rows: list[WeekRow] = []
    if not plan.get("steps"):
        return rows
    origin = _date(plan["start"])
    for step in plan["steps"]:
        start, end = _date(step["start"]), _date(step["end"])
        slots = tuple(dose_slots(step))
        day = start
        while day <= end:
            week = (day - origin).days // 7 + 1
            week_end = min(end, origin + dt.timedelta(days=week * 7 - 1))
            rows.append(WeekRow(week, day, week_end, int(step.get("index", 0)),
                                fmt_qty(step.get("daily_total")), step.get("reduction_percent"),
                                slots, str(step.get("kind", "")), str(step.get("reason", ""))))
            day = week_end + dt.timedelta(days=1)
    return rows


def _points(steps: Sequence[Mapping[str, Any]], origin: dt.date) -> list[tuple[float, float]]:
    pts: list[tuple[float, float]] = []
    for s in steps:
        y = float(s["daily_total"]["value"])
        x0 = (_date(s["start"]) - origin).days
        x1 = (_date(s["end"]) - origin).days + 1
        pts += [(x0, y), (x1, y)]
    return pts


def plan_svg(plan: Mapping[str, Any], *, today: dt.date | None = None,
             width: int = 720, height: int = 260) -> str:
    """The daily total over time as a step chart (inline SVG with a text alternative)."""
    steps = [s for s in plan.get("steps", []) if "daily_total" in s]
    if not steps:
        return ""
    origin = _date(plan["start"])
    unit = str(steps[0]["daily_total"].get("unit", ""))
    pts = _points(steps, origin)
    days = max(x for x, _ in pts) or 1.0
    top = max(y for _, y in pts) or 1.0
    left, right, up, down = 56, 16, 16, 40
    w, h = width - left - right, height - up - down

    def sx(x: float) -> float:
        return left + w * x / days

    def sy(y: float) -> float:
        return up + h * (1 - y / top)

    path = " ".join(f"{'M' if i == 0 else 'L'}{sx(x):.1f},{sy(y):.1f}"
                    for i, (x, y) in enumerate(pts))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="chart" role="img" aria-labelledby="chart-title chart-desc">',
        f'<title id="chart-title">Daily dose over the plan ({escape(unit)})</title>',
        '<desc id="chart-desc">' + escape(
            f'From {fmt_qty(steps[0]["daily_total"])} on {origin.isoformat()} to '
            f'{fmt_qty(steps[-1]["daily_total"])} by {plan.get("end", steps[-1]["end"])}, '
            f'in {len(steps)} steps.') + '</desc>',
        f'<line x1="{left}" y1="{up + h}" x2="{left + w}" y2="{up + h}" class="axis"/>',
        f'<line x1="{left}" y1="{up}" x2="{left}" y2="{up + h}" class="axis"/>',
    ]
    for frac in (0.0, 0.5, 1.0):
        y = top * frac
        parts.append(f'<text x="{left - 6}" y="{sy(y) + 4:.1f}" text-anchor="end" '
                     f'class="tick">{y:.3g}</text>')
    for x in _ticks(days):
        label = (origin + dt.timedelta(days=int(x))).isoformat()
        parts.append(f'<text x="{sx(x):.1f}" y="{up + h + 16}" text-anchor="middle" '
                     f'class="tick">{label}</text>')
    parts.append(f'<text x="12" y="{up + h / 2:.1f}" class="tick" '
                 f'transform="rotate(-90 12 {up + h / 2:.1f})" text-anchor="middle">'
                 f'mg/day</text>' if unit == "mg" else "")
    parts.append(f'<path d="{path}" class="line"/>')
    if today is not None and 0 <= (today - origin).days <= days:
        x = sx((today - origin).days)
        parts.append(f'<line x1="{x:.1f}" y1="{up}" x2="{x:.1f}" y2="{up + h}" class="today"/>'
                     f'<text x="{x + 4:.1f}" y="{up + 12}" class="tick">today</text>')
    parts.append("</svg>")
    return "".join(parts)


def _ticks(days: float) -> Iterable[float]:
    n = 4
    return [days * i / n for i in range(n + 1)]


def _compact(value: Any) -> str:
    if isinstance(value, Mapping):
        if set(value) == {"value", "unit"}:
            return fmt_qty(value)
        return ", ".join(f"{str(k).replace('_', ' ')} {_compact(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_compact(v) for v in value) or "none"
    return str(value)


def entry_summary(kind: str, data: Mapping[str, Any]) -> str:
    """One line for a diary entry as the API returned it (any kind; unknown keys shown as is)."""
    if kind == "dose" and "slot" in data:
        return f"{data['slot']} {data.get('status', '')}".strip()
    ratings = data.get("ratings", data.get("symptoms"))
    if kind == "symptoms" and isinstance(ratings, Mapping):
        rated = [f"{str(k).replace('_', ' ')} {v}" for k, v in sorted(ratings.items()) if v]
        return ", ".join(rated) or "none"
    if kind.startswith("seizure") and "count" in data:
        n = data["count"]
        text = f"{n} seizure{'' if n == 1 else 's'}"
        return text + (f" ({data['type']})" if data.get("type") else "")
    if kind == "instrument" and "instrument" in data:
        return f"{str(data['instrument']).upper()} answered"
    return _compact({k: v for k, v in data.items() if v not in (None, [], {})}) or "—"
