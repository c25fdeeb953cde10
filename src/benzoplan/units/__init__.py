"""Quantities with units, end to end.

One pint registry (:data:`ureg`) and three typed, immutable values built on it:

* :class:`Dose` — an amount of drug (mass: mg, µg, g);
* :class:`Concentration` — mass per volume (a liquid's mg/mL, a plasma level in ng/mL);
* :class:`Volume` — an amount of liquid (mL).

Each refuses, with a :class:`~benzoplan.errors.UnitError` that says what was wrong: a bare
number, an unknown unit, a unit of the wrong kind (a mass where a volume is needed), a
negative, NaN or infinity, and zero where an amount is required. Public APIs take and return
these types, never a unitless float dose.

In JSON a quantity is always ``{"value": number, "unit": "<UCUM>"}`` (:func:`to_json`,
:func:`from_json`); units are written in UCUM (``ug`` for micrograms, ``mL``, ``mg/mL``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from functools import lru_cache, total_ordering
from typing import Any, ClassVar, Self, TypeAlias, TypeVar

import pint

from benzoplan.errors import UnitError

__all__ = [
    "Concentration",
    "Dose",
    "PintQuantity",
    "Volume",
    "from_json",
    "parse_quantity",
    "quantity_json",
    "to_json",
    "ucum",
    "ureg",
]

PintQuantity: TypeAlias = "pint.Quantity[Any]"

ureg: pint.UnitRegistry[Any] = pint.UnitRegistry(cache_folder=None)
ureg.define("wk = week")


# pint unit → UCUM code. Units not listed fall back to pint's short symbol.
_UCUM = {
    "milligram": "mg",
    "microgram": "ug",
    "nanogram": "ng",
    "gram": "g",
    "kilogram": "kg",
    "milliliter": "mL",
    "liter": "L",
    "hour": "h",
    "minute": "min",
    "day": "d",
    "week": "wk",
    "year": "a",
    "percent": "%",
    "nanomolar": "nmol/L",
}

# Count units a product may give a strength for ("1 tablet" of a 0.5 mg tablet).
_COUNT_UNITS = {
    "tablet": "tablet",
    "tablets": "tablet",
    "tab": "tablet",
    "tabs": "tablet",
    "odt": "odt",
    "odts": "odt",
}

_NUMBER = r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?"
_QTY_RE = re.compile(rf"^\s*(?P<num>{_NUMBER})\s*(?P<unit>[^\d\s].*?)?\s*$")
_UNIT_RE = re.compile(r"^[A-Za-zµμ%][A-Za-zµμ%/ .*0-9^]*$")


def ucum(unit: Any) -> str:
    """The UCUM code for a pint unit ("microgram / milliliter" → "ug/mL")."""
    return _ucum(unit)


# Parsing a unit with pint costs tens of microseconds and a plan's JSON names a few units
# thousands of times; units are immutable, so each one's code is worked out once.
@lru_cache(maxsize=1024)
def _ucum(unit: Any) -> str:
    u = ureg.Unit(unit) if isinstance(unit, str) else unit
    num: list[str] = []
    den: list[str] = []
    for name, raw_power in u._units.items():
        code = _UCUM.get(name) or format(ureg.Unit(name), "~")
        power = float(raw_power)  # type: ignore[arg-type]
        p = abs(power)
        text = code if p == 1 else f"{code}{int(p) if float(p).is_integer() else p}"
        (num if power > 0 else den).append(text)
    head = ".".join(num) if num else "1"
    return head + "".join("/" + d for d in den)


@lru_cache(maxsize=1024)
def _normalise_unit_text(text: str) -> str:
    t = text.strip().replace("μ", "µ")
    t = re.sub(r"\s*/\s*", "/", t)
    # UCUM "ug" and clinical "mcg" are both micrograms; pint knows both prefixes.
    return t


def _parse_number(raw: str, original: str) -> float:
    try:
        value = float(raw.replace(",", "."))
    except ValueError as exc:  # pragma: no cover - the regex only lets numbers through
        raise UnitError(f"'{original}' does not start with a number") from exc
    return value


class _BadUnit(ValueError):
    """Text pint cannot read as a unit (every caller reports it as an unknown unit)."""


@lru_cache(maxsize=1024)
def _unit(text: str) -> Any:
    """A pint unit from its (normalised) text. Units are immutable and parsing one costs tens
    of microseconds, so each text is parsed once. Anything pint cannot read — an unknown name,
    or text its expression parser trips over ("(", "0/0") — raises :class:`_BadUnit`."""
    try:
        return ureg.Unit(text)
    except Exception as exc:  # pint raises many kinds (TokenError, ZeroDivisionError, …)
        raise _BadUnit(f"unknown unit {text!r}") from exc


def parse_quantity(text: str, *, what: str = "quantity") -> PintQuantity:
    """Parse "0.5 mg", "0.5mg", "500 mcg", "2.5 mg/mL", "70 kg", "2 wk" into a pint Quantity.

    Refuses a bare number, an unknown unit, NaN and infinity. Sign and dimension are
    checked by the typed constructors, which know what they need.
    """
    if not isinstance(text, str):
        raise UnitError(f"{what} must be text such as '0.5 mg', got {type(text).__name__}")
    m = _QTY_RE.match(text)
    if not m:
        low = text.strip().lower()
        if any(w in low for w in ("nan", "inf")):
            raise UnitError(f"{what} '{text}' is not a finite number")
        raise UnitError(f"{what} '{text}' is not a number followed by a unit, e.g. '0.5 mg'")
    value = _parse_number(m.group("num"), text)
    unit_text = m.group("unit")
    if not unit_text:
        raise UnitError(
            f"{what} '{text.strip()}' has no unit; write the unit, e.g. '{text.strip()} mg'"
        )
    unit_text = _normalise_unit_text(unit_text)
    if not _UNIT_RE.match(unit_text):
        raise UnitError(f"unknown unit '{unit_text}' in {what} '{text}'")
    try:
        unit = _unit(unit_text)
    except (pint.UndefinedUnitError, pint.DefinitionSyntaxError, AttributeError, ValueError,
            TypeError, AssertionError) as exc:
        raise UnitError(f"unknown unit '{unit_text}' in {what} '{text}'") from exc
    return ureg.Quantity(value, unit)


T = TypeVar("T", bound="_Amount")


@total_ordering
class _Amount:
    """An immutable non-negative amount of one physical kind, held in a canonical unit."""

    __slots__ = ("_v",)
    _v: float

    KIND: ClassVar[str]
    CANONICAL: ClassVar[str]
    DIMENSION: ClassVar[str]
    EXAMPLE: ClassVar[str]

    def __init__(
        self,
        value: str | float | int | PintQuantity,
        unit: str | None = None,
        *,
        allow_zero: bool = False,
    ) -> None:
        if isinstance(value, _Amount):
            raise UnitError(f"pass a {self.KIND} as text or value and unit, not a {value.KIND}")
        if isinstance(value, str):
            if unit is not None:
                raise UnitError(f"give {self.KIND} either as text or as value and unit, not both")
            q = parse_quantity(value, what=self.KIND)
        elif isinstance(value, pint.Quantity):
            q = value
        elif isinstance(value, bool) or not isinstance(value, int | float):
            raise UnitError(f"{self.KIND} must be a number with a unit, got {value!r}")
        else:
            if unit is None:
                raise UnitError(
                    f"{self.KIND} {value} has no unit; a unitless {self.KIND} is refused "
                    f"(e.g. {self.EXAMPLE})"
                )
            try:
                q = ureg.Quantity(float(value), _unit(_normalise_unit_text(unit)))
            except (pint.UndefinedUnitError, pint.DefinitionSyntaxError, AttributeError,
                    ValueError, TypeError, AssertionError) as exc:
                raise UnitError(f"unknown unit '{unit}' for {self.KIND}") from exc
        object.__setattr__(self, "_v", self._canonical_value(q, allow_zero=allow_zero))

    @classmethod
    def _canonical_value(cls, q: PintQuantity, *, allow_zero: bool) -> float:
        if q.dimensionality != _unit(cls.CANONICAL).dimensionality:
            raise UnitError(
                f"{cls.KIND} needs a unit of {cls.DIMENSION} (e.g. {cls.EXAMPLE}); "
                f"'{q:~}' is {_describe(q)}"
            )
        v = float(q.to(_unit(cls.CANONICAL)).magnitude)
        if not math.isfinite(v):
            raise UnitError(f"{cls.KIND} must be a finite number, got {q.magnitude}")
        if v < 0:
            raise UnitError(f"{cls.KIND} cannot be negative: '{q:~}'")
        if v == 0 and not allow_zero:
            raise UnitError(f"{cls.KIND} must be greater than zero: '{q:~}'")
        return v

    @classmethod
    def _of(cls, canonical: float) -> Self:
        """Build from a value already in the canonical unit (zero allowed, negative refused)."""
        if not math.isfinite(canonical):
            raise UnitError(f"{cls.KIND} must be a finite number, got {canonical}")
        if canonical < 0:
            raise UnitError(f"{cls.KIND} cannot be negative ({canonical} {cls.CANONICAL})")
        obj = cls.__new__(cls)
        object.__setattr__(obj, "_v", float(canonical))
        return obj

    @classmethod
    def zero(cls) -> Self:
        return cls._of(0.0)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self)._of, (self._v,))

    @property
    def quantity(self) -> PintQuantity:
        return ureg.Quantity(self._v, _unit(self.CANONICAL))

    def to(self, unit: str) -> float:
        """The magnitude in ``unit`` (e.g. ``Dose("500 ug").to("mg") == 0.5``)."""
        try:
            return float(self.quantity.to(_unit(_normalise_unit_text(unit))).magnitude)
        except pint.DimensionalityError as exc:
            raise UnitError(f"cannot express {self} in '{unit}'") from exc
        except (pint.UndefinedUnitError, AttributeError, ValueError, TypeError) as exc:
            raise UnitError(f"unknown unit '{unit}'") from exc

    def to_json(self, unit: str | None = None) -> dict[str, Any]:
        u = unit or self.CANONICAL
        return quantity_json(self.to(u), u)

    @classmethod
    def from_json(cls, obj: Mapping[str, Any], *, allow_zero: bool = False) -> Self:
        value, unit = _json_parts(obj, cls.KIND)
        return cls(value, unit, allow_zero=allow_zero)

    def is_zero(self) -> bool:
        return self._v == 0.0

    # arithmetic within one kind
    def __add__(self, other: object) -> Self:
        if type(other) is not type(self):
            return NotImplemented
        return self._of(self._v + other._v)

    def __sub__(self, other: object) -> Self:
        if type(other) is not type(self):
            return NotImplemented
        diff = self._v - other._v
        if diff < 0:
            if diff > -1e-12 * max(1.0, self._v):
                diff = 0.0
            else:
                raise UnitError(f"{self} minus {other} would be negative")
        return self._of(diff)

    def __mul__(self, factor: object) -> Self:
        if isinstance(factor, bool) or not isinstance(factor, int | float):
            return NotImplemented
        return self._of(self._v * float(factor))

    __rmul__ = __mul__

    def __truediv__(self, other: object) -> Any:
        if type(other) is type(self):
            return self._v / other._v
        if isinstance(other, int | float) and not isinstance(other, bool):
            if other == 0:
                raise UnitError(f"cannot divide {self} by zero")
            return self._of(self._v / float(other))
        return NotImplemented

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._v == other._v

    def __lt__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._v < other._v

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._v))

    def __repr__(self) -> str:
        return f"{type(self).__name__}('{self}')"

    def __str__(self) -> str:
        return f"{_fmt(self._v)} {self.CANONICAL}"


class Dose(_Amount):
    """An amount of drug. ``Dose("0.5 mg")``, ``Dose(500, "mcg")``; ``.mg`` gives the float."""

    __slots__ = ()
    KIND = "dose"
    CANONICAL = "mg"
    DIMENSION = "mass"
    EXAMPLE = "'0.5 mg' or '500 mcg'"

    @property
    def mg(self) -> float:
        return self._v

    def __str__(self) -> str:
        if 0 < self._v < 0.1:
            return f"{_fmt(self._v * 1000)} ug"
        return f"{_fmt(self._v)} mg"

    def __truediv__(self, other: object) -> Any:
        if isinstance(other, Concentration):
            return Volume._of(self._v / other.mg_per_ml) if other.mg_per_ml else _div0(self)
        if isinstance(other, Volume):
            return Concentration._of(self._v / other.ml) if other.ml else _div0(self)
        return super().__truediv__(other)


class Concentration(_Amount):
    """Mass per volume: a liquid product's strength or a plasma level. Canonical mg/mL."""

    __slots__ = ()
    KIND = "concentration"
    CANONICAL = "mg/mL"
    DIMENSION = "mass per volume"
    EXAMPLE = "'2.5 mg/mL' or '10 ng/mL'"

    @property
    def mg_per_ml(self) -> float:
        return self._v

    @property
    def ng_per_ml(self) -> float:
        return self._v * 1e6

    def __mul__(self, other: object) -> Any:
        if isinstance(other, Volume):
            return Dose._of(self._v * other.ml)
        return super().__mul__(other)

    __rmul__ = __mul__

    def __str__(self) -> str:
        if 0 < self._v < 1e-3:
            return f"{_fmt(self._v * 1e6)} ng/mL"
        return f"{_fmt(self._v)} mg/mL"


