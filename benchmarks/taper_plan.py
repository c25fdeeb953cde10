"""Time benzoplan.taper.plan_taper: one hyperbolic taper with its PK overlay (occupancy and
effect per step from the PK engine, and the plan's dose events), then a batch of 1,000
plans over varied regimens. Prints JSON with ``median_ms`` and ``plans_per_second``.

Target: median under 50 ms for one plan with overlay.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import time
from fractions import Fraction

from benzoplan.taper import ScheduledDose, StepLimit, TaperRequest, plan_taper
from benzoplan.units import Dose

START = dt.date(2026, 12, 1)


def _request(i: int) -> TaperRequest:
    doses = ("0.5 mg", "0.75 mg", "1 mg", "1.5 mg", "2 mg")
    strategies = ("hyperbolic", "fixed-fraction", "linear", "crossover")
    amount = Dose(doses[i % len(doses)])
    times = (dt.time(8), dt.time(20)) if i % 3 else (dt.time(8), dt.time(14), dt.time(22))
    strategy = strategies[i % len(strategies)]
    limit = StepLimit.parse("0.25 mg") if strategy == "linear" else StepLimit(
        fraction=Fraction(5 + i % 21, 100))
    return TaperRequest(drug="clonazepam", doses=tuple(ScheduledDose(t, amount) for t in times),
                        start=START + dt.timedelta(days=i % 30), strategy=strategy,  # type: ignore[arg-type]
                        interval_days=(7, 14, 28)[i % 3], max_step=limit,
                        years_of_use=1 + i % 10, market="US" if i % 2 else "UK")


def _one() -> float:
    req = TaperRequest(
        drug="clonazepam", doses=(ScheduledDose(dt.time(8), Dose("1 mg")),
                                  ScheduledDose(dt.time(20), Dose("1 mg"))),
        start=START, strategy="hyperbolic", interval_days=14,
        max_step=StepLimit(fraction=Fraction(1, 10)), years_of_use=3)
    t0 = time.perf_counter()
    plan = plan_taper(req)
    plan.to_events()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true", help="print JSON (the default)")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    _one()  # warm caches (drug data, PK parameters)
    runs = [_one() for _ in range(args.runs)]
    requests = [_request(i) for i in range(args.batch)]
    t0 = time.perf_counter()
    steps = 0
    for r in requests:
        steps += len(plan_taper(r).steps)
    batch_s = time.perf_counter() - t0
    median_ms = statistics.median(runs) * 1000
    print(json.dumps({
        "benchmark": "taper.plan_taper",
        "median_ms": round(median_ms, 3),
        "best_ms": round(min(runs) * 1000, 3),
        "runs": len(runs),
        "target_ms": 50,
        "meets_target": median_ms < 50,
        "batch": args.batch,
        "batch_s": round(batch_s, 3),
        "plans_per_second": round(args.batch / batch_s, 1),
        "mean_steps": round(steps / args.batch, 1),
    }))


if __name__ == "__main__":
    main()
