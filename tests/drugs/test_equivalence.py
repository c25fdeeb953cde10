import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benzoplan.drugs import convert, get_drug, list_drugs
from benzoplan.errors import UnknownDrug, UnknownItem
from benzoplan.units import Dose


def test_clonazepam_to_diazepam_default_and_range() -> None:
    c = convert(Dose("2 mg"), "clonazepam", to="diazepam")
    assert c.equivalent == Dose("40 mg")  # Ashton: clonazepam 0.5 mg ≡ diazepam 10 mg
    assert c.low == Dose("20 mg") and c.high == Dose("40 mg")  # VA/DoD: 1 mg ≡ 10 mg
    assert "approximate" in c.note and c.sources
    j = c.to_json()
    assert j["from"] == {"value": 2, "unit": "mg"}
    assert j["equivalent"] == {"value": 40, "unit": "mg"}
    assert set(j["range"]) == {"low", "high"}


def test_table_choice() -> None:
    c = convert(Dose("2 mg"), "Klonopin", to="diazepam", table="va-dod")
    assert c.equivalent == Dose("20 mg")
    with pytest.raises(UnknownItem):
        convert(Dose("2 mg"), "clonazepam", to="diazepam", table="nope")


def test_unknown_drug_suggests() -> None:
    with pytest.raises(UnknownDrug, match="did you mean 'Klonopin' \\(clonazepam\\)"):
        get_drug("klonopn")


names = st.sampled_from([d.name for d in list_drugs()])


@given(st.floats(min_value=0.01, max_value=100), names, names)
def test_round_trip(mg: float, a: str, b: str) -> None:
    there = convert(Dose(mg, "mg"), a, to=b)
    back = convert(there.equivalent, b, to=a, table=there.table)
    if there.table in {v.table for v in get_drug(b).equivalence.values}:
        assert math.isclose(back.equivalent.mg, mg, rel_tol=1e-9)
    assert there.low <= there.equivalent <= there.high
