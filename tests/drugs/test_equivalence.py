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


# --- golden values -------------------------------------------------------------------------

# Table 7 of the 2025 Joint Clinical Practice Guideline on Benzodiazepine Tapering (ASAM pocket
# guide copy, source key asam-pocket-table7): dose ≡ diazepam 10 mg, VA/DoD 2021 and Ashton 2002.
TABLE7 = {  # drug: (va-dod, ashton)
    "alprazolam": (1, 0.5),
    "chlordiazepoxide": (25, 25),
    "clonazepam": (1, 0.5),
    "diazepam": (10, 10),
    "lorazepam": (2, 1),
    "oxazepam": (30, 20),
    "temazepam": (15, 20),
}

# NHS Scotland "Switching to diazepam" table (source key nhs-scotland-switching): dose ≡
# diazepam 5 mg.
NHS_SCOTLAND_PER_5MG = {
    "diazepam": 5,
    "chlordiazepoxide": 12.5,
    "clobazam": 10,
    "clonazepam": 0.25,
    "lorazepam": 0.5,
    "oxazepam": 10,
    "nitrazepam": 5,
    "temazepam": 10,
    "zolpidem": 10,
    "zopiclone": 7.5,
}


@pytest.mark.parametrize(("drug", "values"), sorted(TABLE7.items()))
def test_golden_joint_guideline_table7(drug: str, values: tuple[float, float]) -> None:
    va_dod, ashton = values
    assert convert(Dose(va_dod, "mg"), drug, to="diazepam", table="va-dod").equivalent == Dose(
        "10 mg"
    )
    assert convert(Dose(ashton, "mg"), drug, to="diazepam", table="ashton").equivalent == Dose(
        "10 mg"
    )
    by_table = {v.table: v for v in get_drug(drug).equivalence.values}
    for table, value in (("va-dod", va_dod), ("ashton", ashton)):
        assert by_table[table].dose.value == value
        assert by_table[table].source == "asam-pocket-table7"


@pytest.mark.parametrize(("drug", "per_5mg"), sorted(NHS_SCOTLAND_PER_5MG.items()))
def test_golden_nhs_scotland_switching(drug: str, per_5mg: float) -> None:
    c = convert(Dose(per_5mg, "mg"), drug, to="diazepam", table="nhs-scotland")
    assert math.isclose(c.equivalent.mg, 5, rel_tol=1e-12)
    assert "nhs-scotland-switching" in c.sources


def test_nhs_scotland_is_default_where_table7_lacks_the_drug() -> None:
    for name in ("nitrazepam", "clobazam", "zolpidem", "zopiclone"):
        d = get_drug(name)
        assert d.equivalence.default == "nhs-scotland"
        assert "va-dod" not in {v.table for v in d.equivalence.values}


def test_bromazepam_range_spans_its_tables() -> None:
    """Bromazepam is in neither Table 7 nor NHS Scotland: Ashton 5–6 mg, Medscape 3–6 mg."""
    c = convert(Dose("6 mg"), "bromazepam", to="diazepam")
    assert c.equivalent == Dose("10 mg")
    assert c.low == Dose("10 mg") and c.high == Dose("20 mg")


def test_shared_table_is_used_for_both_drugs() -> None:
    # zopiclone's default (NHS Scotland) is absent for alprazolam: both are read from Ashton.
    c = convert(Dose("7.5 mg"), "zopiclone", to="alprazolam")
    assert c.table == "ashton"
    assert c.equivalent == Dose("0.25 mg")  # Ashton: zopiclone 15 mg ≡ alprazolam 0.5 mg
    c = convert(Dose("10 mg"), "zolpidem", to="lorazepam")
    assert c.table == "nhs-scotland" and c.equivalent == Dose("0.5 mg")


# --- brands and synonyms -------------------------------------------------------------------

