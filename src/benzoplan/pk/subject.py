"""The simulated person: body weight, age, liver function and co-medications."""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import Literal, get_args

from benzoplan.errors import InputError, UnknownItem
from benzoplan.pk._data import covariate_data

__all__ = ["HepaticImpairment", "Subject"]

HepaticImpairment = Literal["none", "mild", "moderate", "severe"]


@dataclass(frozen=True)
class Subject:
    """Covariates of one person; defaults describe a typical adult (70 kg, 40 years).

    ``comedications`` are names from the pk covariate data (inducers such as carbamazepine,
    phenytoin; CYP3A4 inhibitors such as clarithromycin); unknown names are refused.
    """

    weight_kg: float = 70.0
    age_years: float = 40.0
    hepatic_impairment: HepaticImpairment = "none"
    comedications: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        limits = covariate_data().limits
        for name, value, rng, unit in (
            ("weight_kg", self.weight_kg, limits.weight_kg, "kg"),
            ("age_years", self.age_years, limits.age_years, "years"),
        ):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InputError(f"{name} must be a number, got {value!r}", field=name)
            if not math.isfinite(value) or not rng.low < value <= rng.high:
                if name == "age_years" and value == rng.low == 0:
                    continue
                raise InputError(
                    f"{name} = {value} {unit} is impossible; expected {rng.low:g} < value ≤ "
                    f"{rng.high:g} {unit}",
                    field=name,
                )
            object.__setattr__(self, name, float(value))
        if self.hepatic_impairment not in get_args(HepaticImpairment):
            raise InputError(
                f"hepatic_impairment must be one of {', '.join(get_args(HepaticImpairment))}, "
                f"got {self.hepatic_impairment!r}",
                field="hepatic_impairment",
            )
        if isinstance(self.comedications, str):
            raise InputError("comedications must be a list of names", field="comedications")
        names: list[str] = []
        known = [c.name for c in covariate_data().comedications]
        for raw in self.comedications:
            key = str(raw).strip().lower()
            if covariate_data().comedication(key) is None:
                close = tuple(difflib.get_close_matches(key, known, n=3, cutoff=0.6))
                hint = f"; did you mean {close[0]}?" if close else f"; known: {', '.join(known)}"
                raise UnknownItem(f"unknown co-medication '{raw}'{hint}",
                                  field="comedications", suggestions=close)
            if key not in names:
                names.append(key)
        object.__setattr__(self, "comedications", tuple(names))

    @property
    def older_adult(self) -> bool:
        return self.age_years >= 65
