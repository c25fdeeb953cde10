"""Every drug file validates, every fact has a source that resolves, values are physiological."""

import copy
import itertools
import tomllib
from collections.abc import Iterator
from importlib import resources
from typing import Any

import pytest

from benzoplan.drugs import bibliography, get_drug, knowledge_base, list_drugs
from benzoplan.drugs.schema import Drug, Measured, iter_sources
from benzoplan.units import Dose, ureg

# Issue 3's list of drugs: each must have a data file.
REQUIRED = {
    "clonazepam", "diazepam", "lorazepam", "alprazolam", "chlordiazepoxide", "oxazepam",
    "temazepam", "nitrazepam", "clobazam", "bromazepam", "zolpidem", "zopiclone",
}
DATA = resources.files("benzoplan.drugs") / "data"
DRUG_FILES = sorted(
    p.name for p in DATA.iterdir() if p.name.endswith(".toml") and p.name != "bibliography.toml"
)


def _raw(name: str) -> dict[str, Any]:
    return tomllib.loads((DATA / name).read_text(encoding="utf-8"))


def test_required_drugs_present() -> None:
    assert set(knowledge_base().drugs) >= REQUIRED


def test_every_data_file_is_loaded() -> None:
    assert sorted(f"{d.name}.toml" for d in list_drugs()) == DRUG_FILES


@pytest.mark.parametrize("drug", list_drugs(), ids=lambda d: d.name)
def test_every_source_resolves(drug: Drug) -> None:
    keys = iter_sources(drug)
    assert keys, "a drug without sources"
    assert set(keys) <= set(bibliography())


