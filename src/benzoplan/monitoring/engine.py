"""The monitoring engine: diary + instrument history + plan → alerts and proposals.

:func:`evaluate` validates every entry first (dates within the plan and not in the future, one
entry per day and slot, doses only in scheduled slots, complete questionnaires) and raises one
:class:`~benzoplan.errors.InputError` before any rule runs, so there is never a partial result.
Then each rule runs independently over the whole history:

- red flags → ``urgent`` alerts with emergency instructions: any seizure since the taper began,
  hallucinations or delirium, suicidal thoughts, PHQ-9 item 9 > 0 or a positive C-SSRS screen,
  overdose signs. Alerts are never merged away or lowered by other entries.
- worsening → a ``hold`` proposal (``slow`` if a hold is already in force or withdrawal is
  severe); improvement during a hold → a ``resume`` proposal, never while a red flag stands;
- efficacy and tolerance: seizure frequency rising over 3 months, ISI back in its clinical band,
  the COWS course;
- adherence: missed doses, extra doses, more doses in a day than scheduled.

Every alert and proposal names the entries it rests on, its rule, its source and whether a
threshold is a documented benzoplan assumption. Proposals are data: the engine never changes a
plan; :meth:`Proposal.apply_to` asks the taper plan for a new version.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import mean
from typing import Any, Literal, Protocol, TypeVar

from benzoplan.errors import InputError
from benzoplan.instruments import Score, score
from benzoplan.monitoring._data import parameter, symptoms
from benzoplan.monitoring.diary import (
    DiaryEntry,
    DoseEntry,
    InstrumentEntry,
    SeizureEntry,
    SymptomEntry,
    parse_entry,
)
from benzoplan.monitoring.plan import PlanView

__all__ = ["EMERGENCY", "Alert", "MonitoringResult", "Proposal", "ScoredEntry", "evaluate"]

Level = Literal["urgent", "warning", "info"]
_ORDER = {"urgent": 0, "warning": 1, "info": 2}

EMERGENCY = ("EMERGENCY: call the local emergency number now (911 US, 999 UK, 112 EU) if the "
             "person cannot be woken, breathes slowly or irregularly, has a seizure lasting more "
             "than 5 minutes or seizures one after another, or is in immediate danger of "
             "harming themselves (US: 988 Suicide & Crisis Lifeline). Do not leave them alone. "
             "Otherwise contact the prescriber today; do not reduce the dose further and do not "
             "stop the medicine abruptly until a clinician has assessed them.")

WITHDRAWAL_INSTRUMENTS = ("ciwa-b", "bwsq")
SEVERE_BANDS = {"ciwa-b": {"severe", "very-severe"}}


@dataclass(frozen=True)
class Alert:
    level: Level
    code: str
    rule: str
    why: str
    action: str
    source: str
    entries: tuple[str, ...]
    assumption: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"level": self.level, "code": self.code, "rule": self.rule, "why": self.why,
                "action": self.action, "source": self.source, "entries": list(self.entries),
                "assumption": self.assumption}


class _Revisable(Protocol):
    def revise(self, kind: Literal["hold", "slow", "resume"], *, effective: dt.date, reason: str,
               author: str, days: int | None = None, factor: float | None = None) -> Any: ...


P = TypeVar("P", bound=_Revisable)


@dataclass(frozen=True)
class Proposal:
    kind: Literal["hold", "slow", "resume"]
    effective: dt.date
    rule: str
    why: str
    source: str
    entries: tuple[str, ...]
    days: int | None = None
    factor: float | None = None
    assumption: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "effective": self.effective.isoformat(), "days": self.days,
                "factor": self.factor, "rule": self.rule, "why": self.why,
                "source": self.source, "entries": list(self.entries),
                "assumption": self.assumption}

    def apply_to(self, plan: P, *, author: str) -> Any:
        """A new plan version with this proposal applied (the plan's own ``revise``); the old
        plan is unchanged. Only a clinician's decision should call this."""
        reason = f"{self.why} [rule {self.rule}; {self.source}]"
        return plan.revise(self.kind, effective=self.effective, reason=reason, author=author,
                           days=self.days, factor=self.factor)


@dataclass(frozen=True)
class ScoredEntry:
    entry: InstrumentEntry
    score: Score


@dataclass(frozen=True)
class MonitoringResult:
    today: dt.date
    plan_version: int
    alerts: tuple[Alert, ...]
    proposals: tuple[Proposal, ...]
    entries: int = 0
    scores: tuple[ScoredEntry, ...] = field(default=(), repr=False)

    @property
    def urgent(self) -> bool:
        return any(a.level == "urgent" for a in self.alerts)

    def to_json(self) -> dict[str, Any]:
        return {"today": self.today.isoformat(), "plan_version": self.plan_version,
                "entries": self.entries,
                "alerts": [a.to_json() for a in self.alerts],
                "proposals": [p.to_json() for p in self.proposals],
                "scores": [{"entry": s.entry.ref, **s.score.to_json()} for s in self.scores]}


# ---------------------------------------------------------------------------- validation
def _validate(plan: PlanView, raw: Iterable[Any], today: dt.date) -> list[DiaryEntry]:
    entries: list[DiaryEntry] = []
    seen: dict[tuple[str, dt.date, str], str] = {}
    problems: list[str] = []
    for n, obj in enumerate(raw, start=1):
        e = parse_entry(obj, where=f"diary entry {n}")
        key = (e.kind, e.date, e.slot_key)
        if e.date > today:
            problems.append(f"{e.ref} is dated after today ({today.isoformat()})")
        elif e.date < plan.start:
            problems.append(f"{e.ref} is dated before the plan starts "
                            f"({plan.start.isoformat()})")
        elif key in seen:
            problems.append(f"{e.ref} is recorded twice (one entry per day and slot)")
        elif isinstance(e, DoseEntry) and e.status != "extra" and e.slot not in plan.slots_on(
                e.date):
            slots = ", ".join(plan.slots_on(e.date)) or "none"
            problems.append(f"{e.ref}: no dose is scheduled at {e.slot} on that day "
                            f"(scheduled: {slots}); record unscheduled doses as 'extra'")
        seen.setdefault(key, e.ref)
        entries.append(e)
    if problems:
        raise InputError("diary: " + "; ".join(problems), field="diary")
    return sorted(entries, key=lambda x: (x.date, x.kind, x.slot_key))


def _score_all(entries: Sequence[DiaryEntry]) -> list[ScoredEntry]:
    out = []
    for e in entries:
        if isinstance(e, InstrumentEntry):
            try:
                out.append(ScoredEntry(e, score(e.instrument, e.answers)))
            except InputError as exc:
                raise InputError(f"{e.ref}: {exc.message}", field="diary") from None
    return out


# ---------------------------------------------------------------------------- rules
def _red_flags(plan: PlanView, entries: Sequence[DiaryEntry],
               scored: Sequence[ScoredEntry]) -> list[Alert]:
    alerts: list[Alert] = []
    seizures = [e for e in entries if isinstance(e, SeizureEntry) and e.count > 0]
    if seizures:
        total = sum(e.count for e in seizures)
        alerts.append(Alert(
            "urgent", "seizure-during-taper", "red-flag.seizure",
            f"{total} seizure(s) recorded since the taper began on {plan.start.isoformat()}: "
            "a seizure during benzodiazepine reduction may be a withdrawal seizure.",
            EMERGENCY, "fda-clonazepam-tablets", tuple(e.ref for e in seizures)))
    checklists = [e for e in entries if isinstance(e, SymptomEntry)]
    groups: dict[str, list[tuple[SymptomEntry, str]]] = {}
    for s in symptoms():
        if s.red_flag_at is None:
            continue
        code = ("overdose-signs" if s.group == "overdose" else
                {"disorientation": "delirium", "suicidal_thoughts": "suicidal-thoughts"}.get(
                    s.code, s.code))
        for e in checklists:
            if e.rating(s.code) >= s.red_flag_at:
                groups.setdefault(code, []).append((e, s.code))
    for code, hits in groups.items():
        syms = {s.code: s for s in symptoms()}
        named = sorted({syms[c].red_flag or c for _, c in hits})
        alerts.append(Alert(
            "urgent", code, f"red-flag.{code}",
            "Recorded: " + "; ".join(named) + ".", EMERGENCY,
            syms[hits[0][1]].source, tuple(dict.fromkeys(e.ref for e, _ in hits)),
            assumption=any(syms[c].assumption for _, c in hits)))
    for se in scored:
        for a in se.score.alerts:
            if a.level == "urgent":
                alerts.append(Alert("urgent", a.code, f"red-flag.instrument.{a.code}",
                                    f"{a.why} (total {se.score.total}, {se.score.band.label})",
                                    f"{a.action} {EMERGENCY}", a.source, (se.entry.ref,)))
    return alerts


def _checklists(entries: Sequence[DiaryEntry]) -> list[SymptomEntry]:
    return [e for e in entries if isinstance(e, SymptomEntry)]


def _baseline(checks: Sequence[SymptomEntry]) -> tuple[float, tuple[SymptomEntry, ...]] | None:
    n = int(parameter("baseline_days").value)
    if len(checks) < n:
        return None
    base = tuple(checks[:n])
    return mean(e.total for e in base), base


def _last_consecutive(checks: Sequence[SymptomEntry], n: int) -> tuple[SymptomEntry, ...]:
    """The last ``n`` checklists if they fall on consecutive days, else ()."""
    if len(checks) < n:
        return ()
    tail = tuple(checks[-n:])
    if (tail[-1].date - tail[0].date).days != n - 1:
        return ()
    return tail


def _withdrawal(plan: PlanView, entries: Sequence[DiaryEntry], scored: Sequence[ScoredEntry],
                today: dt.date) -> tuple[list[Alert], list[Proposal]]:
    """Worsening rules: a warning alert and hold (or slow) proposals."""
    alerts: list[Alert] = []
    proposals: list[Proposal] = []
    hold = plan.hold_in_effect(today)
    hold_days = int(parameter("hold_days").value)
    factor = float(parameter("slow_factor").value)
    reasons: list[tuple[str, str, tuple[str, ...], bool]] = []  # why, rule, refs, severe
    # During a hold only what was recorded after the hold began counts as "still worse".
    since = plan.start if hold is None else hold[0] + dt.timedelta(days=1)
    for name in WITHDRAWAL_INSTRUMENTS:
        results = [s for s in scored if s.score.instrument == name and s.entry.date >= since]
        if results and results[-1].score.band.clinical:
            last = results[-1]
            severe = last.score.band.code in SEVERE_BANDS.get(name, set())
            verified = "" if last.score.band.verified else " (band unverified)"
            reasons.append((f"{name.upper()} {last.score.total} on "
                            f"{last.entry.date.isoformat()}: {last.score.band.label}{verified}",
                            f"worsening.{name}-band", (last.entry.ref,), severe))
    checks = _checklists(entries)
    base = _baseline(checks)
    rise = parameter("rise_points").value
    days = int(parameter("rise_days").value)
    if base is not None:
        level, base_entries = base
        later = [e for e in checks[len(base_entries):] if e.date >= since]
        tail = _last_consecutive(later, days)
        if tail and all(e.total >= level + rise for e in tail):
            totals = ", ".join(str(e.total) for e in tail)
            reasons.append((f"withdrawal checklist total {totals} on {days} consecutive days, "
                            f"each at least {rise:g} above the baseline {level:.1f}",
                            "worsening.checklist-rise",
                            tuple(e.ref for e in (*base_entries, *tail)), False))
    if not reasons:
        return alerts, proposals
    why = "; ".join(r[0] for r in reasons)
    refs = tuple(dict.fromkeys(ref for r in reasons for ref in r[2]))
    rules = ", ".join(r[1] for r in reasons)
    assumption = any(r[1] == "worsening.checklist-rise" for r in reasons)
    alerts.append(Alert("warning", "withdrawal-worsening", rules,
                        f"Withdrawal is worse: {why}.",
                        "Review the patient within days; pause the reduction (see proposal) and "
                        "treat symptoms; look for other causes.", "joint-guideline-2025", refs,
                        assumption))
    if hold is None:
        proposals.append(Proposal(
            "hold", today, rules,
            f"Hold the current step for {hold_days} days: {why}. The guideline advises pausing "
            "or slowing the taper when significant withdrawal emerges.",
            "joint-guideline-2025", refs, days=hold_days, assumption=True))
    if hold is not None or any(r[3] for r in reasons):
        context = (f"withdrawal is still worse during the hold ({hold[1]})" if hold is not None
                   else "withdrawal is severe")
        proposals.append(Proposal(
            "slow", today, rules,
            f"Slow the remaining plan by a factor of {factor:g} (each remaining step lasts "
            f"{factor:g}× as long): {context}; {why}.",
            "joint-guideline-2025", refs, factor=factor, assumption=True))
    return alerts, proposals


def _resume(plan: PlanView, entries: Sequence[DiaryEntry], scored: Sequence[ScoredEntry],
            today: dt.date) -> list[Proposal]:
    hold = plan.hold_in_effect(today)
    if hold is None:
        return []
    start, how = hold
    checks = _checklists(entries)
    base = _baseline(checks)
    if base is None:
        return []
    level, base_entries = base
    n = int(parameter("resume_days").value)
    after = [e for e in checks if e.date >= start and e not in base_entries]
    tail = _last_consecutive(after, n)
    rise = parameter("rise_points").value
    if not tail or any(e.total >= level + rise for e in tail):
        return []
    for name in WITHDRAWAL_INSTRUMENTS:
        recent = [s for s in scored if s.score.instrument == name and s.entry.date >= start]
        if recent and recent[-1].score.band.clinical:
            return []
    totals = ", ".join(str(e.total) for e in tail)
    return [Proposal(
        "resume", today, "improvement.resume-after-hold",
        f"Withdrawal has settled during the hold ({how}): checklist totals {totals} on {n} "
        f"consecutive days, below baseline {level:.1f} + {rise:g}; no withdrawal instrument in a "
        "clinical band since the hold began. Consider resuming the taper at the held step.",
        "joint-guideline-2025", tuple(e.ref for e in tail), assumption=True)]


def _efficacy(entries: Sequence[DiaryEntry], scored: Sequence[ScoredEntry],
              today: dt.date) -> list[Alert]:
    alerts: list[Alert] = []
    width = int(parameter("seizure_window").value)
    seizure_entries = [e for e in entries if isinstance(e, SeizureEntry)]
    windows: list[list[SeizureEntry]] = []
    for k in (2, 1, 0):
        hi = today - dt.timedelta(days=k * width)
        lo = hi - dt.timedelta(days=width - 1)
        windows.append([e for e in seizure_entries if lo <= e.date <= hi])
    if all(windows):
        counts = [sum(e.count for e in w) for w in windows]
        if counts[0] <= counts[1] <= counts[2] and counts[2] > counts[0]:
            alerts.append(Alert(
                "warning", "seizure-frequency-rising", "efficacy.seizure-frequency",
                f"Seizures per {width} days over the last 3 windows: {counts[0]}, {counts[1]}, "
                f"{counts[2]} — rising. Up to 30% of patients lose the anticonvulsant effect, "
                "often within 3 months.",
                "Review seizure control with the neurologist: check adherence, levels and "
                "co-medication; do not change the dose without review.",
                "fda-clonazepam-tablets",
                tuple(e.ref for w in windows for e in w if e.count > 0), assumption=True))
    isi = [s for s in scored if s.score.instrument == "isi"]
    if isi and isi[-1].score.band.clinical:
        earlier = [s for s in isi[:-1] if not s.score.band.clinical]
        last = isi[-1]
        if earlier:
            alerts.append(Alert(
                "warning", "insomnia-clinical-again", "efficacy.isi-clinical",
                f"ISI {last.score.total} on {last.entry.date.isoformat()} is back in the "
                f"clinical range ({last.score.band.label}); earlier "
                f"{earlier[-1].score.total} on {earlier[-1].entry.date.isoformat()}. Rebound "
                "insomnia is a withdrawal symptom; loss of effect is tolerance.",
                "Review sleep: consider pausing the reduction, CBT-I and sleep hygiene; do not "
                "increase the dose without review.", "bastien-2001",
                (earlier[-1].entry.ref, last.entry.ref)))
        else:
            alerts.append(Alert(
                "info", "insomnia-clinical", "efficacy.isi-clinical",
                f"ISI {last.score.total} on {last.entry.date.isoformat()}: "
                f"{last.score.band.label}.", "Review sleep at the next visit.",
                "bastien-2001", (last.entry.ref,)))
    cows = [s for s in scored if s.score.instrument == "cows"]
    if cows:
        last = cows[-1]
        refs = tuple(s.entry.ref for s in cows)
        totals = [s.score.total for s in cows]
        if last.score.band.clinical:
            alerts.append(Alert(
                "warning", "opioid-withdrawal", "efficacy.cows-band",
                f"COWS {last.score.total} on {last.entry.date.isoformat()}: "
                f"{last.score.band.label}.",
                "Review the opioid-withdrawal treatment today.", "wesson-ling-2003", refs))
        if len(totals) >= 3 and totals[-3] < totals[-2] < totals[-1]:
            alerts.append(Alert(
                "warning", "opioid-withdrawal-rising", "efficacy.cows-course",
                f"COWS rising over the last 3 assessments: {totals[-3]}, {totals[-2]}, "
                f"{totals[-1]}.", "Review the opioid-withdrawal treatment today.",
                "wesson-ling-2003", refs[-3:]))
        elif len(totals) >= 2 and totals[-1] < totals[0]:
            alerts.append(Alert(
                "info", "opioid-withdrawal-settling", "efficacy.cows-course",
                f"COWS falling from {totals[0]} to {totals[-1]}.",
                "Plan the end of the adjunct benzodiazepine.", "wesson-ling-2003", refs))
        limit = int(parameter("cows_days").value)
        span = (last.entry.date - cows[0].entry.date).days + 1
        if span > limit:
            alerts.append(Alert(
                "info", "opioid-withdrawal-course-long", "efficacy.cows-duration",
                f"The opioid-withdrawal course has lasted {span} days; clonazepam as an adjunct "
                f"is usually given for 3–{limit} days to avoid dependence.",
                "Review whether the benzodiazepine is still needed; taper if used daily for "
                "more than a few days.", "reference-texts", (cows[0].entry.ref, last.entry.ref)))
    return alerts


def _adherence(plan: PlanView, entries: Sequence[DiaryEntry], today: dt.date) -> list[Alert]:
    alerts: list[Alert] = []
    window = int(parameter("adherence_window").value)
    lo = today - dt.timedelta(days=window - 1)
    doses = [e for e in entries if isinstance(e, DoseEntry) and e.date >= lo]
    missed = [e for e in doses if e.status == "missed"]
    if missed:
        threshold = int(parameter("missed_warning").value)
        alerts.append(Alert(
            "warning" if len(missed) >= threshold else "info", "missed-doses",
            "adherence.missed",
            f"{len(missed)} missed dose(s) in the last {window} days. During a taper a missed "
            "dose is a sudden extra reduction and can bring on withdrawal.",
            "Ask why; a pill organiser or reminders may help. Do not double the next dose.",
            "fda-clonazepam-tablets", tuple(e.ref for e in missed), assumption=True))
    extra = [e for e in doses if e.status == "extra"]
    by_day: dict[dt.date, int] = {}
    for e in doses:
        if e.status in ("taken", "extra"):
            by_day[e.date] = by_day.get(e.date, 0) + 1
    over = sorted(d for d, n in by_day.items() if n > len(plan.slots_on(d)))
    if extra or over:
        refs = tuple(dict.fromkeys(
            [e.ref for e in extra] + [e.ref for e in doses if e.date in over]))
        days_txt = ", ".join(d.isoformat() for d in over)
        alerts.append(Alert(
            "warning", "more-than-prescribed", "adherence.extra",
            f"{len(extra)} extra dose(s) in the last {window} days"
            + (f"; more doses than scheduled on {days_txt}" if over else "")
            + ". Taking more, or more often, than prescribed is a sign of dependence.",
            "Discuss with the patient without blame: withdrawal symptoms between doses may mean "
            "the step is too large or the interval too long; review the plan.",
            "reference-texts", refs))
    return alerts


# ---------------------------------------------------------------------------- entry point
def evaluate(plan: Any, diary_entries: Iterable[DiaryEntry | Mapping[str, Any]],
             instrument_results: Iterable[InstrumentEntry | Mapping[str, Any]] = (), *,
             today: dt.date) -> MonitoringResult:
    """Alerts and proposals for ``plan`` given the diary and questionnaire history up to
    ``today``. The plan may be a taper plan, its JSON object or a :class:`PlanView`."""
    view = PlanView.of(plan)
    raw = list(diary_entries)
    for r in instrument_results:
        raw.append(r if isinstance(r, InstrumentEntry) else {"kind": "instrument", **r})
    entries = _validate(view, raw, today)
    scored = _score_all(entries)
    alerts = _red_flags(view, entries, scored)
    w_alerts, proposals = _withdrawal(view, entries, scored, today)
    alerts += w_alerts
    alerts += _efficacy(entries, scored, today)
    alerts += _adherence(view, entries, today)
    if not any(a.level == "urgent" for a in alerts) and not proposals:
        proposals += _resume(view, entries, scored, today)
    alerts.sort(key=lambda a: _ORDER[a.level])
    return MonitoringResult(today, view.version, tuple(alerts), tuple(proposals), len(entries),
                            tuple(scored))