class Volume(_Amount):
    """An amount of liquid. Canonical mL."""

    __slots__ = ()
    KIND = "volume"
    CANONICAL = "mL"
    DIMENSION = "volume"
    EXAMPLE = "'5 mL'"

    @property
    def ml(self) -> float:
        return self._v

    def __mul__(self, other: object) -> Any:
        if isinstance(other, Concentration):
            return Dose._of(self._v * other.mg_per_ml)
        return super().__mul__(other)

    __rmul__ = __mul__


def _div0(d: Dose) -> Any:
    raise UnitError(f"cannot divide {d} by zero")


def _describe(q: PintQuantity) -> str:
    dim = q.dimensionality
    names = {
        str(ureg.Quantity(1, "mg").dimensionality): "a mass",
        str(ureg.Quantity(1, "mL").dimensionality): "a volume",
        str(ureg.Quantity(1, "mg/mL").dimensionality): "a concentration",
        str(ureg.Quantity(1, "h").dimensionality): "a time",
        str(ureg.Quantity(1, "").dimensionality): "a pure number",
    }
    return names.get(str(dim), f"of dimension {dim}")


def _fmt(v: float) -> str:
    text = f"{v:.6g}"
    return text


def _json_parts(obj: Mapping[str, Any], what: str) -> tuple[float, str]:
    if not isinstance(obj, Mapping) or set(obj) != {"value", "unit"}:
        raise UnitError(
            f'{what} must be an object {{"value": number, "unit": "UCUM"}}, got {obj!r}'
        )
    value, unit = obj["value"], obj["unit"]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UnitError(f"{what} value must be a number, got {value!r}")
    if not isinstance(unit, str) or not unit:
        raise UnitError(f"{what} unit must be a UCUM string, got {unit!r}")
    return float(value), unit


