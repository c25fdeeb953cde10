"""The monitoring section of `benzoplan demo`: a two-week diary in which rising withdrawal
leads to a hold proposal, and the clinician's decision produces the next plan version."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich.console import Console

from benzoplan.cli.monitor_cmd import print_result
from benzoplan.monitoring import evaluate
from benzoplan.taper import ScheduledDose, TaperPlan, TaperRequest, plan_taper
from benzoplan.units import Dose

START = dt.date(2026, 12, 1)


def sample_plan() -> TaperPlan:
    """The demo patient's plan: clonazepam 1 mg at 08:00 and 20:00, 10% steps every 14 days."""
    return plan_taper(TaperRequest(
        drug="clonazepam", start=START, strategy="fixed-fraction", interval_days=14,
        doses=(ScheduledDose(dt.time(8), Dose("1 mg")), ScheduledDose(dt.time(20), Dose("1 mg"))),
        years_of_use=7, indication="panic-disorder"))


def two_week_diary(plan: TaperPlan) -> list[dict[str, Any]]:
    """Doses taken as scheduled; a quiet first week, then anxiety, insomnia, headache and
    tremor rise from day 10."""
    data = plan.to_json()
    out: list[dict[str, Any]] = []
    for n in range(14):
        day = START + dt.timedelta(days=n)
        step = [s for s in data["steps"] if s["start"] <= day.isoformat()][-1]
        slots = sorted({a["time"] for a in step["administrations"]})  # one per clock time
        out += [{"kind": "dose", "date": day.isoformat(), "slot": t, "status": "taken"}
                for t in slots]
        level = 0 if n < 9 else min(3, n - 8)
        out.append({"kind": "symptoms", "date": day.isoformat(),
                    "ratings": {"anxiety": min(3, 1 + level), "insomnia": 1 + (level > 0),
                                "headache": level, "tremor": level}})
        out.append({"kind": "seizure", "date": day.isoformat(), "count": 0})
    return out


def monitoring_section(out: Console) -> None:
    plan = sample_plan()
    diary = two_week_diary(plan)
    today = START + dt.timedelta(days=13)
    totals = [sum(e["ratings"].values()) for e in diary if e["kind"] == "symptoms"]
    out.print(f"Diary {START.isoformat()} – {today.isoformat()}: all doses taken; daily "
              f"withdrawal checklist totals {', '.join(map(str, totals))}.", markup=False)
    result = evaluate(plan, diary, today=today)
    print_result(result, out)
    hold = next(p for p in result.proposals if p.kind == "hold")
    revised = hold.apply_to(plan, author="prescribing clinician (demo)")
    rev = revised.revisions[-1]
    nxt = next(s for s in revised.steps if s.start > today)
    out.print(f"The clinician accepts the hold: plan version {plan.version} → {revised.version} "
              f"({rev.kind} from {rev.effective.isoformat()}, {rev.days} days, by {rev.author}). "
              f"Next reduction now starts {nxt.start.isoformat()} "
              f"({nxt.daily_total} a day). Version {plan.version} is kept unchanged.",
              markup=False)
