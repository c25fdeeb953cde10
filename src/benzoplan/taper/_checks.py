"""Guideline checks of a plan: findings with severity, rationale and source."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from fractions import Fraction
from typing import TYPE_CHECKING

from benzoplan.taper._model import FORCED as _FORCED
from benzoplan.taper._model import Severity, TaperFinding, TaperStep
from benzoplan.taper._rules import rule

if TYPE_CHECKING:
    from benzoplan.taper._planner import Context

__all__ = ["check_plan"]



def _finding(severity: Severity, code: str, message: str, rule_name: str,
             step: int | None = None) -> TaperFinding:
    r = rule(rule_name)
    text = r.text + (" (benzoplan assumption)" if r.assumption else "")
    return TaperFinding(severity=severity, code=code, message=message, rationale=text,
                        source=r.source, step=step)


def _de_on(steps: Sequence[TaperStep], initial: Fraction, day: dt.date) -> Fraction:
    if not steps or day < steps[0].start:
        return initial
    current = initial
    for s in steps:
        if s.start <= day:
            current = s.diazepam_equivalent_mg
        else:
            break
    return current


def _window_reduction(steps: Sequence[TaperStep], initial: Fraction, step: TaperStep,
                      days: int) -> float:
    before = _de_on(steps, initial, step.start - dt.timedelta(days=days))
    if before == 0:
        return 0.0
    return float((before - step.diazepam_equivalent_mg) / before * 100)


def _steps_text(idx: Sequence[int]) -> str:
    return ", ".join(str(i) for i in idx[:12]) + (" …" if len(idx) > 12 else "")


def _finer(ctx: Context) -> str:
    sets = [ctx.src] + ([ctx.tgt] if ctx.tgt is not None else [])
    if any(ps.liquid is not None for ps in sets):
        return ("a smaller measuring volume or a more dilute liquid would allow smaller "
                "steps.")
    return "a liquid, orally disintegrating tablets or quartering would allow smaller steps."


def check_plan(ctx: Context, steps: Sequence[TaperStep]) -> tuple[TaperFinding, ...]:
    req = ctx.request
    out: list[TaperFinding] = []
    initial = ctx.src.mg(sum(ctx.start_alloc)) * ctx.de_per_mg[ctx.source]
    long_term = req.years_of_use * 12 >= (rule("dependence_expected").months or 3)
    active = [s for s in steps if s.kind != "stop"]

    # 1. pace above the guideline's maximum (25% in 2 weeks)
    mr = rule("max_rate")
    assert mr.percent is not None and mr.days is not None
    over = [(s.index, _window_reduction(steps, initial, s, mr.days)) for s in active]
    bad = [(i, r) for i, r in over if r > mr.percent + 1e-9]
    if bad:
        worst = max(bad, key=lambda x: x[1])
        out.append(_finding(
            "moderate", "step-above-guideline",
            f"Step(s) {_steps_text([i for i, _ in bad])} reduce the diazepam-equivalent dose "
            f"by more than {mr.percent:g}% within {mr.days} days (largest {worst[1]:.0f}% at "
            f"step {worst[0]}).", "max_rate", worst[0]))

    # 2. too fast a start for long-term users or a seizure history
    ip = rule("initial_pace")
    assert ip.percent is not None and ip.days is not None
    first = next((s for s in steps if s.kind == "taper"), None)
    if first is not None and (long_term or req.factors.seizure_history):
        r = _window_reduction(steps, _de_on(steps, initial, first.start - dt.timedelta(1)),
                              first, ip.days)
        if r > ip.percent + 1e-9:
            who = "a seizure history" if req.factors.seizure_history else (
                f"{req.years_of_use:g} years of use")
            out.append(_finding(
                "major" if req.factors.seizure_history else "moderate", "fast-start",
                f"The first reduction takes {r:.0f}% within {ip.days} days; with {who} the "
                f"guideline advises starting at {ip.percent:g}% or less every 2–4 weeks.",
                "initial_pace", first.index))

    # 3. equal milligram steps after long-term use
    linear = req.strategy == "linear" or (req.strategy == "crossover" and req.then == "linear")
    if linear and long_term:
        out.append(_finding(
            "moderate", "linear-after-long-term",
            f"Equal milligram steps after {req.years_of_use:g} years of use grow to large "
            "fractions of the dose near the end; consider a fixed-fraction or hyperbolic "
            "taper.", "linear_long_term"))

    # 4. final jump to zero from a dose that is not the smallest givable
    stop = next((s for s in steps if s.kind == "stop"), None)
    if stop is not None and stop.index >= 2:
        last = steps[stop.index - 2]
        ps = ctx.tgt if (ctx.tgt is not None and last.total_of(ctx.tgt.drug) > 0) else ctx.src
        smallest = ps.mg(ps.smallest)
        last_total = last.total_of(ps.drug)
        if last_total != smallest:
            out.append(_finding(
                "minor", "final-step-not-smallest",
                f"The last step stops from {float(last_total):g} mg {ps.drug} a day; the "
                f"smallest givable dose is {float(smallest):g} mg.", "final_step", stop.index))

    # 4b. hyperbolic: the last step should remove no more than one effect step
    if stop is not None and stop.index >= 2 and ctx.effect_step is not None:
        last = steps[stop.index - 2]
        if last.effect is not None and last.effect > ctx.effect_step + 1e-6:
            out.append(_finding(
                "minor", "final-effect-step",
                f"The last step removes {last.effect:.1f} percentage points of predicted "
                f"effect, more than one step ({ctx.effect_step:.1f}): the allowed products "
                f"give no smaller dose; {_finer(ctx)}", "final_step", stop.index))

    # 5. duration implausibly short for years of use
    yu = rule("years_of_use")
    if req.years_of_use >= (yu.years or 1) and stop is not None:
        ps = ctx.tgt if ctx.tgt is not None else ctx.src
        start_amount = (ctx.src.mg(sum(ctx.start_alloc)) * ctx.ratio if ctx.tgt is not None
                        else ctx.src.mg(sum(ctx.start_alloc)))
        smallest = ps.mg(ps.smallest)
        ratio = float(smallest / start_amount) if start_amount else 1.0
        n = math.ceil(math.log(ratio) / math.log(1 - mr.percent / 100)) if ratio < 1 else 0
        minimum = n * mr.days
        total_days = (stop.start - steps[0].start).days
        if total_days < minimum:
            out.append(_finding(
                "moderate", "duration-too-short",
                f"The plan lasts {total_days} days; after {req.years_of_use:g} years of use, "
                f"even the guideline's fastest typical pace needs about {minimum} days from "
                f"the starting dose to the smallest givable dose.", "years_of_use"))

    # 6. crossover that lowers the total equivalent dose at the switch, or raises it well
    # above a comparable dose because the products cannot make the equivalent
    prev_de = initial
    rise_limit = Fraction(str(rule("crossover_rise").percent or 0)) / 100
    for s in steps:
        if s.kind == "crossover" and prev_de and s.diazepam_equivalent_mg > prev_de * (
                1 + rise_limit):
            rise = float((s.diazepam_equivalent_mg - prev_de) / prev_de * 100)
            out.append(_finding(
                "moderate", "crossover-equivalent-rise",
                f"Step {s.index} raises the diazepam-equivalent total by {rise:.0f}% at the "
                f"switch: the allowed products cannot make the equivalent dose; {_finer(ctx)}",
                "crossover_rise", s.index))
        if s.kind == "crossover" and s.diazepam_equivalent_mg < prev_de:
            drop = float((prev_de - s.diazepam_equivalent_mg) / prev_de * 100)
            out.append(_finding(
                "major", "crossover-equivalent-drop",
                f"Step {s.index} lowers the diazepam-equivalent total by {drop:.0f}% at the "
                f"switch ({ctx.table} equivalence used to substitute, {ctx.report_table} table "
                "used to report).", "crossover_drop", s.index))
        prev_de = s.diazepam_equivalent_mg

    # 7. steps the products forced above the limit
    forced = [s.index for s in steps if s.deviation and s.deviation.startswith(_FORCED)]
    if forced:
        out.append(_finding(
            "minor", "product-forced-step",
            f"At step(s) {_steps_text(forced)} the allowed products cannot make a step within "
            f"the limit ({req.max_step.describe()}); {_finer(ctx)}", "product_forced",
            forced[0]))

    # 8. factors that call for a slower taper
    factors = []
    if req.factors.seizure_history:
        factors.append("seizure history")
    if req.factors.age is not None and req.factors.age >= 65:
        factors.append(f"age {req.factors.age}")
    if req.factors.prior_failed_taper:
        factors.append("a prior failed taper")
    if req.factors.substance_use_disorder:
        factors.append("a substance-use disorder")
    if initial > 15:
        factors.append(f"a high dose ({float(initial):g} mg diazepam-equivalent a day)")
    if long_term:
        factors.append(f"{req.years_of_use:g} years of use")
    if factors:
        out.append(_finding(
            "info", "slower-taper-factors",
            "Factors that call for a slower taper and closer follow-up: " + ", ".join(factors)
            + ". Slow or pause the taper if withdrawal emerges.", "initial_pace"))
    return tuple(out)
