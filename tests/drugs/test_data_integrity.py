"""Every drug file validates, every fact has a source that resolves, values are physiological."""

import pytest

from benzoplan.drugs import bibliography, get_drug, knowledge_base, list_drugs
from benzoplan.drugs.schema import Drug, iter_sources
from benzoplan.units import Dose

REQUIRED = {"clonazepam", "diazepam"}


def test_required_drugs_present() -> None:
    assert set(knowledge_base().drugs) >= REQUIRED


@pytest.mark.parametrize("drug", list_drugs(), ids=lambda d: d.name)
def test_every_source_resolves(drug: Drug) -> None:
    keys = iter_sources(drug)
    assert keys, "a drug without sources"
    assert set(keys) <= set(bibliography())


@pytest.mark.parametrize("drug", list_drugs(), ids=lambda d: d.name)
def test_physiological_bounds(drug: Drug) -> None:
    pk = drug.pk
    assert 0 < pk.half_life.in_unit("h") <= 500
    assert 0 < pk.tmax.in_unit("h") <= 24
    assert 0 < pk.bioavailability.in_unit("1") <= 1
    assert 0 < pk.protein_binding.in_unit("1") <= 1
    for v in drug.equivalence.values:
        assert 0 < Dose(v.dose.value, v.dose.unit).mg <= 200


@pytest.mark.parametrize("drug", list_drugs(), ids=lambda d: d.name)
def test_products_well_formed(drug: Drug) -> None:
    for p in drug.products:
        if p.form == "odt":
            assert not p.scored
        if p.form != "oral_solution":
            assert p.unit_dose().mg > 0


def test_schema_rejects_unsourced_and_absurd() -> None:
    import tomllib
    from importlib import resources

    raw = tomllib.loads(
        (resources.files("benzoplan.drugs") / "data" / "clonazepam.toml").read_text()
    )
    bad = dict(raw)
    bad["pk"] = dict(raw["pk"])
    bad["pk"]["half_life"] = {"typical": 3500, "unit": "h", "source": "fda-clonazepam-tablets"}
    with pytest.raises(ValueError, match="half-life"):
        Drug.model_validate(bad)
    bad["pk"]["half_life"] = {"typical": 35, "unit": "h"}
    with pytest.raises(ValueError, match="source"):
        Drug.model_validate(bad)
    bad["pk"]["half_life"] = {"typical": 0, "unit": "h", "source": "x"}
    with pytest.raises(ValueError):
        Drug.model_validate(bad)


def test_clonazepam_label_facts() -> None:
    c = get_drug("clonazepam")
    strengths = sorted(p.strength.value for p in c.products_for("US") if p.form == "odt")
    assert strengths == [0.125, 0.25, 0.5, 1, 2]
    scored = {p.strength.value for p in c.products_for("US") if p.form == "tablet" and p.scored}
    assert scored == {0.5}
    panic = next(i for i in c.indications if i.indication == "panic-disorder")
    assert panic.maximum is not None and panic.maximum.value == 4
    assert c.pk.half_life.low == 30 and c.pk.half_life.high == 40
