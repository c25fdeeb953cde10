"""Validation of the exact PK engine: against a numerical ODE solution (scipy solve_ivp at
tight tolerances), superposition, mass balance, the textbook steady-state formula, and
published single-dose clonazepam figures."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from benzoplan.pk import DoseEvent, Regimen
from benzoplan.pk.engine import evaluate, evaluate_general
from benzoplan.pk.model import ModelSpec, ParameterSample, unit_response
from benzoplan.pk.simulate import simulate
from benzoplan.units import Dose


def _spec(kind: str, typical: dict[str, float],
          metabolites: tuple[tuple[float, float, float], ...] = ()) -> ModelSpec:
    # a chain: m0 from the parent, m1 from m0, ... (fm, CL L/h, V L)
    mets = tuple((f"m{i}", fm, cl, v, 1.0, None if i == 0 else f"m{i - 1}")
                 for i, (fm, cl, v) in enumerate(metabolites))
    return ModelSpec(drug="clonazepam", model="test", kind=kind, apparent=False,
                     typical=typical, iiv_cv={}, metabolites=mets, assumptions=(), sources=())


def _ode(spec: ModelSpec, times: np.ndarray, amounts: np.ndarray,
         grid: np.ndarray) -> dict[str, np.ndarray]:
    """The same model written as ODEs in amounts (mg), integrated dose to dose."""
    p = spec.typical
    two = spec.kind == "two-compartment"
    vc = p["vc"] if two else p["v"]
    k10 = p["cl"] / vc
    k12 = p["q"] / vc if two else 0.0
    k21 = p["q"] / p["vp"] if two else 0.0
    mets = spec.metabolite_specs

    def rhs(_t: float, x: np.ndarray) -> list[float]:
        depot, central, periph = x[:3]
        out = [-p["ka"] * depot,
               p["ka"] * depot - (k10 + k12) * central + k21 * periph,
               k12 * central - k21 * periph]
        source_flux = k10 * central
        for i, m in enumerate(mets):
            out.append(m.fm * source_flux - m.cl / m.v * x[3 + i])
            source_flux = m.cl / m.v * x[3 + i]
        return out

    x = np.zeros(3 + len(mets))
    res = {"parent": np.zeros(grid.size), **{m.name: np.zeros(grid.size) for m in mets}}
    last = float(grid[-1])
    for i, t0 in enumerate(times):
        x = x.copy()
        x[0] += p["f"] * amounts[i]
        t1 = float(times[i + 1]) if i + 1 < times.size else max(last, float(t0))
        idx = np.nonzero((grid >= t0) & ((grid < t1) if i + 1 < times.size else True))[0]
        if t1 > t0:
            sol = solve_ivp(rhs, (float(t0), t1), x, method="LSODA", rtol=1e-12, atol=1e-16,
                            dense_output=True)
            states = sol.sol(grid[idx]) if idx.size else None
            x = sol.y[:, -1]
        else:
            states = np.repeat(x[:, None], idx.size, axis=1) if idx.size else None
        if states is not None:
            res["parent"][idx] = states[1] / vc * 1000
            for i, m in enumerate(mets):
                res[m.name][idx] = states[3 + i] / m.v * 1000
    return res


positive = st.floats(min_value=0.0, allow_nan=False, allow_infinity=False)
models = st.sampled_from(["one", "two", "one+metabolite", "two+chain"])


@st.composite
def cases(draw: st.DrawFn) -> tuple[ModelSpec, np.ndarray, np.ndarray, np.ndarray]:
    kind = draw(models)
    ka = draw(st.floats(0.2, 6.0))
    cl = draw(st.floats(0.5, 10.0))
    f = draw(st.floats(0.3, 1.0))
    met = st.tuples(st.floats(0.1, 1.0), st.floats(0.2, 5.0), st.floats(20, 300))
    if kind.startswith("two"):
        typical = {"ka": ka, "cl": cl, "vc": draw(st.floats(20, 200)),
                   "q": draw(st.floats(1, 80)), "vp": draw(st.floats(20, 300)), "f": f}
        chain = tuple(draw(st.lists(met, min_size=2, max_size=3))) if "chain" in kind else ()
        spec = _spec("two-compartment", typical, chain)
    else:
        typical = {"ka": ka, "cl": cl, "v": draw(st.floats(20, 300)), "f": f}
        spec = _spec("one-compartment", typical,
                     (draw(met),) if kind == "one+metabolite" else ())
    # the closed form is exact for distinct rate constants; coincident rates are tested apart
    rates = [ka]
    if spec.kind == "two-compartment":
        t = spec.typical
        k10, k12, k21 = t["cl"] / t["vc"], t["q"] / t["vc"], t["q"] / t["vp"]
        disc = math.sqrt((k10 + k12 + k21) ** 2 - 4 * k10 * k21)
        rates += [(k10 + k12 + k21 + disc) / 2, (k10 + k12 + k21 - disc) / 2]
    else:
        rates.append(cl / spec.typical["v"])
    rates += [m.cl / m.v for m in spec.metabolite_specs]
    rates.sort()
    assume(all(b / a > 1 + 1e-3 for a, b in itertools.pairwise(rates)))
    n = draw(st.integers(1, 8))
    gaps = draw(st.lists(st.floats(0.3, 30.0), min_size=n, max_size=n))
    times = np.cumsum([0.0, *gaps[:-1]])
    amounts = np.array(draw(st.lists(st.floats(0.05, 5.0), min_size=n, max_size=n)))
    horizon = float(times[-1]) + draw(st.floats(5, 120))
    if draw(st.booleans()):
        step = draw(st.sampled_from([0.25, 0.5, 1.0, 2.0]))
        grid = np.arange(0.0, horizon, step)
    else:
        grid = np.sort(np.array(draw(st.lists(st.floats(0, horizon), min_size=2, max_size=60))))
    return spec, times, amounts, grid


def _engine(spec: ModelSpec, times: np.ndarray, amounts: np.ndarray,
            grid: np.ndarray) -> dict[str, np.ndarray]:
    sample = ParameterSample(spec, {k: np.array([v]) for k, v in spec.typical.items()})
    resp = unit_response(sample)
    return {("parent" if k == spec.drug else k): evaluate(r, times, amounts, grid)[0]
            for k, r in resp.items()}


@settings(max_examples=40, deadline=None)
@given(cases())
def test_exact_solution_matches_solve_ivp(case: tuple) -> None:
    spec, times, amounts, grid = case
    exact = _engine(spec, times, amounts, grid)
    ode = _ode(spec, times, amounts, grid)
    p = spec.typical
    scale = p["f"] * float(amounts.sum()) * 1000 / p.get("v", p.get("vc", 1.0))
    for key, c in exact.items():
        ref = ode[key]
        peak = max(float(np.abs(ref).max()), scale)
        # relative error below 1e-6 wherever the level is not negligible against its peak
        assert np.all(np.abs(c - ref) <= 1e-6 * np.abs(ref) + 1e-9 * peak), key


@given(cases())
def test_superposition_of_single_doses(case: tuple) -> None:
    spec, times, amounts, grid = case
    together = _engine(spec, times, amounts, grid)
    apart = [_engine(spec, times[i:i + 1], amounts[i:i + 1], grid) for i in range(times.size)]
    for key, c in together.items():
        total = sum(a[key] for a in apart)
        assert np.allclose(c, total, rtol=1e-9, atol=1e-12 * max(1.0, float(np.abs(c).max())))


@given(cases())
def test_blocked_and_general_forms_agree(case: tuple) -> None:
    spec, times, amounts, grid = case
    sample = ParameterSample(spec, {k: np.array([v]) for k, v in spec.typical.items()})
    for r in unit_response(sample).values():
        a = evaluate(r, times, amounts, grid)
        b = evaluate_general(r, times, amounts, grid)
        # two float evaluations of sums of exponentials: near-zero levels (just after a dose,
        # far down a chain) differ by rounding, so the absolute floor scales with the peak
        assert np.allclose(a, b, rtol=1e-10, atol=1e-11 * max(1.0, float(np.abs(b).max())))


@given(cases())
def test_mass_balance(case: tuple) -> None:
    # everything absorbed is eliminated: CL · AUC(0, ∞) = F · dose, for the parent and
    # fm · F · dose for the metabolite (exactly, from the closed form)
    spec, _times, _amounts, _grid = case
    sample = ParameterSample(spec, {k: np.array([v]) for k, v in spec.typical.items()})
    resp = unit_response(sample)
    p = spec.typical
    parent = resp[spec.drug].auc_per_mg()[0] / 1000 * p["cl"]
    assert parent == pytest.approx(p["f"], rel=1e-9)
    formed = p["f"]
    for m in spec.metabolite_specs:
        formed *= m.fm  # a chain: each step passes on its fraction
        assert resp[m.name].auc_per_mg()[0] / 1000 * m.cl == pytest.approx(formed, rel=1e-9)


@pytest.mark.parametrize("chain", [(), ((1.0, 1.0, 20.0),), ((1.0, 1.0, 20.0), (1.0, 1.0, 20.0))])
def test_coincident_rate_constants_stay_close_to_the_ode(chain: tuple) -> None:
    # ka = CL/V = metabolite rates = 0.05/h (up to four equal): separated by 1e-4 relative
    spec = _spec("one-compartment", {"ka": 0.05, "cl": 1.0, "v": 20.0, "f": 1.0}, chain)
    grid = np.arange(0.0, 200.0, 1.0)
    times, amounts = np.array([0.0, 24.0]), np.array([1.0, 2.0])
    exact, ode = _engine(spec, times, amounts, grid), _ode(spec, times, amounts, grid)
    for key, c in exact.items():
        peak = float(ode[key].max())
        assert np.all(np.abs(c - ode[key]) <= 1e-3 * peak), key


def test_mass_balance_numerically_on_the_grid() -> None:
    spec = _spec("two-compartment",
                 {"ka": 1.106, "cl": 2.98, "vc": 109.5, "q": 61.37, "vp": 130.6, "f": 1.0})
    grid = np.arange(0, 2000, 0.05)
    c = _engine(spec, np.array([0.0]), np.array([2.0]), grid)["parent"]
    auc = float(np.sum((c[1:] + c[:-1]) / 2 * np.diff(grid)))  # ng·h/mL
    assert auc / 1000 * 2.98 == pytest.approx(2.0, rel=1e-4)


@pytest.mark.parametrize("tau", [12.0, 24.0])
def test_steady_state_matches_textbook_formula(tau: float) -> None:
    # one compartment, first-order absorption, dose D every τ (e.g. Gibaldi & Perrier):
    # Css(t) = F·D·ka / (V·(ka − ke)) · [e^{−ke t}/(1 − e^{−ke τ}) − e^{−ka t}/(1 − e^{−ka τ})]
    d = 1.0
    r = Regimen.repeat("clonazepam", Dose(d, "mg"), interval_h=tau, additional=int(90 * 24 / tau))
    res = simulate(r, until_h=r.last_dose_h, step_h=0.5)
    f, v, ka = 0.9, 210.0, 1.733
    ke = math.log(2) / 35
    t = np.arange(0, tau, 0.5)
    css = f * d * ka / (v * (ka - ke)) * (np.exp(-ke * t) / (1 - math.exp(-ke * tau))
                                          - np.exp(-ka * t) / (1 - math.exp(-ka * tau))) * 1000
    start = int((r.last_dose_h - tau) / 0.5)
    got = res.concentration["clonazepam"][start:start + t.size]
    assert np.allclose(got, css, rtol=1e-9)
    # accumulation ratio AUC(τ, steady state) / AUC(τ, first dose)
    expected = (1 / ke - 1 / ka) / ((1 - math.exp(-ke * tau)) / ke - (1 - math.exp(-ka * tau)) / ka)
    assert res.summary.accumulation_ratio == pytest.approx(expected, rel=1e-9)
    assert res.summary.trough == pytest.approx(css[0], rel=1e-9)
    assert res.summary.cavg_steady_state == pytest.approx(
        f * d * 24 / tau / (ke * v) / 24 * 1000, rel=1e-9)


@pytest.mark.parametrize("model,half_life", [
    ("label-one-compartment", (30.0, 40.0)),  # FDA clonazepam label: 30–40 h
    ("kruizinga-2022", (19.0, 60.0)),  # across studies, Berlin & Dahlström 1975: 19–60 h
])
def test_single_2mg_clonazepam_dose_matches_published_ranges(
    model: str, half_life: tuple[float, float]
) -> None:
    # Tmax 1–4 h (FDA clonazepam label); Cmax 6.5–13.5 ng/mL after 2 mg orally (Kaplan et
    # al. 1974, as quoted in the PharmaMedix clonazepam monograph: a secondary source).
    r = Regimen.daily("clonazepam", Dose("2 mg"), at="08:00", days=1)
    s = simulate(r, models={"clonazepam": model}).summary
    assert 1.0 <= s.tmax <= 4.0
    assert 6.5 <= s.cmax <= 13.5
    assert half_life[0] <= s.half_life <= half_life[1]
    assert s.trough is None and s.accumulation_ratio is None


def test_doses_between_grid_points_and_exact_peak() -> None:
    ev = [DoseEvent("clonazepam", 0.0, Dose("1 mg")), DoseEvent("clonazepam", 10.37, Dose("1 mg"))]
    r = Regimen.from_events(ev)
    coarse = simulate(r, grid=np.arange(0.0, 48.0, 2.0))
    fine = simulate(r, grid=np.arange(0.0, 48.0, 0.001))
    idx = np.arange(0, 48000, 2000)
    assert np.allclose(coarse.concentration["clonazepam"],
                       fine.concentration["clonazepam"][idx], rtol=1e-12)
    assert coarse.summary.cmax == pytest.approx(fine.summary.cmax, rel=1e-6)


def test_next_morning_residual_against_dense_evaluation() -> None:
    r = Regimen.daily("clonazepam", Dose("0.5 mg"), at="22:00", days=14)
    res = simulate(r)
    last = 13 * 24.0
    dense = simulate(r, grid=np.arange(last, last + 10.0 + 1e-9, 0.0005))
    c = dense.concentration["clonazepam"]
    assert res.summary.next_morning_residual_fraction == pytest.approx(c[-1] / c.max(), rel=1e-6)
    one = simulate(Regimen.daily("clonazepam", Dose("0.5 mg"), at="08:00", days=3))
    assert one.summary.next_morning_residual_fraction is None
