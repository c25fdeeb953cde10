"""Individual and population simulation of a regimen: series, summaries, percentiles.

:func:`simulate` runs the typical individual (the subject's covariates, no random effects)
and, with ``population=N``, N virtual subjects with log-normal random effects, streamed in
chunks of subjects: a chunk's concentration series lives in one reused buffer and only its
per-subject summaries are kept, so memory stays bounded whatever N is.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from benzoplan.errors import InputError
from benzoplan.pk.effect import EffectParams, effect_curve, effect_params, occupancy_curve
from benzoplan.pk.engine import (
    BlockPlan,
    dose_states,
    evaluate_general,
    state_general,
    uniform_step,
)
from benzoplan.pk.model import (
    ExpSum,
    ModelSpec,
    model_spec,
    sample_parameters,
    unit_response,
)
from benzoplan.pk.regimen import Regimen, parse_clock
from benzoplan.pk.subject import Subject
from benzoplan.units import quantity_json

__all__ = ["Band", "SimulationResult", "Summary", "simulate"]

Array = npt.NDArray[np.float64]
_NICE_STEPS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0)
_MAX_POINTS = 20000
_BAND_POINTS = 2000
_FALL_TO = 0.03  # run on until every species is below 3% of its peak
_BEDTIME = (18.0, 3.0)  # a dose between 18:00 and 03:00 is a bedtime dose
_FINE_STEP = 0.05  # h, local grid for the evening peak
_SERIES_ROWS = 128  # subjects per concentration buffer (float32, stays in cache)


@dataclass(frozen=True)
class Summary:
    """Summary of the primary drug's plasma concentration and the total occupancy.

    Concentrations in ng/mL, times in hours, occupancy and effect in percent; fields that do
    not apply (a trough with a single dose; a residual without a bedtime dose) are None."""

    cmax: float
    tmax: float
    half_life: float
    trough: float | None
    cavg_steady_state: float
    time_to_90pct_steady_state: float
    accumulation_ratio: float | None
    next_morning_residual_fraction: float | None
    occupancy_peak: float
    occupancy_trough: float | None
    occupancy_steady_state: float
    effect_steady_state: float

    _UNITS: ClassVar[dict[str, str]] = {
        "cmax": "ng/mL", "tmax": "h", "half_life": "h", "trough": "ng/mL",
        "cavg_steady_state": "ng/mL", "time_to_90pct_steady_state": "h",
        "occupancy_peak": "%", "occupancy_trough": "%", "occupancy_steady_state": "%",
        "effect_steady_state": "%",
    }

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            unit = self._UNITS.get(f.name)
            if v is None or unit is None:
                out[f.name] = None if v is None else float(f"{v:.12g}")
            else:
                out[f.name] = quantity_json(v, unit)
        return out


@dataclass(frozen=True)
class Band:
    """Population percentiles of the primary drug's concentration over time (ng/mL)."""

    time_h: Array
    p5: Array
    p50: Array
    p95: Array
    subjects: int


@dataclass(frozen=True)
class SimulationResult:
    regimen: Regimen
    subject: Subject
    drug: str  # the primary drug (summaries are about it)
    models: Mapping[str, str]
    time_h: Array
    concentration: Mapping[str, Array]  # per species, typical individual, ng/mL
    occupancy: Array  # %, all species together
    summary: Summary
    population: int = 0
    seed: int | None = None
    percentiles: Mapping[str, Summary] | None = None
    band: Band | None = None
    params: Mapping[str, EffectParams] = field(default_factory=dict)
    adjustments: tuple[str, ...] = ()
    assumptions: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    def to_json(self, *, series: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "drug": self.drug,
            "models": dict(self.models),
            "subject": {
                "weight": quantity_json(self.subject.weight_kg, "kg"),
                "age": quantity_json(self.subject.age_years, "a"),
                "hepatic_impairment": self.subject.hepatic_impairment,
                "comedications": list(self.subject.comedications),
            },
            "regimen": self.regimen.to_json(),
            "summary": self.summary.to_json(),
        }
        if series:
            out["series"] = {
                "time": [float(f"{t:.6g}") for t in self.time_h],
                "time_unit": "h",
                "concentration": [float(f"{c:.6g}") for c in self.concentration[self.drug]],
                "concentration_unit": "ng/mL",
                "occupancy": [float(f"{o:.6g}") for o in self.occupancy],
                "occupancy_unit": "%",
                "species": {k: [float(f"{c:.6g}") for c in v]
                            for k, v in self.concentration.items() if k != self.drug},
            }
        if self.population:
            assert self.percentiles is not None
            out["population"] = {"subjects": self.population, "seed": self.seed}
            out["percentiles"] = {k: s.to_json() for k, s in self.percentiles.items()}
        out["adjustments"] = list(self.adjustments)
        out["assumptions"] = list(self.assumptions)
        out["sources"] = list(self.sources)
        return out


