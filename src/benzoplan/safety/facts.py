"""Patient + regimen + date → the named facts the rules test, the texts they quote, and the
explicit list of what could not be resolved.

Nothing needed for a rule is guessed: an unknown medicine, a missing weight for a child's
per-kg ceiling, an indication without a label maximum, alcohol use or driving not recorded —
each becomes an :class:`Unresolved` item in the result instead of a silent pass.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from benzoplan.safety.conditions import FactValue
from benzoplan.safety.dependence import DependenceRisk, dependence_risk
from benzoplan.safety.dosing import label_dosing
from benzoplan.safety.knowledge import safety_data
from benzoplan.safety.medicines import resolve_medicine
from benzoplan.safety.patient import PatientRecord
from benzoplan.safety.schedule import ScheduleItem, monitoring_schedule
from benzoplan.safety.vocabulary import CONDITION_LABELS, FACTS

__all__ = ["Facts", "Unresolved", "build_facts", "medicine_classes", "overdose_texts"]

_EPS = 1e-9
_CNS = ("z-drug", "sedating-antihistamine", "antipsychotic", "barbiturate", "muscle-relaxant")
_INDUCERS = ("cyp3a4-strong-inducer", "clonazepam-level-lowering-antiepileptic")


@dataclass(frozen=True)
class Unresolved:
    """Something the check could not decide, stated explicitly (never dropped)."""

    field: str
    value: str | None
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "value": self.value, "reason": self.reason}


@dataclass(frozen=True)
class Facts:
    values: dict[str, FactValue]
    texts: dict[str, str]
    meds: dict[str, tuple[str, ...]]  # class id -> generic names
    unresolved: tuple[Unresolved, ...]
    dependence: DependenceRisk
    schedule: tuple[ScheduleItem, ...]


def _join(items: Sequence[str]) -> str:
    return ", ".join(items)


def medicine_classes(texts: Sequence[str], *, exclude: str | None = None
                     ) -> tuple[dict[str, tuple[str, ...]], tuple[Unresolved, ...]]:
    """Free-text medicines → {class id: generic names}, and the names that resolve to none."""
    meds: dict[str, set[str]] = {}
    unresolved: list[Unresolved] = []
    for text in texts:
        m = resolve_medicine(text)
        if m is None:
            unresolved.append(Unresolved("medicines", text, "medicine not recognised; its "
                                         "interactions were not checked"))
            continue
        if m.medicine.name == exclude:
            continue  # the regimen's own drug listed again
        for cls in m.classes:
            meds.setdefault(cls, set()).add(m.medicine.name)
    return {k: tuple(sorted(s)) for k, s in meds.items()}, tuple(unresolved)


def overdose_texts(signs: Sequence[str], med_names: Mapping[str, Sequence[str]]
                   ) -> dict[str, str]:
    """The texts the overdose rule quotes: the signs, emergency steps and the opioid note."""
    op = safety_data().policy.overdose
    opioid = med_names.get("opioid")
    return {
        "overdose_signs_text": _join([op.signs[s] for s in sorted(signs)]),
        "emergency": op.emergency,
        "opioid_note": (f"Opioid listed ({_join(tuple(opioid))}). " if opioid else "")
        + op.opioid_note,
    }


def build_facts(patient: PatientRecord, *, today: dt.date) -> Facts:
    data = safety_data()
    policy = data.policy
    reg = patient.regimen
    unresolved: list[Unresolved] = []
    v: dict[str, FactValue] = {}
    t: dict[str, str] = {}

    # ---- other medicines → classes
    med_names, not_found = medicine_classes(patient.medicines, exclude=reg.drug)
    unresolved.extend(not_found)
    classes = frozenset(med_names)

    # ---- patient facts
    conditions = frozenset(patient.conditions)
    v.update(age_years=patient.age_years, weight_kg=patient.weight_kg, sex=patient.sex,
             pregnant=patient.pregnant, breastfeeding=patient.breastfeeding,
             older_adult=patient.age_years >= policy.older_adult.age_years,
             conditions=conditions, hepatic_impairment=patient.hepatic_impairment,
             alcohol_use=patient.alcohol_use, drives=patient.drives, medicine_classes=classes,
             dependence_signs=frozenset(patient.dependence_signs),
             overdose_signs=frozenset(patient.overdose_signs),
             prior_withdrawal=patient.prior_withdrawal)
    drinks: list[str] = [patient.alcohol_use] if patient.alcohol_use in (
        "occasional", "regular", "heavy") else []
    if "alcohol" in med_names:
        drinks.append(f"listed among medicines: {_join(med_names['alcohol'])}")
    t["alcohol_use_text"] = "; ".join(drinks)
    if patient.alcohol_use == "unknown":
        unresolved.append(Unresolved("alcohol_use", "unknown", "alcohol use not recorded; ask "
                                     "(no alcohol during treatment and for 3 days after)"))
    if patient.drives is None:
        unresolved.append(Unresolved("drives", None, "driving not recorded; ask"))

    # ---- regimen facts
    daily, single = reg.daily_dose, reg.max_single_dose
    end = reg.end_date
    last_day = min(today, end) if end is not None else today
    duration = max(0, (last_day - reg.start_date).days)
    active = end is None or end >= today
    v.update(drug=reg.drug, indication=reg.indication,
             daily_dose_mg=daily.mg if daily is not None else None,
             max_single_dose_mg=single.mg if single is not None else None,
             duration_days=duration, regimen_active=active,
             drug_cyp3a_substrate=reg.drug in policy.cyp3a_substrates)
    if end is not None:
        until = end + dt.timedelta(days=policy.alcohol.avoid_days_after_last_dose)
        v["within_alcohol_window"] = today <= until
        t.update(regimen_end=end.isoformat(), alcohol_avoid_until=until.isoformat(),
                 alcohol_until_clause=f", i.e. until {until.isoformat()}")
    else:
        v["within_alcohol_window"] = False
        t.update(regimen_end="", alcohol_avoid_until="", alcohol_until_clause="")

    # ---- label dosing: maximum, start, titration, duration
    ld = label_dosing(reg.drug, reg.indication, age_years=patient.age_years,
                      weight_kg=patient.weight_kg, market=reg.market)
    unspecified = reg.indication == "unspecified"
    v.update(population=ld.population, on_label=None if unspecified else ld.on_label,
             label_dosing_found=None if unspecified else ld.found)
    t["label_gap_text"] = ld.gap or ""
    if unspecified:
        unresolved.append(Unresolved("regimen.indication", "unspecified", "indication not "
                                     "recorded; the label dose ceiling, titration and course "
                                     "length were not checked"))
    who = f"{reg.indication}, {ld.population.replace('_', ' ')}" + (
        f", {patient.weight_kg:g} kg" if patient.weight_kg is not None else "")
    mx = ld.maximum()
    if unspecified:
        pass
    elif daily is None or single is None:
        unresolved.append(Unresolved("regimen.schedule", None, "no dose given; the dose "
                                     "ceiling, titration and dose band of the dependence "
                                     "score were not checked"))
    elif ld.needs_weight:
        unresolved.append(Unresolved("weight", None, f"{ld.gap}; the dose was not checked "
                                     "against the per-kg label maximum"))
    elif mx is None:
        unresolved.append(Unresolved("regimen.dose", str(daily), f"no label maximum applies "
                                     f"({ld.gap or 'none in the drug file'}); the dose was "
                                     "not checked against a ceiling"))
    else:
        per, ceiling = mx
        amount = daily if per == "day" else single
        over = amount.mg > ceiling.mg + _EPS
        v["dose_above_label_max"] = over
        what = "daily dose" if per == "day" else "single dose"
        t["dose_vs_max_text"] = (f"{what} {amount} vs label maximum {ceiling} per {per} "
                                 f"({who}; {ld.source})")
    if reg.history and ld.entry is not None:
        start_ceiling = ld.start_ceiling()
        first = reg.history[0].daily_dose
        if start_ceiling is not None and start_ceiling[0] == "day":
            v["start_above_label"] = first.mg > start_ceiling[1].mg + _EPS
            t["start_vs_label_text"] = (f"started at {first}/day; label start at most "
                                        f"{start_ceiling[1]}/day ({who})")
        step, interval = ld.step(conservative=False), ld.interval_days
        if step is not None and interval is not None:
            fast: list[str] = []
            for a, b in pairwise(reg.history):
                rise = b.daily_dose.mg - a.daily_dose.mg
                days = (b.date - a.date).days
                allowed = step.mg * (days // interval)
                if rise > allowed + _EPS:
                    fast.append(f"{a.daily_dose} → {b.daily_dose}/day in {days} days")
            v["titration_too_fast"] = bool(fast)
            t["titration_text"] = (f"{'; '.join(fast) or 'none'}; label allows at most +{step}"
                                   f"/day every {interval} days")
        if daily is not None and abs(reg.history[-1].daily_dose.mg - daily.mg) > _EPS:
            unresolved.append(Unresolved(
                "regimen.history", str(reg.history[-1].daily_dose),
                f"the last history entry differs from the current daily dose {daily}; add the "
                "date of the change so the titration can be checked"))
    advised = ld.advised_max_days
    v["advised_max_days"] = advised
    v["duration_beyond_advised"] = None if advised is None else duration > advised

    # ---- dependence
    history = bool(conditions & {"substance-use-disorder", "alcohol-use-disorder"})
    dep = dependence_risk(drug=reg.drug, daily_dose=daily, duration_days=duration,
                          history=history, prior_withdrawal=patient.prior_withdrawal,
                          signs=patient.dependence_signs)
    de = dep.diazepam_equivalent
    v.update(dependence_score=dep.score, dependence_band=dep.band,
             diazepam_equivalent_mg=de.mg if de is not None else None)
    dp = policy.dependence
    t.update(dependence_inputs=dep.describe(), screening=dp.screening,
             dependence_signs_text=_join([dp.signs[s] for s in sorted(patient.dependence_signs)]))

    # ---- overdose
    t.update(overdose_texts(patient.overdose_signs, med_names))

    # ---- monitoring
    schedule = monitoring_schedule(patient, today=today)
    v["overdue_monitoring"] = frozenset(s.item for s in schedule if s.overdue)
    for item in policy.monitoring:
        t[f"{item.replace('-', '_')}_due"] = ""
    for s in schedule:
        t[f"{s.item.replace('-', '_')}_due"] = s.due.isoformat()

    # ---- phrases
    def labelled(ids: tuple[str, ...]) -> str:
        return _join([f"{', '.join(med_names[c])} ({data.classes[c].label})"
                      for c in ids if c in med_names])

    t["cns_depressants_text"] = labelled(_CNS)
    t["inducers_text"] = _join(sorted({n for c in _INDUCERS for n in med_names.get(c, ())}))
    t["respiratory_text"] = _join([CONDITION_LABELS[c] for c in ("respiratory-failure",
                                                                 "sleep-apnea")
                                   if c in conditions])
    t["dementia_falls_text"] = _join([CONDITION_LABELS[c] for c in ("dementia", "falls")
                                      if c in conditions])
    t["sud_text"] = _join([CONDITION_LABELS[c] for c in ("alcohol-use-disorder",
                                                         "substance-use-disorder")
                           if c in conditions])

    for name in FACTS:
        v.setdefault(name, None)
    return Facts(values=v, texts=t, meds=med_names, unresolved=tuple(unresolved),
                 dependence=dep, schedule=schedule)
