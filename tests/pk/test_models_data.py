"""PK model data: typed, validated, sourced or labelled as assumed."""

import math

import pytest

from benzoplan.drugs import get_drug, list_drugs
from benzoplan.drugs.schema import PKModel
from benzoplan.errors import UnknownItem
from benzoplan.pk import Subject, model_spec, pk_model
from benzoplan.pk._data import covariate_data, pd_data, pk_sources


def test_clonazepam_has_label_and_kruizinga_models() -> None:
    names = [m.name for m in get_drug("clonazepam").pk_models]
    assert names[:2] == ["label-one-compartment", "kruizinga-2022"]
    assert pk_model("clonazepam").name == "label-one-compartment"
    k = pk_model("clonazepam", "kruizinga-2022")
    assert k.kind == "two-compartment" and k.apparent
    assert k.parameters["cl"].value == 2.98 and k.parameters["cl"].source == "kruizinga-2022"
    with pytest.raises(UnknownItem):
        pk_model("clonazepam", "nope")


def test_label_model_numbers() -> None:
    spec = model_spec("clonazepam")
    assert spec.typical["v"] == pytest.approx(210)
    assert math.log(2) * spec.typical["v"] / spec.typical["cl"] == pytest.approx(35)


@pytest.mark.parametrize("drug", list_drugs(), ids=lambda d: d.name)
def test_every_drug_has_a_usable_model(drug: object) -> None:
    spec = model_spec(drug.name)  # type: ignore[attr-defined]
    assert all(v > 0 for v in spec.typical.values())


def test_every_iiv_and_parameter_is_sourced_or_assumed() -> None:
    for d in list_drugs():
        for m in d.pk_models:
            for p in (*m.parameters.values(), *m.iiv.values()):
                assert p.source or (p.assumed and p.note)


def test_pk_data_sources_resolve_and_assumptions_have_notes() -> None:
    keys = set(pk_sources())
    for e in (*covariate_data().age, *covariate_data().hepatic):
        assert (e.source in keys) if e.source else e.assumed
    for c in covariate_data().comedications:
        for e in c.effects:
            assert e.source is None or e.source in keys
    assert pd_data().occupancy.assumed and pd_data().effect.assumed


def test_covariates_apply() -> None:
    base = model_spec("clonazepam").typical["cl"]
    old = model_spec("clonazepam", Subject(age_years=80)).typical["cl"]
    heavy = model_spec("clonazepam", Subject(weight_kg=100)).typical
    cbz = model_spec("clonazepam", Subject(comedications=("carbamazepine",)))
    assert old < base
    assert heavy["v"] == pytest.approx(300) and heavy["cl"] == pytest.approx(base * 100 / 70)
    assert cbz.typical["cl"] == pytest.approx(base * 1.18)  # Yukawa et al. 2002
    assert "yukawa-2002" in cbz.sources
    # an inhibitor only acts on drugs whose metabolism names CYP3A
    inh = model_spec("clonazepam", Subject(comedications=("clarithromycin",)))
    assert inh.typical["cl"] < base
    assert any("ASSUMPTION" in a for a in inh.assumptions)


def test_schema_refuses_bad_models() -> None:
    good = {"name": "m", "kind": "one-compartment", "source": "x",
            "parameters": {"ka": {"value": 1, "unit": "1/h", "source": "x"},
                           "v": {"value": 3, "unit": "L/kg", "source": "x"},
                           "half_life": {"value": 35, "unit": "h", "source": "x"}}}
    PKModel.model_validate(good)
    for mutate in (
        lambda g: g["parameters"].pop("half_life"),
        lambda g: g["parameters"].update(cl={"value": 4, "unit": "L/h", "source": "x"}),
        lambda g: g["parameters"].update(v={"value": 3, "unit": "h", "source": "x"}),
        lambda g: g["parameters"].update(ka={"value": 1, "unit": "1/h"}),
        lambda g: g.update(iiv={"q": {"cv": 0.2, "assumed": True}}),
        lambda g: g.update(kind="two-compartment"),
    ):
        bad = {**good, "parameters": dict(good["parameters"])}
        mutate(bad)
        with pytest.raises(ValueError):
            PKModel.model_validate(bad)


def test_public_surface_is_intentional() -> None:
    import benzoplan.pk as pk

    assert set(pk.__all__) == {
        "Band", "DailyStep", "DoseEffect", "DoseEvent", "EffectParams", "ExpSum",
        "HepaticImpairment", "ModelSpec", "Regimen", "SimulationResult", "Subject", "Summary",
        "dose_effect", "effect_curve", "effect_params", "model_spec", "occupancy_curve",
        "parse_clock", "pk_model", "simulate",
    }
    assert all(hasattr(pk, name) for name in pk.__all__)