@dataclass(frozen=True)
class _Drug:
    name: str
    spec: ModelSpec
    times: Array
    amounts: Array


def _choose_step(span: float) -> float:
    for s in _NICE_STEPS:
        if span / s <= _MAX_POINTS:
            return s
    return math.ceil(span / _MAX_POINTS)


def _responses(d: _Drug, n: int, rng: np.random.Generator | None) -> dict[str, ExpSum]:
    return unit_response(sample_parameters(d.spec, n, rng))


def _end_time(drugs: list[_Drug]) -> float:
    """When every species of the typical individual has fallen below 3% of its peak."""
    last = max(float(d.times[-1]) for d in drugs)
    end = last
    for d in drugs:
        for r in _responses(d, 1, None).values():
            slowest = float(r.rate.min())
            horizon = last + 12 * math.log(2) / slowest + 24
            coarse = np.arange(0.0, horizon + 0.5, 0.5)
            c = evaluate_general(r, d.times, d.amounts, coarse)[0]
            peak = float(c.max())
            if peak <= 0:
                continue
            above = np.nonzero(c >= _FALL_TO * peak)[0]
            end = max(end, float(coarse[above[-1]]) + 0.5)
    return end


def _t90(r: ExpSum) -> Array:
    """Time for a constant-rate input to reach 90% of its steady state (per subject)."""
    w = r.coef / r.rate  # (S, M)
    total = w.sum(axis=1)
    lo = np.zeros(total.shape)
    hi = np.full(total.shape, 50.0 / r.rate.min(axis=1))
    for _ in range(50):
        mid = (lo + hi) / 2
        frac = 1 - (w * np.exp(-r.rate * mid[:, None])).sum(axis=1) / total
        below = frac < 0.9
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    return np.asarray((lo + hi) / 2)


def _daily_mg(d: _Drug) -> float:
    """The drug's total over the 24 h that end with its last dose."""
    window = d.times > d.times[-1] - 24 + 1e-9
    return float(d.amounts[window].sum())


def _interval(times: Array) -> float | None:
    if times.size < 2:
        return None
    return float(np.median(np.diff(times)))


def _bedtime_dose(regimen: Regimen, d: _Drug, end: float,
                  morning_h: float) -> tuple[float, float] | None:
    """(dose time, next morning time) of the last bedtime dose whose morning is simulated."""
    if regimen.clock_origin_h is None:
        return None
    lo, hi = _BEDTIME
    for t in d.times[::-1]:
        clock = (regimen.clock_origin_h + t) % 24
        if clock >= lo or clock < hi:
            wait = (morning_h - clock) % 24
            if t + wait <= end:
                return float(t), float(t + wait)
    return None


