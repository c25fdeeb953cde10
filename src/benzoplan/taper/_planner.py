"""Turn a :class:`TaperRequest` into a givable, checked :class:`TaperPlan`.

Every strategy proposes a *target* daily dose for the next step; the rounding step then
picks the givable regimen closest to it that keeps every step within the step limit, never
raises any single dose, and takes reductions from the doses the arrangement rule names
(largest first, or the day doses first with the night dose kept longest). The last step to
zero is taken only from the smallest givable dose, unless the whole remaining dose is within
an amount limit (as in the label's equal steps).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import numpy as np

from benzoplan.drugs import convert, get_drug
from benzoplan.errors import InputError
from benzoplan.taper._checks import check_plan
from benzoplan.taper._dispense import dispensing
from benzoplan.taper._effect import EffectModel
from benzoplan.taper._model import (
    FORCED,
    Administration,
    DoseOrder,
    Fill,
    StepKind,
    StepLimit,
    TaperFinding,
    TaperRequest,
    TaperStep,
)
from benzoplan.taper._plan import TaperPlan
from benzoplan.taper._products import ProductSet, fmt_mg
from benzoplan.taper._rules import rule
from benzoplan.units import Concentration, Dose

__all__ = ["FORCED", "Context", "build_steps", "finalise", "make_context", "plan_states",
           "plan_taper"]

Alloc = tuple[int, ...]


@dataclass(frozen=True)
class _State:
    kind: StepKind
    src: Alloc
    tgt: Alloc
    reason: str
    deviation: str | None = None


@dataclass
class Context:
    """What the planner derives once from a request: products, equivalences, times."""

    request: TaperRequest
    times: tuple[dt.time, ...]
    source: str
    src: ProductSet
    start_alloc: Alloc
    target: str | None
    tgt: ProductSet | None
    ratio: Fraction  # target mg per source mg at the chosen equivalence
    table: str
    de_per_mg: dict[str, Fraction]
    report_table: str
    effects: EffectModel
    effect_step: float | None = None


def _exact(v: float) -> Fraction:
    return Fraction(format(v, ".12g"))


@lru_cache(maxsize=256)
def _ratio(drug: str, to: str, table: str | None) -> Fraction:
    """mg of ``to`` per mg of ``drug`` in ``table`` (``to``'s default table if it has none)."""
    if table is not None and table not in {v.table for v in get_drug(drug).equivalence.values}:
        table = None
    return _exact(convert(Dose("1 mg"), drug, to=to, table=table).equivalent.mg)


def _custom_ratio(text: str, source: str, target: str) -> Fraction:
    """'0.5 mg = 10 mg': the clinician's own equivalence, source dose = target dose."""
    left, _, right = text.partition("=")
    try:
        a, b = Dose(left.strip()), Dose(right.strip())
    except InputError as exc:
        raise InputError(f"equivalence '{text}' is not '<{source} dose> = <{target} dose>', "
                         f"e.g. '0.5 mg = 10 mg' ({exc})", field="equivalence") from exc
    ratio = _exact(b.mg) / _exact(a.mg)
    if not Fraction(1, 1000) <= ratio <= 1000:
        raise InputError(f"equivalence '{text}' gives {float(ratio):g} mg {target} per mg "
                         f"{source}, outside any published table", field="equivalence")
    return ratio


@lru_cache(maxsize=64)
def _effect_model(drugs: tuple[str, ...], ec50: Concentration | None) -> EffectModel:
    return EffectModel(drugs, ec50=ec50)


def make_context(request: TaperRequest) -> Context:
    drug = get_drug(request.drug)
    src = ProductSet.build(drug.name, request.market, request.products)
    doses = request.sorted_doses
    alloc: list[int] = []
    for d in doses:
        mg = _exact(d.dose.mg)
        k = src.units(mg)
        if k is None or not src.givable(k):
            raise InputError(
                f"the {d.dose} dose at {d.time:%H:%M} cannot be given with the allowed "
                f"{drug.name} products in market {request.market} ({src.describe_forms()}); "
                "allow splitting, orally disintegrating tablets or a liquid, or give a "
                "dose the products can make", field="dose")
        alloc.append(k)
    report_table = request.report_table or drug.equivalence.default
    if report_table not in {v.table for v in drug.equivalence.values}:
        convert(Dose("1 mg"), drug.name, to="diazepam", table=report_table)  # names the tables
    de: dict[str, Fraction] = {drug.name: _ratio(drug.name, "diazepam", report_table)}
    target: str | None = None
    tgt: ProductSet | None = None
    ratio = Fraction(1)
    table = request.equivalence or drug.equivalence.default
    if request.strategy == "crossover":
        to = get_drug(request.to)
        if to.name == drug.name:
            raise InputError(f"a crossover needs another drug than {drug.name}", field="to")
        target = to.name
        tgt = ProductSet.build(to.name, request.market, request.target_products)
        if "=" in table:
            ratio = _custom_ratio(table, drug.name, to.name)
            table = f"chosen ({table.strip()})"
        else:
            if table not in {v.table for v in drug.equivalence.values}:
                convert(Dose("1 mg"), drug.name, to=to.name, table=table)  # names the tables
            ratio = _ratio(drug.name, to.name, table)
        de[to.name] = _ratio(to.name, "diazepam", report_table)
    effects = _effect_model((drug.name, *((target,) if target else ())), request.ec50)
    return Context(request=request, times=tuple(d.time for d in doses), source=drug.name,
                   src=src, start_alloc=tuple(alloc), target=target, tgt=tgt, ratio=ratio,
                   table=table, de_per_mg=de, report_table=report_table, effects=effects)


# --- rounding: the next givable regimen ------------------------------------------------

def _choose(cur: Sequence[int], order: DoseOrder) -> int:
    idxs = [i for i, k in enumerate(cur) if k > 0]
    if order == "night-last" and len(cur) > 1:
        day = [i for i in idxs if i != len(cur) - 1]
        if day:
            idxs = day
    return max(idxs, key=lambda i: (cur[i], -i))


def _reduce(ps: ProductSet, alloc: Alloc, target: float, floor: float,
            order: DoseOrder) -> tuple[Alloc, bool]:
    """The givable regimen closest to ``target`` with total in [floor, current).

    Returns the regimen and whether the products forced a step larger than the limit (when
    no givable total lies in the window, the smallest possible reduction is taken).
    """
    total = sum(alloc)
    cur = list(alloc)
    before: Alloc | None = None
    while sum(cur) > target and any(cur):
        i = _choose(cur, order)
        before = tuple(cur)
        cur[i] = ps.below(cur[i])
    after = tuple(cur)
    candidates = [s for s in (before, after)
                  if s is not None and floor - 1e-9 <= sum(s) < total and sum(s) > 0]
    if candidates:
        best = min(candidates, key=lambda s: (abs(sum(s) - target), -sum(s)))
        return best, False
    # No givable total within the limit: the smallest single reduction the products allow.
    options = []
    for i, k in enumerate(alloc):
        if k > 0:
            trial = list(alloc)
            trial[i] = ps.below(k)
            if sum(trial) > 0:
                options.append(tuple(trial))
    if not options:
        return after, True
    preferred = _choose(alloc, order)
    return max(options, key=lambda s: (sum(s), s[preferred] != alloc[preferred])), True


# --- strategies ---------------------------------------------------------------------------

def _limit_units(limit: StepLimit, ps: ProductSet) -> float | None:
    if limit.amount is None:
        return None
    return float(_exact(limit.amount.mg) / ps.quantum)


class _Hyperbolic:
    """Equal steps of predicted effect on the PK engine's Emax curve, for one drug."""

    def __init__(self, ps: ProductSet, d0: int, model: EffectModel, limit: StepLimit,
                 effect_step: float | None) -> None:
        self.ps = ps
        top = float(ps.mg(d0))
        self.grid = np.linspace(0.0, top, 8193)
        self.curve = model.effect({ps.drug: self.grid})
        self.e0 = float(self.curve[-1])
        if effect_step is None:
            # the first step takes exactly the step limit; later steps remove as much effect
            first = top * (1 - float(limit.fraction)) if limit.fraction is not None else (
                max(top - float(_exact(limit.amount.mg)), 0.0) if limit.amount else 0.0)
            effect_step = self.e0 - self.effect(first)
        self.step = effect_step

    def effect(self, mg: float) -> float:
        return float(np.interp(mg, self.grid, self.curve))

    def target(self, units: int) -> float:
        """Units whose effect is one step below that of ``units`` (≤ 0 past the bottom)."""
        e = self.effect(float(self.ps.mg(units))) - self.step
        if e <= 0:
            return 0.0
        return float(np.interp(e, self.curve, self.grid) / float(self.ps.quantum))


def _taper_phase(ps: ProductSet, alloc: Alloc, strategy: str, limit: StepLimit,
                 order: DoseOrder, kind_other: Callable[[Alloc], tuple[Alloc, Alloc]],
                 hyper: _Hyperbolic | None = None) -> list[_State]:
    """Steps from ``alloc`` down to zero for one drug. ``kind_other`` places the drug's
    regimen into (source, target) slots."""
    states: list[_State] = []
    cur = alloc
    d0 = sum(alloc)
    amount = _limit_units(limit, ps)
    if strategy == "fixed-fraction" and limit.fraction is None:
        raise InputError("a fixed-fraction taper needs the step as a percentage, e.g. '10%'",
                         field="max_step")
    linear_step = (amount if amount is not None
                   else float(limit.fraction or 0) * d0) if strategy == "linear" else None
    smallest = ps.smallest
    while sum(cur) > 0:
        total = sum(cur)
        if total == smallest:
            src, tgt = kind_other(tuple(0 for _ in cur))
            states.append(_State("stop", src, tgt,
                                 f"stop from the smallest givable dose, {fmt_mg(ps.mg(total))}"))
            break
        if limit.fraction is not None:
            floor = total * (1 - float(limit.fraction))
        else:
            assert amount is not None
            floor = total - amount
        if strategy == "linear":
            assert linear_step is not None
            target = total - linear_step
            why = f"equal step of {fmt_mg(ps.mg(1) * Fraction(linear_step))}"
        elif strategy == "fixed-fraction":
            assert limit.fraction is not None
            target = total * (1 - float(limit.fraction))
            why = f"{float(limit.fraction) * 100:g}% of the current dose"
        else:
            assert hyper is not None
            target = hyper.target(total)
            why = f"one effect step ({hyper.step:.2f} percentage points of predicted effect)"
            if target < floor - 1e-9:
                why += (f"; the equal-effect dose ({fmt_mg(ps.mg(1) * _exact(max(target, 0)))})"
                        " would break the step limit, so the step is capped at the limit")
        zero_effect_ok = hyper is None or hyper.effect(float(ps.mg(total))) <= hyper.step + 1e-9
        if (target <= 0 and amount is not None and total <= amount + 1e-9
                and zero_effect_ok):
            src, tgt = kind_other(tuple(0 for _ in cur))
            states.append(_State("stop", src, tgt,
                                 f"stop: the remaining {fmt_mg(ps.mg(total))} is within the "
                                 f"step limit ({why})"))
            break
        target = max(target, float(smallest), floor)
        new, forced = _reduce(ps, cur, target, floor, order)
        given = sum(new)
        reason = (f"{why}: target {fmt_mg(ps.mg(1) * _exact(target))}, given "
                  f"{fmt_mg(ps.mg(given))}; {_changes(ps, cur, new)}")
        deviation = None
        if forced:
            deviation = (f"{FORCED} the smallest step the products allow "
                         f"({fmt_mg(ps.mg(total - given))}) is taken")
        elif abs(given - target) > 1e-9:
            deviation = (f"rounded to {fmt_mg(ps.mg(given))} from the target "
                         f"{fmt_mg(ps.mg(1) * _exact(target))}: the closest givable dose "
                         "within the step limit")
        src, tgt = kind_other(new)
        states.append(_State("taper", src, tgt, reason, deviation))
        cur = new
    return states


def _changes(ps: ProductSet, old: Alloc, new: Alloc) -> str:
    return "; ".join(f"dose {i + 1} {fmt_mg(ps.mg(a))} → {fmt_mg(ps.mg(b))}"
                     for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b)


def plan_states(ctx: Context) -> list[_State]:
    req = ctx.request
    n = len(ctx.times)
    zeros = tuple(0 for _ in range(n))
    if req.strategy != "crossover":
        hyper = None
        if req.strategy == "hyperbolic":
            hyper = _Hyperbolic(ctx.src, sum(ctx.start_alloc), ctx.effects, req.max_step,
                                req.effect_step)
            ctx.effect_step = hyper.step
        return _taper_phase(ctx.src, ctx.start_alloc, req.strategy, req.max_step, req.order,
                            lambda a: (a, zeros), hyper)
    assert ctx.tgt is not None and ctx.target is not None
    src = list(ctx.start_alloc)
    tgt = [0] * n
    states: list[_State] = []
    for i in sorted(range(n), key=lambda i: -i):  # night dose first, then the later ones
        if src[i] == 0:
            continue
        eq = ctx.src.mg(src[i]) * ctx.ratio
        k = ctx.tgt.at_least(math.ceil(eq / ctx.tgt.quantum))
        given = ctx.tgt.mg(k)
        reason = (f"{ctx.times[i]:%H:%M} {ctx.source} {fmt_mg(ctx.src.mg(src[i]))} replaced "
                  f"by {ctx.target} {fmt_mg(given)} ({ctx.table} equivalence)")
        deviation = None
        if given != eq:
            deviation = (f"{ctx.target} {fmt_mg(eq)} cannot be given; rounded up to "
                         f"{fmt_mg(given)} so that the equivalent dose does not fall")
        src[i], tgt[i] = 0, k
        states.append(_State("crossover", tuple(src), tuple(tgt), reason, deviation))
    hyper = None
    if req.then == "hyperbolic":
        hyper = _Hyperbolic(ctx.tgt, sum(tgt), ctx.effects, req.max_step, req.effect_step)
        ctx.effect_step = hyper.step
    states += _taper_phase(ctx.tgt, tuple(tgt), req.then, req.max_step, req.order,
                           lambda a: (zeros, a), hyper)
    return states


# --- steps, dates, totals -------------------------------------------------------------------

def _admins(ctx: Context, src: Alloc, tgt: Alloc) -> tuple[Administration, ...]:
    out: list[Administration] = []
    for i, t in enumerate(ctx.times):
        for ps, k in ((ctx.src, src[i]), (ctx.tgt, tgt[i])):
            if ps is None or k == 0:
                continue
            for p in ps.portions(k):
                out.append(Administration(time=t, drug=ps.drug, product=p.product,
                                          dose_mg=p.dose_mg, count=p.count,
                                          volume_ml=p.volume_ml))
    return tuple(out)


def _value_in(ctx: Context, src_mg: Fraction, tgt_mg: Fraction, drug: str) -> Fraction:
    if drug == ctx.source:
        return src_mg
    return tgt_mg + src_mg * ctx.ratio


def build_steps(ctx: Context, states: Sequence[_State]) -> tuple[TaperStep, ...]:
    req = ctx.request
    start_src = ctx.src.mg(sum(ctx.start_alloc))
    src_daily = np.array([float(ctx.src.mg(sum(st.src))) for st in states])
    doses = {ctx.source: src_daily}
    if ctx.tgt is not None and ctx.target is not None:
        tgt_mgs = [float(ctx.tgt.mg(sum(st.tgt))) for st in states]
        doses[ctx.target] = np.array(tgt_mgs)
    occupancy = ctx.effects.occupancy(doses)
    effect = ctx.effects.effect(doses)
    day = req.start
    prev_src, prev_tgt = start_src, Fraction(0)
    steps: list[TaperStep] = []
    for idx, st in enumerate(states, start=1):
        src_mg = ctx.src.mg(sum(st.src))
        tgt_mg = ctx.tgt.mg(sum(st.tgt)) if ctx.tgt is not None else Fraction(0)
        drug = ctx.target if (ctx.target is not None and
                              (tgt_mg > 0 or st.kind == "stop")) else ctx.source
        assert drug is not None
        total = _value_in(ctx, src_mg, tgt_mg, drug)
        prev_total = _value_in(ctx, prev_src, prev_tgt, drug)
        initial = _value_in(ctx, start_src, Fraction(0), drug)
        totals = [(ctx.source, src_mg)]
        if ctx.target is not None:
            totals.append((ctx.target, tgt_mg))
        de = src_mg * ctx.de_per_mg[ctx.source] + (
            tgt_mg * ctx.de_per_mg[ctx.target] if ctx.target is not None else 0)
        days = 0 if st.kind == "stop" else (
            req.crossover_days if st.kind == "crossover" else req.interval_days)
        steps.append(TaperStep(
            index=idx, kind=st.kind, start=day, days=days, drug=drug,
            administrations=_admins(ctx, st.src, st.tgt),
            totals=tuple(totals), daily_total_mg=total, diazepam_equivalent_mg=de,
            reduction_mg=prev_total - total if prev_total >= total else Fraction(0),
            reduction_percent=float((prev_total - total) / prev_total * 100) if prev_total else 0.0,
            cumulative_reduction_percent=float((initial - total) / initial * 100),
            occupancy=float(occupancy[idx - 1]), effect=float(effect[idx - 1]),
            reason=st.reason, deviation=st.deviation,
            base_days=days))
        day = day + dt.timedelta(days=days)
        prev_src, prev_tgt = src_mg, tgt_mg
    return tuple(steps)


def finalise(ctx: Context, steps: Sequence[TaperStep]
             ) -> tuple[tuple[Fill, ...], tuple[TaperFinding, ...]]:
    return dispensing(steps, ctx.request.fill_days), check_plan(ctx, steps)


def arrangement_note(ctx: Context) -> str:
    if len(ctx.times) == 1:
        return "One daily dose: every step changes that dose."
    if ctx.request.order == "night-last":
        r = rule("night_dose")
        return (f"The day doses are reduced first and the night dose "
                f"({ctx.times[-1]:%H:%M}) is kept longest"
                + (" because sleep is the problem" if ctx.request.insomnia else "")
                + f". {r.text}")
    return ("Reductions are taken from the largest dose first (the earlier dose when equal), "
            "so the doses stay even across the day and the later dose is never the smaller.")


def plan_taper(request: TaperRequest) -> TaperPlan:
    """Plan a taper: givable steps, dispensing per fill, guideline findings (version 1)."""
    ctx = make_context(request)
    states = plan_states(ctx)
    steps = build_steps(ctx, states)
    fills, findings = finalise(ctx, steps)
    notes = [arrangement_note(ctx),
             f"Products: {ctx.src.drug}: {ctx.src.describe_forms()}."]
    if ctx.effect_step is not None:
        curve = ctx.effects.reference
        notes.append(
            f"Hyperbolic steps: each removes {ctx.effect_step:.2f} percentage points of "
            f"predicted effect on an Emax curve (Emax {curve.emax_percent:g}%, EC50 "
            f"{ctx.effects.ec50.ng_per_ml:.3g} ng/mL for {curve.drug}, Hill {curve.hill:g}); "
            "the EC50 is a named assumption the clinician may change. " + rule("hyperbolic").text)
    notes.append("Occupancy and effect are predicted at steady state by the PK engine; "
                 "they are model estimates built on stated assumptions, not measurements.")
    if ctx.tgt is not None:
        notes.append(f"Products: {ctx.tgt.drug}: {ctx.tgt.describe_forms()}.")
        notes.append(rule("crossover_stage").text)
        notes.append(rule("crossover_order").text)
    parameters: dict[str, object] = {
        "effect_curve": ctx.effects.to_json(ctx.effect_step),
        "max_step": request.max_step.to_json(),
        "interval": {"value": request.interval_days, "unit": "d"},
        "equivalence_table": ctx.table,
        "report_table": ctx.report_table,
    }
    if ctx.target is not None:
        parameters["ratio"] = float(ctx.ratio)
    return TaperPlan(version=1, request=request, drug=ctx.source, strategy=request.strategy,
                     steps=steps, dispensing=fills, findings=findings, notes=tuple(notes),
                     parameters=parameters)
