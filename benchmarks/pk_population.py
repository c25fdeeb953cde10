"""Population PK benchmark: twice-daily clonazepam (1 mg at 08:00 and 20:00) for N subjects
over D days on an hourly grid, with percentile summaries; prints one JSON object.

Baselines, measured in the same run on a subsample and scaled per subject:
* ``solve_ivp``: the same model as ODEs, integrated dose to dose (LSODA, rtol 1e-8);
* naive numpy superposition: for every dose, the closed-form response over the grid;
* copy: copying an output-sized float64 array (subjects × grid points), in chunks the size
  of the simulator's, as the memory-bandwidth floor.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import numpy as np
from scipy.integrate import solve_ivp

from benzoplan.pk import Regimen, simulate
from benzoplan.pk.model import model_spec, sample_parameters, unit_response
from benzoplan.units import Dose

CHUNK = 1024


def _regimen(days: int) -> Regimen:
    return Regimen.daily("clonazepam", Dose("1 mg"), at=("08:00", "20:00"), days=days)


def _solve_ivp_per_subject(days: int, n: int) -> float:
    spec = model_spec("clonazepam")
    sample = sample_parameters(spec, n, np.random.default_rng(1))
    times, amounts = _regimen(days).arrays("clonazepam")
    grid = np.arange(days * 24 + 1, dtype=float)
    began = time.perf_counter()
    for i in range(n):
        ka, cl, v, f = (float(sample.values[k][i]) for k in ("ka", "cl", "v", "f"))

        def rhs(_t: float, x: np.ndarray, ka: float = ka, ke: float = cl / v) -> list[float]:
            return [-ka * x[0], ka * x[0] - ke * x[1]]

        x = np.zeros(2)
        out = np.zeros(grid.size)
        for j, t0 in enumerate(times):
            x = x.copy()
            x[0] += f * amounts[j]
            last = j + 1 == times.size
            t1 = float(grid[-1]) if last else float(times[j + 1])
            sel = (grid >= t0) & (grid < t1)
            sol = solve_ivp(rhs, (float(t0), t1), x, method="LSODA", rtol=1e-8, atol=1e-12,
                            t_eval=np.append(grid[sel], t1))
            out[sel] = sol.y[1][:-1] / v * 1000
            if last:
                out[-1] = sol.y[1][-1] / v * 1000
            x = sol.y[:, -1]
        out.max()
    return (time.perf_counter() - began) / n


def _numpy_superposition_per_subject(days: int, n: int) -> float:
    spec = model_spec("clonazepam")
    resp = unit_response(sample_parameters(spec, n, np.random.default_rng(2)))["clonazepam"]
    times, amounts = _regimen(days).arrays("clonazepam")
    grid = np.arange(days * 24 + 1, dtype=float)
    began = time.perf_counter()
    for i in range(n):
        out = np.zeros(grid.size)
        for t0, d in zip(times, amounts, strict=True):
            k = int(np.searchsorted(grid, t0))
            dt = grid[k:] - t0
            out[k:] += d * (resp.coef[i][:, None] * np.exp(-resp.rate[i][:, None] * dt)).sum(0)
        out.max()
    return (time.perf_counter() - began) / n


def _copy_seconds(subjects: int, points: int) -> float:
    src = np.random.default_rng(3).random((min(CHUNK, subjects), points))
    dst = np.empty_like(src)
    np.copyto(dst, src)  # touch the pages first
    began = time.perf_counter()
    done = 0
    while done < subjects:
        m = min(CHUNK, subjects - done)
        np.copyto(dst[:m], src[:m])
        done += m
    return time.perf_counter() - began


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--subjects", type=int, default=10000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--ivp-subjects", type=int, default=2)
    ap.add_argument("--numpy-subjects", type=int, default=10)
    ap.add_argument("--json", action="store_true", help="print JSON (the only output format)")
    args = ap.parse_args()
    regimen = _regimen(args.days)
    hours = args.days * 24
    simulate(_regimen(2), population=64, step_h=1.0)  # warm caches (data loading)
    began, cpu = time.perf_counter(), time.process_time()
    res = simulate(regimen, population=args.subjects, step_h=1.0, until_h=float(hours),
                   chunk_size=CHUNK, workers=args.workers)
    seconds = time.perf_counter() - began
    cpu_seconds = time.process_time() - cpu
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ivp = _solve_ivp_per_subject(args.days, args.ivp_subjects) * args.subjects
    naive = _numpy_superposition_per_subject(args.days, args.numpy_subjects) * args.subjects
    copy = _copy_seconds(args.subjects, res.time_h.size)
    assert res.percentiles is not None
    out = {
        "seconds": round(seconds, 4),
        "subject_hours_per_second": round(args.subjects * hours / seconds),
        "peak_rss_mb": round(peak_rss_mb, 1),
        "speedup_vs_solve_ivp": round(ivp / seconds, 1),
        "speedup_vs_numpy_superposition": round(naive / seconds, 1),
        "copy_time_ratio": round(seconds / copy, 2),
        "subjects": args.subjects,
        "days": args.days,
        "grid_points": int(res.time_h.size),
        "workers": args.workers,
        "cpu_seconds": round(cpu_seconds, 4),
        "baseline_seconds_scaled": {"solve_ivp": round(ivp, 2),
                                    "numpy_superposition": round(naive, 2),
                                    "copy": round(copy, 4)},
        "p50_cmax_ng_per_ml": round(res.percentiles["p50"].cmax, 4),
        "p50_next_morning_residual_fraction": res.percentiles["p50"].next_morning_residual_fraction,
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