BRANDS = {
    "Klonopin": "clonazepam", "Rivotril": "clonazepam", "Valium": "diazepam",
    "Xanax": "alprazolam", "Ativan": "lorazepam", "Librium": "chlordiazepoxide",
    "Restoril": "temazepam", "Serax": "oxazepam", "Ambien": "zolpidem",
    "Stilnoct": "zolpidem", "Onfi": "clobazam", "Frisium": "clobazam", "Sympazan": "clobazam",
    "Mogadon": "nitrazepam", "Lexotan": "bromazepam", "Lexatin": "bromazepam",
    "Zimovane": "zopiclone", "Imovane": "zopiclone",
    "zolpidem tartrate": "zolpidem", "chlordiazepoxide hydrochloride": "chlordiazepoxide",
}


@pytest.mark.parametrize(("alias", "drug"), sorted(BRANDS.items()))
def test_brand_and_synonym_resolution(alias: str, drug: str) -> None:
    assert get_drug(alias).name == drug
    assert get_drug(f"  {alias.upper()} ").name == drug
    assert alias in get_drug(drug).brand_names() + get_drug(drug).synonyms


@pytest.mark.parametrize(("typo", "hint"), [
    ("xanx", "'Xanax' (alprazolam)"),
    ("ambein", "'Ambien' (zolpidem)"),
    ("lorazepem", "'lorazepam'"),
    ("librum", "'Librium' (chlordiazepoxide)"),
])
def test_misspelling_suggests(typo: str, hint: str) -> None:
    with pytest.raises(UnknownDrug) as err:
        get_drug(typo)
    assert f"did you mean {hint}?" in str(err.value)


# --- properties ----------------------------------------------------------------------------

names = st.sampled_from([d.name for d in list_drugs()])
amounts = st.floats(min_value=0.01, max_value=100, allow_nan=False, allow_infinity=False)


def _tables(name: str) -> set[str]:
    return {v.table for v in get_drug(name).equivalence.values}


@given(amounts, names, names)
def test_round_trip(mg: float, a: str, b: str) -> None:
    """Converting a→b and back with the same table returns the dose; the range holds it."""
    there = convert(Dose(mg, "mg"), a, to=b)
    back_table = there.table if there.table in _tables(b) else None
    back = convert(there.equivalent, b, to=a, table=back_table)
    assert math.isclose(back.equivalent.mg, mg, rel_tol=1e-9)
    assert there.low <= there.equivalent <= there.high


@given(amounts, names, names, st.data())
def test_round_trip_every_shared_table(mg: float, a: str, b: str, data: st.DataObject) -> None:
    shared = sorted(_tables(a) & _tables(b))
    if not shared:
        return
    t = data.draw(st.sampled_from(shared))
    there = convert(Dose(mg, "mg"), a, to=b, table=t)
    back = convert(there.equivalent, b, to=a, table=t)
    assert math.isclose(back.equivalent.mg, mg, rel_tol=1e-9)
    assert there.by_table == tuple(sorted(there.by_table))


@given(amounts, st.floats(min_value=0.1, max_value=10), names, names)
def test_conversion_is_linear(mg: float, k: float, a: str, b: str) -> None:
    one = convert(Dose(mg, "mg"), a, to=b)
    scaled = convert(Dose(mg * k, "mg"), a, to=b)
    assert math.isclose(scaled.equivalent.mg, one.equivalent.mg * k, rel_tol=1e-9)
    assert math.isclose(scaled.low.mg, one.low.mg * k, rel_tol=1e-9)
    assert math.isclose(scaled.high.mg, one.high.mg * k, rel_tol=1e-9)


@given(amounts, names)
def test_identity_conversion(mg: float, a: str) -> None:
    c = convert(Dose(mg, "mg"), a, to=a)
    assert math.isclose(c.equivalent.mg, mg, rel_tol=1e-12)
    assert c.low <= c.equivalent <= c.high


@given(amounts, names, names)
def test_chaining_through_diazepam_agrees(mg: float, a: str, b: str) -> None:
    """Via diazepam equals direct, when one table holds a, b and diazepam."""
    shared = _tables(a) & _tables(b) & _tables("diazepam")
    for t in sorted(shared):
        direct = convert(Dose(mg, "mg"), a, to=b, table=t).equivalent
        via = convert(convert(Dose(mg, "mg"), a, to="diazepam", table=t).equivalent,
                      "diazepam", to=b, table=t).equivalent
        assert math.isclose(direct.mg, via.mg, rel_tol=1e-9)