class _Eval:
    """One species for a set of subjects: series on the grid and values at any time."""

    def __init__(self, resp: ExpSum, d: _Drug, grid: Array, plan: BlockPlan | None) -> None:
        self.resp, self.drug, self.grid, self.plan = resp, d, grid, plan
        if plan is not None:
            self.design = plan.design(resp)
            self.weights = plan.weights(resp)
        else:
            self.states = dose_states(resp, d.times, d.amounts)

    def state(self, t: Array, *, strict: bool = False) -> Array:
        """Modal state (S, M) at each subject's time ``t[s]``."""
        if self.plan is not None:
            return self.plan.state_at(self.resp, self.design, t, strict=strict)
        return state_general(self.resp, self.drug.times, self.states, t, strict=strict)

    def at(self, t: Array, *, strict: bool = False) -> Array:
        return np.asarray((self.resp.coef * self.state(t, strict=strict)).sum(axis=1))

    def series(self, rows: slice, buf: npt.NDArray[np.floating[Any]] | None,
               ) -> npt.NDArray[np.floating[Any]]:
        """(S, ≥ grid size) concentrations, contiguous; columns past the grid are −inf.
        With a float32 buffer the block form runs in single precision (population runs)."""
        if self.plan is not None and buf is not None:
            design, weights = self.design[rows], self.weights[rows]
            if buf.dtype != design.dtype:
                design, weights = design.astype(buf.dtype), weights.astype(buf.dtype)
            return self.plan.fill(design, weights, buf[: design.shape[0]])
        part = ExpSum(self.resp.coef[rows], self.resp.rate[rows])
        return evaluate_general(part, self.drug.times, self.drug.amounts, self.grid)


def _evening_peak(ev: _Eval, dose_h: float, until_h: float, n: int) -> Array:
    """Each subject's highest concentration after the dose at ``dose_h`` and before
    ``until_h`` (no other dose in between): the state after the dose decays as a sum of
    exponentials, scanned coarsely and refined by golden-section search."""
    start = ev.state(np.full(n, dose_h))  # (S, M), the dose included
    a_, lam = ev.resp.coef, ev.resp.rate

    def conc(delta: Array) -> Array:
        return np.asarray((a_ * start * np.exp(-lam * delta[:, None])).sum(axis=1))

    span = until_h - dose_h
    scan = np.linspace(0.0, span, 49)
    vals = np.stack([conc(np.full(n, d)) for d in scan], axis=1)
    best = vals.argmax(axis=1)
    width = scan[1] - scan[0]
    lo = np.maximum(scan[best] - width, 0.0)
    hi = np.minimum(scan[best] + width, span)
    g = (math.sqrt(5) - 1) / 2
    c, d = hi - g * (hi - lo), lo + g * (hi - lo)
    fc, fd = conc(c), conc(d)
    for _ in range(40):
        left = fc >= fd
        hi = np.where(left, d, hi)
        lo = np.where(left, lo, c)
        new = np.where(left, hi - g * (hi - lo), lo + g * (hi - lo))
        fnew = conc(new)
        d, fd, c, fc = (np.where(left, c, new), np.where(left, fc, fnew),
                        np.where(left, new, d), np.where(left, fnew, fd))
    return np.asarray(np.maximum(vals.max(axis=1), np.maximum(fc, fd)))


def _analytic(
    drugs: list[_Drug],
    evals: list[dict[str, _Eval]],
    params: dict[str, EffectParams],
    regimen: Regimen,
    end: float,
    morning_h: float,
) -> dict[str, Array]:
    """Per-subject summary fields that do not need the series."""
    primary = drugs[0]
    ev = evals[0][primary.name]
    r = ev.resp
    n = r.coef.shape[0]
    out: dict[str, Array] = {
        "half_life": math.log(2) / r.rate.min(axis=1),
        "time_to_90pct_steady_state": _t90(r),
    }
    last = np.full(n, float(primary.times[-1]))
    trough_conc: dict[str, Array] = {}
    ss_conc: dict[str, Array] = {}
    for d, es in zip(drugs, evals, strict=True):
        daily = _daily_mg(d)
        for species, e in es.items():
            # a metabolite shared by two drugs (desmethyldiazepam) is one molecule: add up
            trough_conc[species] = trough_conc.get(species, 0.0) + e.at(last, strict=True)
            ss_conc[species] = ss_conc.get(species, 0.0) + e.resp.auc_per_mg() * daily / 24.0
    single = primary.times.size < 2
    nan = np.full(n, np.nan)
    out["trough"] = nan if single else trough_conc[primary.name]
    out["occupancy_trough"] = nan if single else occupancy_curve(trough_conc, params)
    out["cavg_steady_state"] = ss_conc[primary.name]
    out["occupancy_steady_state"] = occupancy_curve(ss_conc, params)
    out["effect_steady_state"] = effect_curve(ss_conc, params)
    tau = _interval(primary.times)
    if tau is None:
        out["accumulation_ratio"] = nan
    else:
        w = r.coef / r.rate
        out["accumulation_ratio"] = w.sum(axis=1) / (w * -np.expm1(-r.rate * tau)).sum(axis=1)
    bed = _bedtime_dose(regimen, primary, end, morning_h)
    if bed is None:
        out["next_morning_residual_fraction"] = nan
    else:
        later = primary.times[primary.times > bed[0]]
        until = min(bed[1], float(later[0])) if later.size else bed[1]
        peak = _evening_peak(ev, bed[0], until, n)
        out["next_morning_residual_fraction"] = ev.at(np.full(n, bed[1])) / peak
    return out


