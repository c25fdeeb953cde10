"""simulate(): population runs, reproducibility, JSON contract, bad input."""

import json

import numpy as np
import pytest

from benzoplan.errors import InputError, UnknownItem
from benzoplan.pk import Regimen, Subject
from benzoplan.pk.simulate import simulate
from benzoplan.units import Dose

BEDTIME = Regimen.daily("clonazepam", Dose("0.5 mg"), at="22:00", days=14)
SUMMARY_KEYS = {"cmax", "tmax", "half_life", "trough", "time_to_90pct_steady_state",
                "accumulation_ratio", "next_morning_residual_fraction", "occupancy_peak"}


def test_population_is_seeded_and_independent_of_chunking() -> None:
    a = simulate(BEDTIME, population=300, seed=7, chunk_size=64, workers=2)
    b = simulate(BEDTIME, population=300, seed=7, chunk_size=300, workers=1)
    c = simulate(BEDTIME, population=300, seed=8)
    assert a.percentiles is not None and b.percentiles is not None and c.percentiles is not None
    assert a.percentiles["p50"] == b.percentiles["p50"]
    assert a.percentiles["p5"] == b.percentiles["p5"]
    assert a.percentiles["p50"] != c.percentiles["p50"]
    assert a.band is not None and np.allclose(a.band.p50, b.band.p50)


def test_population_percentiles_are_ordered_and_spread() -> None:
    res = simulate(BEDTIME, population=400, seed=1)
    assert res.percentiles is not None and res.band is not None
    p5, p50, p95 = (res.percentiles[k] for k in ("p5", "p50", "p95"))
    assert p5.cmax < p50.cmax < p95.cmax
    assert p5.half_life < p50.half_life < p95.half_life
    assert abs(p50.cmax - res.summary.cmax) / res.summary.cmax < 0.1
    assert np.all(res.band.p5 <= res.band.p50) and np.all(res.band.p50 <= res.band.p95)


def test_json_contract() -> None:
    out = json.loads(json.dumps(simulate(BEDTIME, population=50).to_json()))
    assert set(out["summary"]) >= SUMMARY_KEYS
    assert out["summary"]["cmax"]["unit"] == "ng/mL"
    assert out["summary"]["occupancy_peak"]["unit"] == "%"
    assert 0 < out["summary"]["next_morning_residual_fraction"] < 1
    assert set(out["series"]) >= {"time", "concentration", "occupancy"}
    assert len(out["series"]["time"]) == len(out["series"]["concentration"])
    assert set(out["percentiles"]) == {"p5", "p50", "p95"}
    assert set(out["percentiles"]["p50"]) >= SUMMARY_KEYS
    assert any("ASSUMPTION" in a for a in out["assumptions"])


def test_runs_until_three_percent_of_peak() -> None:
    res = simulate(Regimen.daily("clonazepam", Dose("1 mg"), at="08:00", days=1))
    c, t = res.concentration["clonazepam"], res.time_h
    assert c[-1] < 0.03 * c.max()
    assert c[t >= t[-1] - 1.0][0] >= 0.03 * c.max()  # not run on for long after


def test_crossover_counts_both_drugs_in_occupancy() -> None:
    cross = Regimen.daily("clonazepam", Dose("1 mg"), at="22:00", days=7).combined(
        Regimen.daily("diazepam", Dose("10 mg"), at="22:00", days=7), offset_h=72)
    alone = simulate(Regimen.daily("clonazepam", Dose("1 mg"), at="22:00", days=7))
    res = simulate(cross)
    assert set(res.concentration) == {"clonazepam", "diazepam", "desmethyldiazepam"}
    assert res.summary.occupancy_peak > alone.summary.occupancy_peak


def test_covariates_change_exposure() -> None:
    base = simulate(BEDTIME).summary
    old = simulate(BEDTIME, subject=Subject(age_years=75)).summary
    ind = simulate(BEDTIME, subject=Subject(comedications=("phenytoin",))).summary
    assert old.cavg_steady_state > base.cavg_steady_state > ind.cavg_steady_state


def test_bad_input() -> None:
    with pytest.raises(InputError):
        simulate(BEDTIME, population=-1)
    with pytest.raises(UnknownItem):
        simulate(BEDTIME, models={"clonazepam": "nonexistent"})
    with pytest.raises(InputError):
        simulate(BEDTIME, models={"diazepam": "label-one-compartment"})
    with pytest.raises(InputError):
        simulate(BEDTIME, grid=np.array([3.0, 1.0]))
    with pytest.raises(InputError):
        simulate(BEDTIME, until_h=-5)
    with pytest.raises(InputError):
        simulate(BEDTIME, step_h=0)
    with pytest.raises(InputError):
        simulate("clonazepam")  # type: ignore[arg-type]


def test_shared_metabolite_adds_up() -> None:
    # chlordiazepoxide and diazepam both form desmethyldiazepam: one molecule, one level
    cdx = Regimen.daily("chlordiazepoxide", Dose("25 mg"), at="22:00", days=5)
    dzp = Regimen.daily("diazepam", Dose("10 mg"), at="22:00", days=5)
    both = simulate(cdx.combined(dzp), grid=np.arange(0.0, 200.0, 1.0))
    one = simulate(cdx, grid=np.arange(0.0, 200.0, 1.0))
    two = simulate(dzp, grid=np.arange(0.0, 200.0, 1.0))
    assert np.allclose(both.concentration["desmethyldiazepam"],
                       one.concentration["desmethyldiazepam"]
                       + two.concentration["desmethyldiazepam"])
    pop = simulate(cdx.combined(dzp), population=20, grid=np.arange(0.0, 200.0, 1.0))
    assert pop.percentiles is not None


def test_until_before_the_last_dose_summarises_the_window() -> None:
    year = Regimen.daily("clonazepam", Dose("1 mg"), at=("08:00", "20:00"), days=365)
    two_weeks = Regimen.daily("clonazepam", Dose("1 mg"), at=("08:00", "20:00"), days=14)
    a = simulate(year, until_h=14 * 24 - 1, step_h=1.0, population=30)
    b = simulate(two_weeks, until_h=14 * 24 - 1, step_h=1.0, population=30)
    assert a.summary == b.summary
    assert a.percentiles == b.percentiles
