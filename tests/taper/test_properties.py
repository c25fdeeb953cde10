"""Properties every plan keeps, over random regimens and settings (Hypothesis)."""

import datetime as dt
import itertools
from collections import defaultdict
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from benzoplan.taper import (
    ProductOptions,
    ScheduledDose,
    StepLimit,
    TaperPlan,
    TaperRequest,
    plan_taper,
)
from benzoplan.taper._dispense import daily_use
from benzoplan.taper._planner import FORCED
from benzoplan.taper._products import ProductSet
from benzoplan.units import Concentration, Dose, Volume

TIMES = [dt.time(8), dt.time(13), dt.time(18), dt.time(22)]


@st.composite
def requests(draw: st.DrawFn) -> TaperRequest:
    drug = draw(st.sampled_from(["clonazepam", "diazepam"]))
    market = draw(st.sampled_from(["US", "UK"]))
    quarters = draw(st.booleans())
    odt = draw(st.booleans())
    liquid = draw(st.sampled_from([None, ("0.1 mg/mL", "0.1 mL"), ("0.4 mg/mL", "0.5 mL")]))
    opts = ProductOptions(
        quarters=quarters, odt=odt,
        liquid=Concentration(liquid[0]) if liquid else None,
        measure=Volume(liquid[1]) if liquid else None)
    ps = ProductSet.build(drug, market, opts)
    n = draw(st.integers(1, 3))
    times = sorted(draw(st.lists(st.sampled_from(TIMES), min_size=n, max_size=n, unique=True)))
    cap = 3000 if drug == "clonazepam" else 20000  # micrograms per dose
    givable = [k for k in range(1, int(Fraction(cap, 1000) / ps.quantum) + 1)
               if ps.givable(k)]
    doses = [ps.mg(draw(st.sampled_from(givable))) for _ in times]
    strategy = draw(st.sampled_from(["fixed-fraction", "linear", "crossover", "hyperbolic"]))
    if strategy == "linear" or (strategy == "crossover" and draw(st.booleans())):
        amount = draw(st.sampled_from(["0.125 mg", "0.25 mg", "0.5 mg", "1 mg", "2 mg"]))
        limit = StepLimit.parse(amount)
        then = "linear"
    else:
        limit = StepLimit(fraction=Fraction(draw(st.integers(5, 50)), 100))
        then = draw(st.sampled_from(["fixed-fraction", "hyperbolic"]))
    return TaperRequest(
        drug=drug,
        doses=tuple(ScheduledDose(t, Dose(float(d), "mg")) for t, d in zip(times, doses,
                                                                             strict=True)),
        start=dt.date(2026, 1, 1) + dt.timedelta(days=draw(st.integers(0, 400))),
        strategy=strategy,  # type: ignore[arg-type]
        then=then,  # type: ignore[arg-type]
        to="clonazepam" if drug == "diazepam" else "diazepam",
        interval_days=draw(st.sampled_from([3, 7, 14, 28])),
        max_step=limit, market=market, products=opts, target_products=opts,
        years_of_use=draw(st.floats(0, 20)),
        dose_order=draw(st.sampled_from([None, "balanced", "night-last"])),
    )