def _from_series(
    drugs: list[_Drug],
    params: dict[str, EffectParams],
    grid: Array,
    conc: Mapping[str, Array],
    multi: bool,
) -> dict[str, Array]:
    """Per-subject peak fields read on the grid."""
    c = conc[drugs[0].name]
    k = c.argmax(axis=1)
    cmax = np.take_along_axis(c, k[:, None], axis=1)[:, 0]
    if multi:
        width = min(v.shape[1] for v in conc.values())
        same = {sp: v[:, :width] for sp, v in conc.items()}
        occ = occupancy_curve(same, params).max(axis=1)
    else:
        occ = occupancy_curve({drugs[0].name: cmax}, params)
    return {"cmax": cmax, "tmax": grid[k], "occupancy_peak": occ}


def _summary_of(values: Mapping[str, Array], i: int | None = None,
                q: float | None = None) -> Summary:
    kw: dict[str, float | None] = {}
    for f in fields(Summary):
        a = values[f.name]
        v = float(a[i]) if i is not None else float(np.percentile(a, q)) if q is not None else 0.0
        kw[f.name] = None if math.isnan(v) else v
    return Summary(**kw)  # type: ignore[arg-type]


def simulate(
    regimen: Regimen,
    *,
    subject: Subject | None = None,
    models: Mapping[str, str] | None = None,
    population: int = 0,
    seed: int = 0,
    step_h: float | None = None,
    until_h: float | None = None,
    grid: Array | None = None,
    morning: str = "08:00",
    chunk_size: int = 1024,
    band_subjects: int = 500,
    workers: int = 2,
    progress: Callable[[int, int], None] | None = None,
) -> SimulationResult:
    """Simulate ``regimen`` for the typical individual and optionally a population.

    The grid is ``grid`` if given (any sorted times, h), else evenly spaced by ``step_h``
    (chosen from the span when None) up to ``until_h`` or until every species has fallen
    below 3% of its peak. ``models`` names a PK model per drug (default model otherwise).
    ``progress(done, total)`` is called after each population chunk.
    """
    if not isinstance(regimen, Regimen):
        raise InputError("simulate needs a Regimen", field="regimen")
    subject = subject or Subject()
    models = dict(models or {})
    if isinstance(population, bool) or not isinstance(population, int) or population < 0:
        raise InputError(f"population must be a whole number ≥ 0, got {population!r}",
                         field="population")
    if chunk_size < 1:
        raise InputError("chunk_size must be ≥ 1", field="chunk_size")
    morning_h = parse_clock(morning)
    drugs: list[_Drug] = []
    for name in regimen.drugs:
        spec = model_spec(name, subject, models.get(name))
        t, a = regimen.arrays(name)
        drugs.append(_Drug(name, spec, t, a))
    unknown = set(models) - {d.name for d in drugs}
    if unknown:
        raise InputError(f"models given for drugs not in the regimen: {sorted(unknown)}",
                         field="models")
    grid = _grid(drugs, grid, step_h, until_h)
    # doses after the simulated window change nothing inside it: summaries use the window's
    drugs = [_Drug(d.name, d.spec, d.times[keep], d.amounts[keep]) for d in drugs
             if (keep := d.times <= grid[-1]).any()]
    params: dict[str, EffectParams] = {}
    for d in drugs:
        ep = effect_params(d.name)
        for s in d.spec.species:
            params.setdefault(s.name, ep)
    # the typical individual
    step = uniform_step(grid)
    plans = [BlockPlan.build(d.times, d.amounts, grid.size, step) if step is not None else None
             for d in drugs]
    evals = [{sp: _Eval(r, d, grid, plan) for sp, r in _responses(d, 1, None).items()}
             for d, plan in zip(drugs, plans, strict=True)]
    conc: dict[str, Array] = {}
    for es, plan in zip(evals, plans, strict=True):
        for species, e in es.items():
            buf = None if plan is None else np.empty((1, plan.n_blocks, plan.block))
            c = np.array(e.series(slice(0, 1), buf)[0, : grid.size], dtype=float)
            conc[species] = conc[species] + c if species in conc else c
    occupancy = occupancy_curve(conc, params)
    values = _analytic(drugs, evals, params, regimen, float(grid[-1]), morning_h)
    values.update(_from_series(drugs, params, grid, {k: v[None] for k, v in conc.items()},
                               multi=True))
    values = _refine_peak(values, evals[0][drugs[0].name], grid)
    if len(conc) == 1:
        values["occupancy_peak"] = occupancy_curve({drugs[0].name: values["cmax"]}, params)
    summary = _summary_of(values, i=0)
    assumptions = list(dict.fromkeys(a for d in drugs for a in (
        *d.spec.assumptions, *params[d.name].assumptions)))
    sources = list(dict.fromkeys(s for d in drugs for s in (
        *d.spec.sources, *params[d.name].sources)))
    percentiles = band = None
    if population:
        pop, band = _population(drugs, plans, params, regimen, grid, population, seed,
                                chunk_size, band_subjects, workers, morning_h, progress)
        percentiles = {f"p{q}": _summary_of(pop, q=q) for q in (5, 50, 95)}
        assumptions.append("Population: log-normal inter-individual variability on the "
                           "parameters listed with a CV in each model; percentiles of "
                           "peak-related fields are read on the simulation grid.")
    return SimulationResult(
        regimen=regimen, subject=subject, drug=drugs[0].name,
        models={d.name: d.spec.model for d in drugs}, time_h=grid, concentration=conc,
        occupancy=occupancy, summary=summary, population=population,
        seed=seed if population else None, percentiles=percentiles, band=band,
        params={d.name: params[d.name] for d in drugs},
        adjustments=tuple(dict.fromkeys(a for d in drugs for a in d.spec.adjustments)),
        assumptions=tuple(assumptions),
        sources=tuple(sources),
    )


