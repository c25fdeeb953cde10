"""What a patient can actually take: givable amounts per administration from real products.

A :class:`ProductSet` holds, for one drug in one market, the pieces the patient may take
(whole tablets, halves or quarters of scored tablets when allowed, whole orally
disintegrating tablets) and optionally a liquid measured in steps of the stated precision.
Amounts are exact: every amount is an integer number of the set's *quantum* (the greatest
common divisor of all piece amounts and the liquid step, as a :class:`~fractions.Fraction`
of a milligram), so sums in schedules and dispensing lists are exact.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Any

from benzoplan.drugs import get_drug
from benzoplan.drugs.schema import Product
from benzoplan.errors import InputError
from benzoplan.units import Concentration, Dose, Volume, quantity_json

__all__ = ["Portion", "ProductOptions", "ProductRef", "ProductSet", "exact", "fmt_mg"]

_LIQUID_FORMS = ("oral_solution", "oral_drops")
# Preference between ways of giving one administration (lower is simpler for the patient).
_COST_WHOLE = 1.0
_COST_ODT = 1.1
_COST_LIQUID = 1.3
_COST_HALF = 1.6
_COST_QUARTER = 2.2


def exact(value: float) -> Fraction:
    """A float from a unit value as the exact decimal it was written as (0.1 → 1/10)."""
    return Fraction(format(value, ".12g"))


def fmt_mg(v: Fraction) -> str:
    return f"{float(v):.6g} mg"


@dataclass(frozen=True)
class ProductRef:
    """A product as the schedule names it: form and strength (mg, or mg/mL for a liquid)."""

    drug: str
    form: str
    strength: Fraction
    label: str
    source: str | None = None

    @property
    def liquid(self) -> bool:
        return self.form in _LIQUID_FORMS

    def to_json(self) -> dict[str, Any]:
        unit = "mg/mL" if self.liquid else "mg"
        return {"drug": self.drug, "form": self.form,
                "strength": quantity_json(float(self.strength), unit),
                "label": self.label, "source": self.source}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> ProductRef:
        return cls(drug=obj["drug"], form=obj["form"], strength=exact(obj["strength"]["value"]),
                   label=obj["label"], source=obj.get("source"))


@dataclass(frozen=True)
class Portion:
    """The part of one administration given with one product: a count of tablets or a volume."""

    product: ProductRef
    dose_mg: Fraction
    count: Fraction | None = None
    volume_ml: Fraction | None = None

    def describe(self) -> str:
        if self.volume_ml is not None:
            return f"{float(self.volume_ml):g} mL of {self.product.label}"
        assert self.count is not None
        return f"{_count_text(self.count)} × {self.product.label}"

    def short(self) -> str:
        """Compact text for tables: '1½ × 0.5 mg tab', '2 × 0.125 mg ODT', '3.5 mL liquid'."""
        if self.volume_ml is not None:
            return f"{float(self.volume_ml):g} mL of {float(self.product.strength):g} mg/mL"
        assert self.count is not None
        form = {"tablet": "tab", "odt": "ODT"}.get(self.product.form, self.product.form)
        return f"{_count_text(self.count)} × {float(self.product.strength):g} mg {form}"


def _count_text(c: Fraction) -> str:
    whole, rest = divmod(c, 1)
    names = {Fraction(1, 2): "½", Fraction(1, 4): "¼", Fraction(3, 4): "¾"}
    if rest == 0:
        return str(int(whole))
    part = names.get(rest, f"{float(rest):g}")
    return part if whole == 0 else f"{int(whole)}{part}"


@dataclass(frozen=True)
class ProductOptions:
    """The clinician's choices of what the patient may take.

    ``halves``/``quarters`` allow splitting scored tablets; ``odt`` allows orally
    disintegrating tablets (never split); ``liquid`` (mg/mL) with ``measure`` (the smallest
    volume the patient can measure, mL) allows an oral liquid in steps of ``measure``.
    """

    tablets: bool = True
    halves: bool = True
    quarters: bool = False
    odt: bool = True
    liquid: Concentration | None = None
    measure: Volume | None = None

    def __post_init__(self) -> None:
        if (self.liquid is None) != (self.measure is None):
            raise InputError("a liquid needs both its strength (e.g. '0.1 mg/mL') and the "
                             "smallest volume the patient can measure (e.g. '0.1 mL')",
                             field="liquid")
        if not (self.tablets or self.odt or self.liquid is not None):
            raise InputError("no product form is allowed: allow tablets, orally "
                             "disintegrating tablets or a liquid", field="products")

    def to_json(self) -> dict[str, Any]:
        return {"tablets": self.tablets, "halves": self.halves, "quarters": self.quarters,
                "odt": self.odt,
                "liquid": None if self.liquid is None else self.liquid.to_json(),
                "measure": None if self.measure is None else self.measure.to_json()}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> ProductOptions:
        return cls(tablets=obj["tablets"], halves=obj["halves"], quarters=obj["quarters"],
                   odt=obj["odt"],
                   liquid=None if obj["liquid"] is None else Concentration.from_json(obj["liquid"]),
                   measure=None if obj["measure"] is None else Volume.from_json(obj["measure"]))


def _gcd(a: Fraction, b: Fraction) -> Fraction:
    num = math.gcd(a.numerator * b.denominator, b.numerator * a.denominator)
    return Fraction(num, a.denominator * b.denominator)


@dataclass(frozen=True)
class _Piece:
    product: ProductRef
    fraction: Fraction
    units: int
    cost: float


@dataclass
class ProductSet:
    """Givable amounts of one drug per administration, with the simplest way to give each."""

    drug: str
    market: str
    pieces: tuple[_Piece, ...]
    liquid: ProductRef | None
    measure_ml: Fraction | None
    quantum: Fraction
    liquid_units: int = 0
    _cost: list[float] = field(default_factory=list, repr=False)
    _choice: list[int] = field(default_factory=list, repr=False)
    _total: list[float] = field(default_factory=list, repr=False)
    _liquid_part: list[int] = field(default_factory=list, repr=False)
    _givable: list[int] = field(default_factory=list, repr=False)

    @classmethod
    def build(cls, drug: str, market: str, options: ProductOptions) -> ProductSet:
        """The product set for ``drug`` in ``market`` (shared: its tables only grow)."""
        return _build(get_drug(drug).name, market, options)

    @classmethod
    def _make(cls, drug: str, market: str, options: ProductOptions) -> ProductSet:
        d = get_drug(drug)
        products = d.products_for(market)
        if not products:
            markets = sorted({p.market for p in d.products})
            raise InputError(f"no {d.name} products are known for market '{market}'; "
                             f"markets with products: {', '.join(markets) or 'none'}",
                             field="market")
        pieces: list[tuple[ProductRef, Fraction, Fraction, float]] = []
        liquid: ProductRef | None = None
        for p in sorted(products, key=_product_order):
            if p.form in _LIQUID_FORMS:
                continue
            if p.form == "odt" and not options.odt:
                continue
            if p.form != "odt" and not options.tablets:
                continue
            ref = _ref(d.name, p)
            mg = ref.strength
            pieces.append((ref, Fraction(1), mg, _COST_ODT if p.form == "odt" else _COST_WHOLE))
            if p.form != "odt" and p.splittable:
                if options.halves:
                    pieces.append((ref, Fraction(1, 2), mg / 2, _COST_HALF))
                if options.quarters:
                    pieces.append((ref, Fraction(1, 4), mg / 4, _COST_QUARTER))
        measure: Fraction | None = None
        if options.liquid is not None and options.measure is not None:
            conc = exact(options.liquid.mg_per_ml)
            measure = exact(options.measure.ml)
            known = next((p for p in products if p.form in _LIQUID_FORMS
                          and exact(Concentration(p.strength.value, p.strength.unit).mg_per_ml)
                          == conc), None)
            liquid = (_ref(d.name, known) if known is not None else
                      ProductRef(drug=d.name, form="oral_solution", strength=conc,
                                 label=f"{float(conc):g} mg/mL oral liquid (as prescribed)"))
        if not pieces and liquid is None:
            raise InputError(f"the allowed forms leave no {d.name} product in market "
                             f"'{market}'; allow another form or state a liquid",
                             field="products")
        amounts = [mg for _, _, mg, _ in pieces]
        if liquid is not None and measure is not None:
            amounts.append(liquid.strength * measure)
        q = amounts[0]
        for a in amounts[1:]:
            q = _gcd(q, a)
        built = tuple(_Piece(ref, frac, int(mg / q), cost) for ref, frac, mg, cost in pieces)
        ps = cls(drug=d.name, market=market, pieces=built, liquid=liquid, measure_ml=measure,
                 quantum=q)
        if liquid is not None and measure is not None:
            ps.liquid_units = int(liquid.strength * measure / q)
        ps._cost = [0.0]
        ps._choice = [-1]
        ps._total = [0.0]
        ps._liquid_part = [0]
        return ps

    # --- exact conversions -------------------------------------------------------------
    def units(self, mg: Fraction) -> int | None:
        """``mg`` as a whole number of quanta, or None if it is not a multiple."""
        k = mg / self.quantum
        return int(k) if k.denominator == 1 else None

    def mg(self, units: int) -> Fraction:
        return self.quantum * units

    # --- the table of givable amounts ---------------------------------------------------
    def _extend(self, k: int) -> None:
        inf = math.inf
        n = len(self._cost)
        if k < n:
            return
        k = max(k, 2 * n)
        for amount in range(n, k + 1):
            best, choice = inf, -1
            for idx, piece in enumerate(self.pieces):
                if piece.units <= amount:
                    c = self._cost[amount - piece.units] + piece.cost
                    if c < best - 1e-9:
                        best, choice = c, idx
            self._cost.append(best)
            self._choice.append(choice)
            total, lpart = best, 0
            # one administration is either tablets or a measured liquid, never a mix
            if (self.liquid_units and amount % self.liquid_units == 0
                    and total - 1e-9 > _COST_LIQUID):
                total, lpart = _COST_LIQUID, amount
            self._total.append(total)
            self._liquid_part.append(lpart)
            if total < inf:
                self._givable.append(amount)

    def givable(self, units: int) -> bool:
        if units == 0:
            return True
        self._extend(units)
        return self._total[units] < math.inf

    def below(self, units: int) -> int:
        """The largest givable amount strictly below ``units`` (0 if none)."""
        self._extend(units)
        i = bisect.bisect_left(self._givable, units)
        return self._givable[i - 1] if i > 0 else 0

    def at_least(self, units: int) -> int:
        """The smallest givable amount at or above ``units``."""
        k = max(units, 1)
        while True:
            self._extend(k)
            i = bisect.bisect_left(self._givable, units)
            if i < len(self._givable):
                return self._givable[i]
            k *= 2

    @property
    def smallest(self) -> int:
        """The smallest amount that can be given at all (one administration)."""
        return self.at_least(1)

    def portions(self, units: int) -> tuple[Portion, ...]:
        """The simplest way to give ``units``: one :class:`Portion` per product used."""
        if not self.givable(units):
            raise InputError(f"{fmt_mg(self.mg(units))} of {self.drug} cannot be given with "
                             "the allowed products", field="dose")
        if units == 0:
            return ()
        counts: dict[ProductRef, Fraction] = {}
        liquid_units = self._liquid_part[units]
        rest = units - liquid_units
        while rest > 0:
            piece = self.pieces[self._choice[rest]]
            counts[piece.product] = counts.get(piece.product, Fraction(0)) + piece.fraction
            rest -= piece.units
        out = [Portion(product=p, dose_mg=p.strength * c, count=c) for p, c in counts.items()]
        out.sort(key=lambda x: (-x.product.strength, x.product.form))
        if liquid_units:
            assert self.liquid is not None and self.measure_ml is not None
            steps = liquid_units // self.liquid_units
            vol = self.measure_ml * steps
            out.append(Portion(product=self.liquid, dose_mg=self.liquid.strength * vol,
                               volume_ml=vol))
        return tuple(out)

    def describe_forms(self) -> str:
        seen: list[str] = []
        for p in self.pieces:
            text = p.product.label if p.fraction == 1 else (
                f"{'½' if p.fraction == Fraction(1, 2) else '¼'} of {p.product.label}")
            if text not in seen:
                seen.append(text)
        if self.liquid is not None and self.measure_ml is not None:
            seen.append(f"{self.liquid.label} in steps of {float(self.measure_ml):g} mL")
        return "; ".join(seen)


@lru_cache(maxsize=256)
def _build(drug: str, market: str, options: ProductOptions) -> ProductSet:
    return ProductSet._make(drug, market, options)


def _product_order(p: Product) -> tuple[int, float]:
    forms = {"tablet": 0, "odt": 1, "capsule": 2}
    return (forms.get(p.form, 3), -Dose(p.strength.value, p.strength.unit).mg
            if p.form not in _LIQUID_FORMS else 0.0)


def _ref(drug: str, p: Product) -> ProductRef:
    if p.form in _LIQUID_FORMS:
        strength = exact(Concentration(p.strength.value, p.strength.unit).mg_per_ml)
    else:
        strength = exact(Dose(p.strength.value, p.strength.unit).mg)
    return ProductRef(drug=drug, form=p.form, strength=strength, label=p.label(),
                      source=p.source)

