"""Golden schedules reproduced from published sources (each test names its source)."""

import datetime as dt
from fractions import Fraction

from benzoplan.taper import (
    PatientFactors,
    ProductOptions,
    StepLimit,
    TaperRequest,
    plan_taper,
)
from benzoplan.units import Concentration, Volume

from .conftest import regimen

START = dt.date(2026, 12, 1)


def _per_time(step, drug: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for a in step.administrations:
        if a.drug == drug:
            key = a.time.strftime("%H:%M")
            out[key] = out.get(key, 0.0) + float(a.dose_mg)
    return out


def test_label_short_discontinuation() -> None:
    """FDA clonazepam label (panic disorder): 'decrease by 0.125 mg twice daily every 3
    days until stopped' — from 0.5 mg twice daily: 0.375, 0.25, 0.125 twice daily, then stop."""
    plan = plan_taper(TaperRequest(
        drug="clonazepam", doses=regimen(("08:00", "0.5 mg"), ("20:00", "0.5 mg")),
        start=START, strategy="linear", interval_days=3,
        max_step=StepLimit.parse("0.25 mg"), years_of_use=0.2, indication="panic-disorder"))
    got = [(s.start.isoformat(), _per_time(s, "clonazepam")) for s in plan.steps]
    assert got == [
        ("2026-12-01", {"08:00": 0.375, "20:00": 0.375}),
        ("2026-12-04", {"08:00": 0.25, "20:00": 0.25}),
        ("2026-12-07", {"08:00": 0.125, "20:00": 0.125}),
        ("2026-12-10", {}),
    ]
    assert plan.steps[-1].kind == "stop" and plan.total_days == 9
    assert all(s.deviation is None for s in plan.steps)
    codes = {f.code for f in plan.findings}
    # the label's last step stops from 0.25 mg/day, not from the smallest givable 0.125 mg
    assert "final-step-not-smallest" in codes
    assert "linear-after-long-term" not in codes  # under 3 months of use


def test_label_linear_after_long_term_use_warns() -> None:
    """Same equal steps after 3 years: the planner warns (joint guideline 2025 pace)."""
    plan = plan_taper(TaperRequest(
        drug="clonazepam", doses=regimen(("08:00", "0.5 mg"), ("20:00", "0.5 mg")),
        start=START, strategy="linear", interval_days=3,
        max_step=StepLimit.parse("0.25 mg"), years_of_use=3))
    codes = {f.code for f in plan.findings}
    assert {"linear-after-long-term", "step-above-guideline", "fast-start",
            "duration-too-short"} <= codes


def test_nhs_scotland_crossover_schedule() -> None:
    """Ashton-style crossover, clonazepam 0.5 mg twice daily → diazepam, then 1 mg steps.

    The Ashton Manual's own clonazepam schedule (benzo.org.uk/manual/bzsched.htm) could not be
    retrieved here: searches found only the manual's chapter pages, not the schedule text.
    The golden is built from what could be cited instead:
    * Table 7 of the 2025 joint guideline (pocket guide, eguideline.guidelinecentral.com/i/
      1532950/18): Ashton equivalence clonazepam 0.5 mg ≡ diazepam 10 mg;
    * NHS Scotland 'Reduction schedules' (rightdecisions.scot.nhs.uk, benzodiazepines and
      z-drugs quality prescribing guide, adapted from Ashton): lorazepam 1 mg twice daily
      (≡ diazepam 20 mg/day) → step 1 night dose replaced by diazepam 10 mg, step 2 both doses
      diazepam 10 mg, steps 3–12 the morning dose 9, 8, … 1 mg then stopped with 10 mg at
      night, steps 13–21 the night dose 9 … 1 mg, step 22 stop.
    Clonazepam 0.5 mg twice daily is the same 20 mg diazepam-equivalent, so the diazepam
    columns must match the table exactly.
    """
    plan = plan_taper(TaperRequest(
        drug="clonazepam", doses=regimen(("08:00", "0.5 mg"), ("22:00", "0.5 mg")),
        start=START, strategy="crossover", to="diazepam", equivalence="ashton",
        then="linear", max_step=StepLimit.parse("1 mg"), interval_days=14, years_of_use=3,
        dose_order="night-last", crossover_days=7))
    table = [(_per_time(s, "clonazepam"), _per_time(s, "diazepam")) for s in plan.steps]
    assert table[0] == ({"08:00": 0.5}, {"22:00": 10.0})
    assert table[1] == ({}, {"08:00": 10.0, "22:00": 10.0})
    morning = [t[1].get("08:00", 0.0) for t in table[2:12]]
    assert morning == [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]
    assert all(t[1]["22:00"] == 10.0 for t in table[2:12])
    night = [t[1].get("22:00", 0.0) for t in table[12:21]]
    assert night == [9, 8, 7, 6, 5, 4, 3, 2, 1]
    assert table[21] == ({}, {}) and plan.steps[21].kind == "stop" and len(plan.steps) == 22
    totals = [float(s.diazepam_equivalent_mg) for s in plan.steps]
    assert totals[:3] == [20, 20, 19] and totals[-2:] == [1, 0]
    assert [s.kind for s in plan.steps[:2]] == ["crossover", "crossover"]
    assert not any(f.code == "crossover-equivalent-drop" for f in plan.findings)
    assert not any(f.code == "crossover-equivalent-rise" for f in plan.findings)


def test_crossover_rounded_up_by_the_products_is_flagged() -> None:
    """Diazepam 2 mg/day ≡ clonazepam 0.1 mg/day (Ashton), which US tablets without ODT cannot
    make: the switch rounds up to 0.25 mg per dose, and the plan must say so."""
    plan = plan_taper(TaperRequest(
        drug="diazepam", doses=regimen(("08:00", "1 mg"), ("20:00", "1 mg")),
        start=START, strategy="crossover", to="clonazepam", then="fixed-fraction",
        max_step=StepLimit.parse("10%"), market="US", products=ProductOptions(odt=False),
        target_products=ProductOptions(odt=False), years_of_use=1))
    rises = [f for f in plan.findings if f.code == "crossover-equivalent-rise"]
    assert rises and rises[0].severity == "moderate" and "raises" in rises[0].message


def test_crossover_lower_equivalence_is_flagged() -> None:
    """Substituting at the VA/DoD ratio (1 mg ≡ 10 mg) drops the Ashton-table total by half."""
    plan = plan_taper(TaperRequest(
        drug="clonazepam", doses=regimen(("08:00", "0.5 mg"), ("22:00", "0.5 mg")),
        start=START, strategy="crossover", equivalence="va-dod", years_of_use=3))
    drops = [f for f in plan.findings if f.code == "crossover-equivalent-drop"]
    assert drops and drops[0].severity == "major" and "ashton" in drops[0].message


def test_asam_rate_example() -> None:
    """Joint guideline 2025 (ASAM): 5–10% of the current dose every 2–4 weeks. Clonazepam
    1 mg twice daily, 10% every 2 weeks with a 0.1 mg/mL liquid measured to 0.1 mL: the first
    steps follow 2 → 1.8 → 1.62 → 1.46 mg/day (1.458 rounded to the 0.01 mg the liquid
    allows), each ≤ 10% and never above 25% in 2 weeks until the smallest givable dose."""
    plan = plan_taper(TaperRequest(
        drug="clonazepam", doses=regimen(("08:00", "1 mg"), ("20:00", "1 mg")),
        start=START, strategy="fixed-fraction", interval_days=14,
        max_step=StepLimit(fraction=Fraction(1, 10)), years_of_use=3,
        products=ProductOptions(liquid=Concentration("0.1 mg/mL"), measure=Volume("0.1 mL"))))
    totals = [s.daily_total_mg for s in plan.steps[:3]]
    assert totals == [Fraction("1.8"), Fraction("1.62"), Fraction("1.46")]
    for s in plan.steps:
        if s.kind == "taper" and not s.deviation:
            assert s.reduction_percent <= 10 + 1e-9
    assert not any(f.code in ("fast-start", "duration-too-short") for f in plan.findings)
    assert plan.steps[-2].daily_total_mg == Fraction("0.01")


def test_insomnia_keeps_night_dose_and_says_why() -> None:
    plan = plan_taper(TaperRequest(
        drug="clonazepam", doses=regimen(("08:00", "0.5 mg"), ("22:00", "1 mg")),
        start=START, factors=PatientFactors(insomnia=True), years_of_use=2))
    first_night_cut = next(i for i, s in enumerate(plan.steps)
                           if _per_time(s, "clonazepam").get("22:00", 0) < 1)
    assert all(_per_time(s, "clonazepam").get("08:00", 0) == 0
               for s in plan.steps[first_night_cut:])
    assert any("sleep is the problem" in n for n in plan.notes)


def test_crossover_at_the_clinicians_own_equivalence() -> None:
    """A chosen equivalence '1 mg = 10 mg' substitutes like the VA/DoD column of Table 7."""
    own = plan_taper(TaperRequest(
        drug="clonazepam", doses=regimen(("08:00", "0.5 mg"), ("22:00", "0.5 mg")),
        start=START, strategy="crossover", equivalence="1 mg = 10 mg", years_of_use=3))
    table = plan_taper(TaperRequest(
        drug="clonazepam", doses=regimen(("08:00", "0.5 mg"), ("22:00", "0.5 mg")),
        start=START, strategy="crossover", equivalence="va-dod", years_of_use=3))
    assert [s.daily_total_mg for s in own.steps] == [s.daily_total_mg for s in table.steps]
    assert own.parameters["equivalence_table"] == "chosen (1 mg = 10 mg)"
    assert any(f.code == "crossover-equivalent-drop" for f in own.findings)
