import contextlib
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benzoplan.errors import UnitError
from benzoplan.units import (
    Concentration,
    Dose,
    Volume,
    from_json,
    parse_dose,
    parse_quantity,
    to_json,
    ureg,
)


@pytest.mark.parametrize(
    ("text", "mg"),
    [("0.5 mg", 0.5), ("0.5mg", 0.5), ("500 mcg", 0.5), ("500 µg", 0.5), ("500 μg", 0.5),
     ("500 ug", 0.5), ("0.125 mg", 0.125), ("2 mg", 2.0), (" 1 g ", 1000.0)],
)
def test_parses_doses(text: str, mg: float) -> None:
    assert Dose(text).mg == pytest.approx(mg, rel=1e-12)


def test_concentration_and_volume() -> None:
    c = Concentration("2.5 mg/mL")
    assert c.mg_per_ml == 2.5
    assert Concentration("10 ng/mL").ng_per_ml == pytest.approx(10)
    v = Dose("1 mg") / c
    assert isinstance(v, Volume) and v.ml == pytest.approx(0.4)
    assert (c * Volume("2 mL")) == Dose("5 mg")


def test_tablet_needs_a_strength() -> None:
    assert parse_dose("1 tablet", per_count={"tablet": Dose("0.5 mg")}) == Dose("0.5 mg")
    assert parse_dose("2 tablets", per_count={"tablet": Dose("0.5 mg")}) == Dose("1 mg")
    with pytest.raises(UnitError, match="no product strength"):
        parse_dose("1 tablet")


@pytest.mark.parametrize(
    ("text", "match"),
    [("0.5", "no unit"), ("5 xyz", "unknown unit"), ("-1 mg", "negative"),
     ("0 mg", "greater than zero"), ("nan mg", "finite"), ("inf mg", "finite"),
     ("5 mL", "needs a unit of mass"), ("", "not a number"), ("mg", "not a number"),
     ("1e400 mg", "finite"), ("2*3 mg", "unknown unit")],
)
def test_refuses_bad_doses(text: str, match: str) -> None:
    with pytest.raises(UnitError, match=match):
        Dose(text)


def test_refuses_mass_where_volume_needed() -> None:
    with pytest.raises(UnitError, match=r"needs a unit of volume.*is a mass"):
        Volume("5 mg")


def test_refuses_unitless_float_and_wrong_types() -> None:
    with pytest.raises(UnitError, match="no unit"):
        Dose(0.5)  # type: ignore[arg-type]
    with pytest.raises(UnitError):
        Dose(True, "mg")
    with pytest.raises(UnitError):
        Dose(float("nan"), "mg")


def test_zero_only_when_allowed() -> None:
    assert Dose(0, "mg", allow_zero=True).is_zero()
    assert Dose.zero().mg == 0
    assert (Dose("1 mg") - Dose("1 mg")).is_zero()
    with pytest.raises(UnitError, match="negative"):
        Dose("0.5 mg") - Dose("1 mg")


def test_immutable() -> None:
    d = Dose("1 mg")
    with pytest.raises(AttributeError):
        d._v = 2.0


def test_json_is_ucum() -> None:
    assert Dose("500 mcg").to_json() == {"value": 0.5, "unit": "mg"}
    assert Dose("500 mcg").to_json("ug") == {"value": 500, "unit": "ug"}
    assert Concentration("2.5 mg/mL").to_json() == {"value": 2.5, "unit": "mg/mL"}
    assert Concentration("10 ng/mL").to_json("ng/mL") == {"value": 10, "unit": "ng/mL"}
    assert to_json(ureg.Quantity(30, "hour")) == {"value": 30, "unit": "h"}
    assert Dose.from_json({"value": 0.5, "unit": "mg"}) == Dose("0.5 mg")
    with pytest.raises(UnitError):
        Dose.from_json({"value": 0.5})
    with pytest.raises(UnitError):
        from_json({"value": "x", "unit": "mg"})


def test_parse_quantity_other_dimensions() -> None:
    assert parse_quantity("70 kg").to("kg").magnitude == 70
    assert parse_quantity("2 wk").to("d").magnitude == 14


mg_values = st.floats(min_value=1e-4, max_value=1e4, allow_nan=False, allow_infinity=False)
units = st.sampled_from([("mg", 1.0), ("mcg", 1e-3), ("ug", 1e-3), ("µg", 1e-3), ("g", 1e3)])


@given(mg_values, units)
def test_text_round_trip(value: float, unit: tuple[str, float]) -> None:
    name, factor = unit
    d = Dose(f"{value!r} {name}")
    assert math.isclose(d.mg, value * factor, rel_tol=1e-12)
    again = Dose.from_json(d.to_json())
    assert math.isclose(again.mg, d.mg, rel_tol=1e-11)
    assert math.isclose(Dose.from_json(d.to_json("ug")).mg, d.mg, rel_tol=1e-11)


@given(mg_values, mg_values)
def test_arithmetic_consistent(a: float, b: float) -> None:
    x, y = Dose(a, "mg"), Dose(b, "mg")
    assert math.isclose((x + y).mg, a + b, rel_tol=1e-12)
    assert math.isclose(x / y, a / b, rel_tol=1e-12)
    assert (x < y) == (a < b)
    big, small = max(x, y), min(x, y)
    assert (big - small).mg >= 0


@given(st.text(max_size=12))
def test_arbitrary_text_never_crashes(text: str) -> None:
    try:
        d = Dose(text)
    except UnitError:
        return
    assert d.mg > 0 and math.isfinite(d.mg)


UNIT_TEXT = st.one_of(st.text(max_size=12),
                      st.text(alphabet="mgLu0123456789/*()^.- ", max_size=10))


@pytest.mark.parametrize("unit", ["(", "0/0", "mg/0", "mg**", "mg(", ")", "1/0 mg", "mg^^2"])
@given(value=st.floats(min_value=0.001, max_value=100))
def test_unit_text_pints_parser_trips_over_is_an_unknown_unit(unit: str, value: float) -> None:
    with pytest.raises(UnitError, match="unit"):
        Dose(value, unit)
    with pytest.raises(UnitError, match="unit"):
        from_json({"value": value, "unit": unit})


@given(unit=UNIT_TEXT)
def test_any_unit_text_is_a_quantity_or_a_unit_error(unit: str) -> None:
    for make in (lambda: Dose(1, unit), lambda: from_json({"value": 1, "unit": unit})):
        with contextlib.suppress(UnitError):  # any other exception fails the test
            make()