def _grid(drugs: list[_Drug], grid: Array | None, step_h: float | None,
          until_h: float | None) -> Array:
    if grid is not None:
        g = np.asarray(grid, dtype=float)
        if g.ndim != 1 or g.size == 0 or not np.all(np.isfinite(g)) or np.any(np.diff(g) < 0):
            raise InputError("grid must be a non-empty sorted list of finite times (h)",
                             field="grid")
        if g[0] < 0:
            raise InputError("grid times must not be negative", field="grid")
        return g
    if until_h is not None:
        if not (isinstance(until_h, int | float) and math.isfinite(until_h) and until_h > 0):
            raise InputError(f"until must be a positive number of hours, got {until_h!r}",
                             field="until")
        end = float(until_h)
    else:
        end = _end_time(drugs)
    if step_h is None:
        step_h = _choose_step(end)
    if not (isinstance(step_h, int | float) and math.isfinite(step_h) and step_h > 0):
        raise InputError(f"step must be a positive number of hours, got {step_h!r}",
                         field="step")
    n = math.floor(end / step_h + 1e-9) + 1
    return np.asarray(np.arange(n) * float(step_h), dtype=float)


def _refine_peak(values: dict[str, Array], ev: _Eval, grid: Array) -> dict[str, Array]:
    """The individual's exact peak near the grid maximum (golden-section search)."""
    k = int(np.searchsorted(grid, values["tmax"][0]))
    lo, hi = float(grid[max(k - 1, 0)]), float(grid[min(k + 1, grid.size - 1)])
    if hi <= lo:
        return values
    g = (math.sqrt(5) - 1) / 2
    a, b = lo, hi
    for _ in range(60):
        c, d = b - g * (b - a), a + g * (b - a)
        if ev.at(np.array([c]))[0] >= ev.at(np.array([d]))[0]:
            b = d
        else:
            a = c
    t = (a + b) / 2
    c_t = float(ev.at(np.array([t]))[0])
    if c_t > values["cmax"][0]:
        values = {**values, "cmax": np.array([c_t]), "tmax": np.array([t])}
    return values


