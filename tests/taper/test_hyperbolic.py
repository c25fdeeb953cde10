"""Hyperbolic tapering on the PK engine's Emax effect curve (Maudsley Deprescribing
Guidelines, Horowitz & Taylor 2024: steps that remove equal amounts of effect)."""

import datetime as dt
from fractions import Fraction

import pytest

from benzoplan.pk import dose_effect
from benzoplan.taper import ProductOptions, StepLimit, TaperRequest, plan_taper
from benzoplan.units import Concentration, Dose, Volume

from .conftest import regimen

LIQUID = ProductOptions(liquid=Concentration("0.1 mg/mL"), measure=Volume("0.1 mL"))


def _plan(**kw: object) -> object:
    base: dict[str, object] = dict(
        drug="clonazepam", doses=regimen(("22:00", "0.5 mg")), start=dt.date(2026, 12, 1),
        strategy="hyperbolic", max_step=StepLimit(fraction=Fraction(30, 100)),
        effect_step=5.0, products=LIQUID, years_of_use=2)
    base.update(kw)
    return plan_taper(TaperRequest(**base))  # type: ignore[arg-type]


def test_effect_steps_equal_within_rounding() -> None:
    plan = _plan()
    steps = plan.steps  # type: ignore[attr-defined]
    effects = [dose_effect({"clonazepam": Dose("0.5 mg")}).effect_percent] + [
        s.effect for s in steps]
    uncapped = [i for i, s in enumerate(steps, start=1)
                if s.kind == "taper" and "capped" not in s.reason
                and not (s.deviation or "").startswith("no givable")]
    assert len(uncapped) >= 5
    for i in uncapped:
        drop = effects[i - 1] - effects[i]
        # rounding to the 0.01 mg the liquid allows moves the effect by at most the curve's
        # slope times half a measure; at these doses that is well under 0.7 points
        assert drop == pytest.approx(5.0, abs=0.7), (i, drop)
    # milligram steps shrink as the dose falls (late steps are smaller)
    mg = [float(s.daily_total_mg) for s in steps]
    drops = [a - b for a, b in zip([0.5, *mg], mg, strict=False)][: uncapped[-1]]
    assert drops[0] > drops[len(drops) // 2] > drops[-1]


def test_effect_and_occupancy_come_from_the_pk_engine() -> None:
    plan = _plan()
    for s in plan.steps:  # type: ignore[attr-defined]
        de = dose_effect({"clonazepam": s.daily_total})
        assert s.effect == pytest.approx(de.effect_percent, abs=1e-9)
        assert s.occupancy == pytest.approx(de.occupancy_percent, abs=1e-9)
    curve = plan.parameters["effect_curve"]  # type: ignore[attr-defined]
    assert curve["effect_step"] == 5.0 and curve["ec50"]["unit"] == "ng/mL"
    assert any("ASSUMPTION" in a for a in curve["assumptions"])


def test_zero_only_from_a_dose_within_one_effect_step() -> None:
    plan = _plan()
    last = plan.steps[-2]  # type: ignore[attr-defined]
    assert plan.steps[-1].kind == "stop"  # type: ignore[attr-defined]
    assert last.daily_total_mg == Fraction("0.01") and last.effect <= 5.0
    assert not any(f.code == "final-effect-step" for f in plan.findings)  # type: ignore[attr-defined]


def test_ec50_override_changes_the_curve_and_is_shown() -> None:
    default = _plan()
    lower = _plan(ec50=Concentration("2 ng/mL"))
    assert lower.parameters["effect_curve"]["ec50"] == {"value": 2, "unit": "ng/mL"}  # type: ignore[attr-defined]
    assert lower.steps[0].effect > default.steps[0].effect  # type: ignore[attr-defined]
    assert [s.daily_total_mg for s in lower.steps] != [  # type: ignore[attr-defined]
        s.daily_total_mg for s in default.steps]  # type: ignore[attr-defined]


def test_tablets_only_final_step_removes_more_than_one_step() -> None:
    plan = _plan(products=ProductOptions())
    codes = {f.code for f in plan.findings}  # type: ignore[attr-defined]
    assert "final-effect-step" in codes


def test_to_events_is_lossless() -> None:
    plan = _plan(doses=regimen(("08:00", "0.25 mg"), ("22:00", "0.25 mg")))
    reg = plan.to_events()  # type: ignore[attr-defined]
    total = sum(Fraction(format(e.dose.mg, ".12g")) for e in reg.events)
    expected = sum((s.daily_total_mg * s.days for s in plan.steps), Fraction(0))  # type: ignore[attr-defined]
    assert total == expected
    assert reg.events[0].time_h == 0 and reg.events[1].time_h == 14
    n = sum(s.days * len({a.time for a in s.administrations})
            for s in plan.steps)  # type: ignore[attr-defined]
    assert len(reg.events) == n


def test_to_events_lead_in_repeats_the_current_regimen() -> None:
    plan = _plan(doses=regimen(("08:00", "0.25 mg"), ("22:00", "0.25 mg")))
    plain = plan.to_events()  # type: ignore[attr-defined]
    led = plan.to_events(lead_in_days=7)  # type: ignore[attr-defined]
    assert len(led.events) == len(plain.events) + 14
    assert all(e.dose.mg == 0.25 for e in led.events[:14])
    assert led.events[14].time_h == 7 * 24 and led.events[14].dose == plain.events[0].dose
    with pytest.raises(Exception, match="lead-in"):
        plan.to_events(lead_in_days=-1)  # type: ignore[attr-defined]


def test_crossover_chart_simulates_combined_occupancy(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from benzoplan.reports.taper_plot import plot_taper, simulate_plan

    plan = plan_taper(TaperRequest(
        drug="clonazepam", doses=regimen(("08:00", "0.5 mg"), ("22:00", "0.5 mg")),
        start=dt.date(2026, 12, 1), strategy="crossover", years_of_use=3))
    sim = simulate_plan(plan, lead_in_days=14)
    assert set(sim.regimen.drugs) == {"clonazepam", "diazepam"}
    assert sim.occupancy.max() > 0
    out = plot_taper(plan, tmp_path / "x.png")
    assert out.read_bytes()[:4] == b"\x89PNG"