def quantity_json(value: float, unit: str) -> dict[str, Any]:
    """``{"value": value, "unit": UCUM}``; integers stay integers where exact."""
    v: float | int = float(f"{float(value):.12g}")
    if float(v).is_integer() and abs(v) < 2**53:
        v = int(v)
    return {"value": v, "unit": _ucum_text(unit)}


@lru_cache(maxsize=1024)
def _ucum_text(unit: str) -> str:
    return ucum(_normalise_unit_text(unit)) if unit != "%" else "%"


def to_json(q: _Amount | PintQuantity, unit: str | None = None) -> dict[str, Any]:
    """Any quantity as ``{"value", "unit"}`` in UCUM."""
    if isinstance(q, _Amount):
        return q.to_json(unit)
    if unit is not None:
        q = q.to(_unit(_normalise_unit_text(unit)))
    return quantity_json(float(q.magnitude), ucum(q.units))


def from_json(obj: Mapping[str, Any], *, what: str = "quantity") -> PintQuantity:
    """Parse a ``{"value", "unit"}`` object into a pint Quantity (finite, unit known)."""
    value, unit = _json_parts(obj, what)
    if not math.isfinite(value):
        raise UnitError(f"{what} must be a finite number")
    try:
        return ureg.Quantity(value, _unit(_normalise_unit_text(unit)))
    except (pint.UndefinedUnitError, pint.DefinitionSyntaxError, AttributeError, ValueError,
            TypeError, AssertionError) as exc:
        raise UnitError(f"unknown unit '{unit}' in {what}") from exc


def parse_dose(
    text: str,
    *,
    per_count: Mapping[str, Dose] | None = None,
    allow_zero: bool = False,
) -> Dose:
    """Parse a dose. Counts ("1 tablet", "2 odt") are accepted only when ``per_count`` gives
    the strength of one unit, e.g. ``parse_dose("1 tablet", per_count={"tablet": Dose("0.5 mg")})``.
    """
    m = _QTY_RE.match(text) if isinstance(text, str) else None
    if m and m.group("unit"):
        word = m.group("unit").strip().lower()
        if word in _COUNT_UNITS:
            kind = _COUNT_UNITS[word]
            strength = (per_count or {}).get(kind)
            if strength is None:
                raise UnitError(
                    f"'{text}' counts {kind}s, but no product strength was given; "
                    f"name the amount (e.g. '0.5 mg') or the product"
                )
            count = _parse_number(m.group("num"), text)
            if not math.isfinite(count) or count < 0 or (count == 0 and not allow_zero):
                raise UnitError(f"dose '{text}' must be a positive count")
            return strength * count
    return Dose(text, allow_zero=allow_zero)


__all__ += ["parse_dose"]