def _population(
    drugs: list[_Drug],
    plans: list[BlockPlan | None],
    params: dict[str, EffectParams],
    regimen: Regimen,
    grid: Array,
    n: int,
    seed: int,
    chunk: int,
    band_subjects: int,
    workers: int,
    morning_h: float,
    progress: Callable[[int, int], None] | None,
) -> tuple[dict[str, Array], Band]:
    """Summaries of ``n`` subjects, streamed in chunks: each worker owns one output buffer
    per drug and reuses it, so memory does not grow with ``n``. Random effects are drawn
    chunk by chunk in subject order, so results do not depend on the number of workers."""
    rngs = [np.random.default_rng([seed, i]) for i in range(len(drugs))]
    multi = len(drugs) > 1 or len(drugs[0].spec.species) > 1
    stride = max(1, grid.size // _BAND_POINTS)
    n_workers = max(1, workers)
    sub = min(chunk, _SERIES_ROWS)
    buffers = [
        {i: np.empty((sub, p.n_blocks, p.block), dtype=np.float32)
         for i, p in enumerate(plans) if p is not None}
        for _ in range(n_workers)
    ]
    end = float(grid[-1])

    def run(job: tuple[int, int, list[dict[str, ExpSum]]]) -> tuple[dict[str, Array], Array]:
        slot, first, resp = job
        evals = [{sp: _Eval(r, d, grid, plan) for sp, r in rs.items()}
                 for d, plan, rs in zip(drugs, plans, resp, strict=True)]
        vals = _analytic(drugs, evals, params, regimen, end, morning_h)
        m = resp[0][drugs[0].name].coef.shape[0]
        peaks: list[dict[str, Array]] = []
        thin: list[Array] = []
        for r0 in range(0, m, sub):
            rows = slice(r0, min(r0 + sub, m))
            conc: dict[str, Any] = {}
            for i, es in enumerate(evals):
                for sp, e in es.items():
                    c = e.series(rows, buffers[slot].get(i))
                    if sp in conc:  # a metabolite shared by two drugs
                        width = min(c.shape[1], conc[sp].shape[1])
                        c = np.asarray(c[:, :width]) + conc[sp][:, :width]
                    conc[sp] = c
            peaks.append(_from_series(drugs, params, grid, conc, multi))
            head = conc[drugs[0].name][: max(0, band_subjects - first - r0)]
            thin.append(np.asarray(head[:, : grid.size : stride], dtype=float))
        vals.update({k: np.concatenate([p[k] for p in peaks]).astype(float) for k in peaks[0]})
        return vals, np.concatenate(thin)

    collected: dict[str, list[Array]] = {}
    band_rows: list[Array] = []
    done = 0
    starts = list(range(0, n, chunk))
    with ThreadPoolExecutor(max_workers=n_workers) as pool:
        for b0 in range(0, len(starts), n_workers):
            jobs = []
            for slot, first in enumerate(starts[b0:b0 + n_workers]):
                m = min(chunk, n - first)
                jobs.append((slot, first, [_responses(d, m, rng)
                                           for d, rng in zip(drugs, rngs, strict=True)]))
            for vals, thin in pool.map(run, jobs):
                for k, v in vals.items():
                    collected.setdefault(k, []).append(v)
                if thin.shape[0]:
                    band_rows.append(thin)
                done += vals["cmax"].shape[0]
            if progress is not None:
                progress(done, n)
    values = {k: np.concatenate(v) for k, v in collected.items()}
    rows = np.concatenate(band_rows)
    p5, p50, p95 = np.percentile(rows, [5, 50, 95], axis=0)
    return values, Band(grid[::stride], p5, p50, p95, rows.shape[0])
