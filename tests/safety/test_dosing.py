"""Dosing proposals against the clonazepam label (FDA clonazepam tablets, DOSAGE AND
ADMINISTRATION) and the off-label texts."""

from __future__ import annotations

from itertools import pairwise

import pytest

from benzoplan.errors import InputError
from benzoplan.safety import propose_dosing


def _steps(p: object) -> list[tuple[int, float, bool]]:
    return [(s.day, s.daily_total.mg, s.if_needed) for s in p.titration]  # type: ignore[attr-defined]


def test_panic_disorder_label_schedule() -> None:
    # Label: 0.25 mg twice daily; 1 mg/day after 3 days; then +0.125–0.25 mg twice daily
    # every 3 days if needed, up to 4 mg/day.
    p = propose_dosing("Klonopin", "panic-disorder")
    assert (p.start.mg, p.start_per, p.divided_doses) == (0.5, "day", 2)
    steps = _steps(p)
    assert steps[:2] == [(0, 0.5, False), (3, 1.0, False)]
    assert all(s[2] for s in steps[2:]) and steps[-1] == (39, 4.0, True)
    assert all(b[1] - a[1] <= 0.25 + 1e-9 for a, b in pairwise(steps[1:]))
    assert p.maximum is not None and p.maximum.mg == 4 and p.maximum_per == "day"
    assert p.on_label and p.source == "fda-clonazepam-tablets"


def test_adult_seizures_start_and_ceiling() -> None:
    p = propose_dosing("clonazepam", "epilepsy", age_years=40)
    assert p.start.mg == 1.5 and p.maximum is not None and p.maximum.mg == 20
    assert p.titration[1].day == 3 and p.titration[1].daily_total.mg == 2.0
    assert any("20 mg" in n for n in p.notes)


def test_pediatric_weight_based() -> None:
    # Label: children up to 10 years or 30 kg: start 0.01–0.03 mg/kg/day; maintenance
    # 0.1–0.2 mg/kg/day; increases of no more than 0.25–0.5 mg every third day.
    p = propose_dosing("clonazepam", "seizure-disorders", weight_kg=25, age_years=8)
    assert p.population == "pediatric"
    assert p.start.mg == pytest.approx(0.25)
    assert p.maximum is not None and p.maximum.mg == pytest.approx(5.0)
    target = [s for s in p.titration if not s.if_needed][-1]
    assert target.daily_total.mg == pytest.approx(2.5)
    for a, b in pairwise(p.titration):
        assert b.day - a.day == 3 and b.daily_total.mg - a.daily_total.mg <= 0.5 + 1e-9


def test_heavier_child_under_10_still_per_kg() -> None:
    p = propose_dosing("clonazepam", "seizures", weight_kg=35, age_years=9)
    assert p.population == "pediatric" and p.maximum is not None
    assert p.maximum.mg == pytest.approx(7.0)


def test_adolescent_above_limits_uses_adult_section_with_assumption() -> None:
    p = propose_dosing("clonazepam", "seizures", weight_kg=50, age_years=14)
    assert p.population == "adult" and "adult-dosing-above-pediatric-limits" in p.assumptions


def test_opioid_withdrawal_single_doses() -> None:
    p = propose_dosing("clonazepam", "opioid-withdrawal")
    assert (p.start.mg, p.start_per) == (0.5, "dose")
    assert p.maximum is not None and (p.maximum.mg, p.maximum_per) == (2.0, "dose")
    assert p.max_duration_days == 4 and not p.on_label and p.titration == ()


def test_insomnia_names_its_assumption() -> None:
    p = propose_dosing("clonazepam", "insomnia")
    assert p.start.mg == 0.25 and p.assumptions == ("insomnia-start",)
    assert p.maximum is None and p.max_duration_days == 28
    data = p.to_json()
    assert data["assumptions"][0]["name"] == "insomnia-start"
    assert data["maximum"] is None and data["sources"][0]["key"]


def test_json_contract() -> None:
    d = propose_dosing("clonazepam", "panic-disorder").to_json()
    assert d["start"] == {"value": 0.5, "unit": "mg"}
    assert d["maximum"] == {"value": 4, "unit": "mg"}
    step = d["titration"][1]
    assert (step["day"], step["daily_total"], step["if_needed"]) == (
        3, {"value": 1, "unit": "mg"}, False)
    assert step["per_dose"] == {"value": 0.5, "unit": "mg"}
    assert d["per_dose"] == {"value": 0.25, "unit": "mg"}
    # 0.25 mg per dose: a 0.25 mg ODT, half a scored 0.5 mg tablet, or two 0.125 mg ODTs
    assert [(o["product"], o["count"]) for o in d["start_products"]] == [
        ("0.25 mg orally disintegrating tablet", 1.0),
        ("0.125 mg orally disintegrating tablet", 2.0), ("0.5 mg tablet, scored", 0.5)]
    assert step["products"][0]["product"] == "0.5 mg tablet, scored"  # tablets first
    assert d["sources"][0]["key"] == "fda-clonazepam-tablets"


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"indication": "panic-disorder", "age_years": 8, "weight_kg": 25}, "under 18"),
        ({"indication": "seizures", "age_years": 8}, "weight is missing"),
        ({"indication": "seizures", "age_years": 250}, "outside 0–130"),
        ({"indication": "seizures", "weight_kg": 0}, "outside (0, 400]"),
        ({"indication": "hiccups"}, "unknown indication"),
        ({"indication": "insomnia", "age_years": 12, "weight_kg": 40}, "no dosing"),
    ],
)
def test_refusals(kwargs: dict[str, object], words: str) -> None:
    with pytest.raises(InputError) as info:
        propose_dosing("clonazepam", **kwargs)  # type: ignore[arg-type]
    assert words in str(info.value)


def test_product_options_uk_solution_and_no_exact_product() -> None:
    from benzoplan.safety import product_options
    from benzoplan.units import Dose

    opts = product_options("clonazepam", Dose("0.3 mg"), market="UK")
    vols = [o for o in opts if o.volume is not None]
    assert vols and vols[0].contains_ethanol
    assert {round(o.volume.ml, 6) for o in vols if o.volume} == {3.0, 0.75}
    assert product_options("clonazepam", Dose("0.3 mg"), market="US") == ()
    # not splittable: a 1 mg tablet is never halved
    assert all(o.count in (1.0, 2.0, 3.0, 4.0) or o.product.endswith("scored")
               for o in product_options("clonazepam", Dose("0.5 mg")))


@pytest.mark.parametrize(("age", "weight"), [(None, None), (40, 70), (8, None), (8, 25),
                                             (70, 60), (15, 50)])
def test_every_drug_file_indication_gives_a_proposal_or_a_clear_error(
        age: float | None, weight: float | None) -> None:
    from benzoplan.drugs import list_drugs
    from benzoplan.errors import BenzoplanError

    for d in list_drugs():
        for i in d.indications:
            try:
                p = propose_dosing(d.name, i.indication, age_years=age, weight_kg=weight,
                                   market=i.market)
            except BenzoplanError as exc:
                assert exc.message
                continue
            assert p.start.mg > 0 and p.source
            if p.maximum is not None and p.titration:
                assert p.titration[-1].daily_total.mg <= p.maximum.mg + 1e-9
