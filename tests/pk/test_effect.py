"""Steady-state dose → occupancy/effect (the API the taper planner uses)."""

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benzoplan.errors import InputError, UnitError, UnknownDrug
from benzoplan.pk import Subject, dose_effect, effect_params
from benzoplan.units import Concentration, Dose


def test_clonazepam_params_are_named_assumptions() -> None:
    p = effect_params("Klonopin")
    assert p.drug == "clonazepam"
    assert p.ec50.to("ng/mL") > 0
    assert p.occupancy_ec50.to("ng/mL") > 10 * p.ec50.to("ng/mL")  # receptor reserve
    assert any("ASSUMPTION" in a and "EC50" in a for a in p.assumptions)
    assert p.sources


@pytest.mark.parametrize("daily_mg", [0.5, 1.0, 1.5, 2.0])
def test_occupancy_in_human_pet_spect_range(daily_mg: float) -> None:
    # Human PET/SPECT: roughly 3–20% benzodiazepine-site occupancy at clinical doses
    # (Sybirska 1993; Myers 2012; alprazolam 2 mg/day about 16%): clinical.md §5.
    e = dose_effect({"clonazepam": Dose(daily_mg, "mg")})
    assert 3.0 <= e.occupancy_percent <= 20.0


def test_cavg_is_linear_pk_formula() -> None:
    # label model: CL = ln2 · 3 L/kg · 70 kg / 35 h; F = 0.9; Cavg = F·D/(CL·24 h)
    import math

    cl = math.log(2) * 210 / 35
    e = dose_effect({"clonazepam": Dose("1 mg")})
    assert e.cavg["clonazepam"].to("ng/mL") == pytest.approx(0.9 * 1000 / (cl * 24), rel=1e-9)


def test_effect_is_half_at_ec50_and_zero_at_zero() -> None:
    p = effect_params("clonazepam")
    assert dose_effect({"clonazepam": Dose.zero()}).effect_percent == 0
    e = dose_effect({"clonazepam": Dose("1 mg")}, ec50=Concentration(
        dose_effect({"clonazepam": Dose("1 mg")}).cavg["clonazepam"].to("ng/mL"), "ng/mL"))
    assert e.effect_percent == pytest.approx(p.emax_percent / 2)


def test_hyperbolic_equal_mg_cuts_grow_in_effect() -> None:
    eff = [dose_effect({"clonazepam": Dose(mg, "mg", allow_zero=True)}).effect_percent
           for mg in (2.0, 1.5, 1.0, 0.5, 0.0)]
    drops = [a - b for a, b in itertools.pairwise(eff)]
    assert drops == sorted(drops)


@given(a=st.floats(0, 20), b=st.floats(0, 20))
def test_effect_and_occupancy_monotone(a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    e_lo = dose_effect({"clonazepam": Dose(lo, "mg", allow_zero=True)})
    e_hi = dose_effect({"clonazepam": Dose(hi, "mg", allow_zero=True)})
    assert e_lo.effect_percent <= e_hi.effect_percent
    assert e_lo.occupancy_percent <= e_hi.occupancy_percent
    assert 0 <= e_hi.occupancy_percent < 100 and 0 <= e_hi.effect_percent < 100


def test_equipotent_doses_equal_effect_via_equivalence() -> None:
    # Ashton: clonazepam 0.5 mg ≡ diazepam 10 mg (Joint Guideline 2025, Table 7)
    c = dose_effect({"clonazepam": Dose("0.5 mg")})
    d = dose_effect({"diazepam": Dose("10 mg")})
    assert d.effect_percent == pytest.approx(c.effect_percent, rel=1e-9)
    assert d.occupancy_percent == pytest.approx(c.occupancy_percent, rel=1e-9)
    assert d.metabolite_cavg["desmethyldiazepam"].to("ng/mL") > 0


def test_competitive_form_adds_drugs() -> None:
    both = dose_effect({"clonazepam": Dose("1 mg"), "diazepam": Dose("10 mg")})
    one = dose_effect({"clonazepam": Dose("1 mg")})
    assert both.occupancy_percent > one.occupancy_percent
    assert both.effect_percent > one.effect_percent
    # 1 mg clonazepam + its equivalent of diazepam (20 mg ≡ 1 mg) = 2 mg clonazepam
    two = dose_effect({"clonazepam": Dose("2 mg")})
    mix = dose_effect({"clonazepam": Dose("1 mg"), "diazepam": Dose("20 mg")})
    assert mix.effect_percent == pytest.approx(two.effect_percent, rel=1e-9)


def test_inducer_lowers_effect() -> None:
    base = dose_effect({"clonazepam": Dose("1 mg")})
    ind = dose_effect({"clonazepam": Dose("1 mg")},
                      subject=Subject(comedications=("phenytoin",)))
    assert ind.cavg["clonazepam"].to("ng/mL") == pytest.approx(
        base.cavg["clonazepam"].to("ng/mL") / 1.52)  # Khoo et al. 1980
    assert ind.effect_percent < base.effect_percent


def test_bad_input() -> None:
    with pytest.raises(UnitError):
        dose_effect({"clonazepam": 1.0})  # type: ignore[dict-item]
    with pytest.raises(UnknownDrug):
        dose_effect({"clonazepan": Dose("1 mg")})
    with pytest.raises(InputError):
        dose_effect({})
    with pytest.raises(UnitError):
        dose_effect({"clonazepam": Dose("1 mg")}, ec50=5.0)  # type: ignore[arg-type]
    with pytest.raises(InputError):
        dose_effect({"clonazepam": Dose("1 mg"), "Klonopin": Dose("1 mg")})