def _sourced_paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Paths of every table in a raw drug file that carries a `source` key (a fact)."""
    if isinstance(node, dict):
        if "source" in node:
            yield path
        for k, v in node.items():
            yield from _sourced_paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _sourced_paths(v, (*path, i))


@pytest.mark.parametrize("filename", DRUG_FILES)
def test_a_fact_without_source_is_refused(filename: str) -> None:
    """Removing the `source` of any single fact in any file makes the file invalid."""
    raw = _raw(filename)
    paths = list(_sourced_paths(raw))
    assert len(paths) > 20, "suspiciously few sourced facts"
    for path in paths:
        bad = copy.deepcopy(raw)
        node = bad
        for step in path:
            node = node[step]
        del node["source"]
        with pytest.raises(ValueError, match="source"):
            Drug.model_validate(bad)


def _measured(drug: Drug) -> Iterator[tuple[str, Measured]]:
    pk = drug.pk
    for name in ("bioavailability", "tmax", "half_life", "volume_of_distribution",
                 "clearance", "absorption_half_life", "protein_binding"):
        m = getattr(pk, name)
        if m is not None:
            yield name, m
    for met in pk.metabolites:
        if met.half_life is not None:
            yield f"metabolite {met.name}", met.half_life


BOUNDS = {  # parameter: (unit, exclusive low, inclusive high)
    "bioavailability": ("1", 0, 1),
    "tmax": ("h", 0, 24),
    "half_life": ("h", 0, 500),
    "volume_of_distribution": ("L/kg", 0, 20),
    "clearance": ("L/h", 0, 200),
    "absorption_half_life": ("h", 0, 12),
    "protein_binding": ("1", 0, 1),
}


@pytest.mark.parametrize("drug", list_drugs(), ids=lambda d: d.name)
def test_physiological_bounds(drug: Drug) -> None:
    for name, m in _measured(drug):
        unit, lo, hi = BOUNDS.get(name, ("h", 0, 500))
        for which in ("typical", "low", "high"):
            v = m.in_unit(unit, which)  # type: ignore[arg-type]
            assert lo < v <= hi, f"{drug.name} {name} {which} = {v} {unit}"
        assert m.in_unit(unit, "low") <= m.in_unit(unit) <= m.in_unit(unit, "high")
    for v in drug.equivalence.values:
        for a in (v.dose, v.low, v.high):
            if a is not None:
                assert 0 < Dose(a.value, a.unit).mg <= 200


ABSURD = [  # (pk field, replacement, what the error names)
    ("half_life", {"typical": 3500, "unit": "h"}, "half-life"),
    ("half_life", {"typical": 0, "unit": "h"}, "half-life"),
    ("tmax", {"typical": 30, "unit": "h"}, "Tmax"),
    ("bioavailability", {"typical": 1.5, "unit": "1"}, "bioavailability"),
    ("protein_binding", {"typical": 0, "unit": "1"}, "protein binding"),
    ("volume_of_distribution", {"typical": 25, "unit": "L/kg"}, "volume of distribution"),
    ("clearance", {"typical": 500, "unit": "L/h"}, "clearance"),
    ("half_life", {"typical": 10, "low": 12, "high": 20, "unit": "h"}, "low <= typical"),
]


@pytest.mark.parametrize("filename", DRUG_FILES)
@pytest.mark.parametrize(("field", "value", "message"), ABSURD)
def test_schema_rejects_absurd_values(
    filename: str, field: str, value: dict[str, Any], message: str
) -> None:
    bad = _raw(filename)
    bad["pk"][field] = {**value, "source": "who-atc"}
    with pytest.raises(ValueError, match=message):
        Drug.model_validate(bad)


@pytest.mark.parametrize("filename", DRUG_FILES)
def test_schema_rejects_absurd_metabolite_and_equivalence(filename: str) -> None:
    raw = _raw(filename)
    bad = copy.deepcopy(raw)
    bad["pk"]["metabolites"] = [{"name": "x", "active": True, "source": "who-atc",
                                 "half_life": {"typical": 900, "unit": "h",
                                               "source": "who-atc"}}]
    with pytest.raises(ValueError, match="half-life"):
        Drug.model_validate(bad)
    bad = copy.deepcopy(raw)
    bad["equivalence"]["values"][0]["dose"] = {"value": 5000, "unit": "mg"}
    with pytest.raises(ValueError, match="equivalent dose"):
        Drug.model_validate(bad)


@pytest.mark.parametrize("drug", list_drugs(), ids=lambda d: d.name)
def test_products_well_formed(drug: Drug) -> None:
    assert drug.products, "no products"
    for p in drug.products:
        if p.form == "odt":
            assert not p.scored
        if p.form not in ("oral_solution", "oral_drops"):
            assert p.unit_dose().mg > 0


MARKETED = {
    "US": {"clonazepam", "diazepam", "lorazepam", "alprazolam", "chlordiazepoxide", "oxazepam",
           "temazepam", "clobazam", "zolpidem"},
    "UK": {"clonazepam", "diazepam", "lorazepam", "alprazolam", "chlordiazepoxide", "oxazepam",
           "temazepam", "nitrazepam", "clobazam", "zolpidem", "zopiclone"},
}


@pytest.mark.parametrize("market", sorted(MARKETED))
def test_products_by_market(market: str) -> None:
    for name in MARKETED[market]:
        assert get_drug(name).products_for(market), f"{name}: no {market} product"


def _same_kind(a: Any, b: Any) -> bool:
    return bool(ureg.Unit(a.unit).dimensionality == ureg.Unit(b.unit).dimensionality)


def _mg(a: Any) -> float:
    return float(a.quantity().to_base_units().magnitude)


@pytest.mark.parametrize("drug", list_drugs(), ids=lambda d: d.name)
def test_label_dosing_is_ordered(drug: Drug) -> None:
    assert any(i.on_label for i in drug.indications), "no label indication"
    for i in drug.indications:
        chain = [a for a in (i.start_low, i.start) if a is not None]
        if i.maximum is not None:
            chain.append(i.maximum)
        for x, y in itertools.pairwise(chain):
            if _same_kind(x, y):
                assert _mg(x) <= _mg(y), f"{drug.name} {i.indication}: {x} > {y}"
        if i.usual_low and i.usual_high:
            assert _mg(i.usual_low) <= _mg(i.usual_high)
        if i.usual_high and i.maximum and _same_kind(i.usual_high, i.maximum):
            assert _mg(i.usual_high) <= _mg(i.maximum)
        if i.titration_step_low and i.titration_step:
            assert _mg(i.titration_step_low) <= _mg(i.titration_step)


def test_clonazepam_label_facts() -> None:
    """FDA clonazepam tablet and ODT labels (fda-clonazepam-tablets, fda-clonazepam-odt)."""
    c = get_drug("clonazepam")
    strengths = sorted(p.strength.value for p in c.products_for("US") if p.form == "odt")
    assert strengths == [0.125, 0.25, 0.5, 1, 2]
    scored = {p.strength.value for p in c.products_for("US") if p.form == "tablet" and p.scored}
    assert scored == {0.5}
    panic = next(i for i in c.indications if i.indication == "panic-disorder")
    assert panic.maximum is not None and panic.maximum.value == 4
    assert c.pk.half_life.low == 30 and c.pk.half_life.high == 40
    assert c.pk.bioavailability.typical == 0.9 and c.pk.protein_binding.typical == 0.85
    seizures = next(i for i in c.indications
                    if i.indication == "seizure-disorders" and i.market == "US"
                    and i.population == "adult")
    assert seizures.start.value == 1.5 and seizures.maximum is not None
    assert seizures.maximum.value == 20
    assert {m.test for m in c.monitoring} == {"complete blood count", "liver function tests"}


def test_diazepam_label_facts() -> None:
    """Valium label (fda-valium): Vss 0.8–1.0 L/kg, clearance 20–30 mL/min, binding 98%."""
    d = get_drug("diazepam")
    assert (d.pk.volume_of_distribution.low, d.pk.volume_of_distribution.high) == (0.8, 1.0)
    assert d.pk.clearance is not None
    assert d.pk.clearance.in_unit("mL/min", "low") == pytest.approx(20)
    assert d.pk.clearance.in_unit("mL/min", "high") == pytest.approx(30)
    assert d.pk.protein_binding.typical == 0.98
    assert {m.name for m in d.pk.metabolites if m.active} >= {"desmethyldiazepam", "oxazepam"}


def test_active_metabolites() -> None:
    """Chlordiazepoxide's chain of active metabolites (Greenblatt 1978); clobazam's N-CLB."""
    cdx = {m.name for m in get_drug("chlordiazepoxide").pk.metabolites if m.active}
    assert cdx >= {"desmethylchlordiazepoxide", "demoxepam", "desmethyldiazepam"}
    clb = get_drug("clobazam")
    ncl = next(m for m in clb.pk.metabolites if m.name == "N-desmethylclobazam")
    assert ncl.active and ncl.half_life is not None
    assert ncl.half_life.in_unit("h") > clb.pk.half_life.in_unit("h")


def test_long_term_monitoring_where_labels_ask() -> None:
    for name in ("clonazepam", "chlordiazepoxide"):
        tests = {m.test for m in get_drug(name).monitoring}
        assert {"complete blood count", "liver function tests"} <= tests, name


def test_z_drugs_are_classed_apart() -> None:
    assert {d.name for d in list_drugs() if d.drug_class == "z-drug"} == {"zolpidem", "zopiclone"}