def _check_plan(plan: TaperPlan, crossover_days: frozenset[dt.date] = frozenset()) -> None:
    """``crossover_days``: days a crossover stage covered before a revision; a hold that
    repeats such a stage keeps the stage's exemption from the never-rise rule."""
    req = plan.request
    steps = plan.steps
    # ends at zero, with a stop step
    assert steps[-1].kind == "stop" and steps[-1].daily_total_mg == 0
    assert not steps[-1].administrations
    # dates are contiguous
    for a, b in itertools.pairwise(steps):
        assert b.start == a.start + dt.timedelta(days=a.days)
    sets = {}
    for s in steps:
        for a in s.administrations:
            if a.drug not in sets:
                opts = req.products if a.drug == plan.drug else req.target_products
                sets[a.drug] = ProductSet.build(a.drug, req.market, opts)
    prev_de = None
    prev_total = None
    prev_drug = None
    for s in steps:
        # every dose is givable with the allowed products, and sums to the step's totals
        per: dict[tuple[str, dt.time], Fraction] = defaultdict(Fraction)
        for a in s.administrations:
            per[(a.drug, a.time)] += a.dose_mg
            if a.volume_ml is not None:
                assert a.product.liquid and a.dose_mg == a.product.strength * a.volume_ml
            else:
                assert a.count is not None and a.dose_mg == a.product.strength * a.count
        for (drug, _t), mg in per.items():
            ps = sets[drug]
            k = ps.units(mg)
            assert k is not None and ps.givable(k)
        for drug, total in s.totals:
            assert total == sum((v for (d, _), v in per.items() if d == drug), Fraction(0))
        # doses never rise (a crossover stage may round the new drug up, never down)
        if prev_total is not None and s.kind != "crossover" and s.start not in crossover_days:
            if s.drug == prev_drug:
                assert s.daily_total_mg <= prev_total
            assert s.diazepam_equivalent_mg <= prev_de
        # no step exceeds the limit, except the final stop from the smallest givable dose
        # or a step the products force (no givable dose within the limit)
        if prev_total is not None and s.kind == "taper" and s.drug == prev_drug:
            forced = s.deviation is not None and s.deviation.startswith(FORCED)
            lim = req.max_step
            if lim.fraction is not None:
                ok = s.daily_total_mg >= prev_total * (1 - lim.fraction)
            else:
                assert lim.amount is not None
                ok = prev_total - s.daily_total_mg <= Fraction(format(lim.amount.mg, ".12g"))
            assert ok or forced
        if s.kind == "stop" and prev_total is not None:
            ps = sets[prev_drug]  # type: ignore[index]
            smallest = ps.mg(ps.smallest)
            lim = req.max_step
            within = (lim.amount is not None and
                      prev_total <= Fraction(format(lim.amount.mg, ".12g")))
            assert prev_total == smallest or within
        prev_de, prev_total, prev_drug = s.diazepam_equivalent_mg, s.daily_total_mg, s.drug
    # dispensing covers the schedule exactly
    used: dict[object, Fraction] = defaultdict(Fraction)
    for s in steps:
        for p, q in daily_use(s).items():
            used[p] += q * s.days
    listed: dict[object, Fraction] = defaultdict(Fraction)
    handed: dict[object, Fraction] = defaultdict(Fraction)
    for f in plan.dispensing:
        for item in f.items:
            listed[item.product] += item.quantity
            handed[item.product] += item.dispense
    assert dict(used) == dict(listed)
    for p, q in used.items():
        assert handed[p] >= q and handed[p] - q < 1
    if plan.dispensing:
        assert plan.dispensing[0].start == plan.start
        assert plan.dispensing[-1].end == plan.end - dt.timedelta(days=1)


@settings(max_examples=60, deadline=None)
@given(requests())
def test_plan_invariants(req: TaperRequest) -> None:
    plan = plan_taper(req)
    _check_plan(plan)
    # same input, same plan; and the JSON form reads back to the same plan
    assert plan_taper(req) == plan
    assert TaperPlan.from_json(plan.to_json()) == plan


@settings(max_examples=25, deadline=None)
@given(requests(), st.integers(0, 60), st.sampled_from(["hold", "slow"]),
       st.integers(1, 30), st.sampled_from([1.5, 2.0, 3.0]))
def test_revisions_keep_invariants(req: TaperRequest, offset: int, kind: str, days: int,
                                   factor: float) -> None:
    plan = plan_taper(req)
    eff = plan.start + dt.timedelta(days=offset)
    if eff >= plan.end:
        return
    new = plan.revise(kind, effective=eff, reason="withdrawal symptoms", author="dr x",  # type: ignore[arg-type]
                      days=days, factor=factor, at=dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
    assert new.version == plan.version + 1 and plan.version == 1 and not plan.revisions
    assert new.end > plan.end
    assert new.step_on(eff) is not None
    before = plan.step_on(eff - dt.timedelta(days=1))
    after = new.step_on(eff - dt.timedelta(days=1))
    assert (before is None and after is None) or (
        before is not None and after is not None
        and before.daily_total_mg == after.daily_total_mg)
    stages = frozenset(s.start + dt.timedelta(days=d) for s in plan.steps
                       if s.kind == "crossover" for d in range(s.days))
    _check_plan(new, stages)
    assert TaperPlan.from_json(new.to_json()) == new
