"""Free-text medicine names → medicine classes (``data/medicines.toml``).

A name resolves when, after lower-casing and collapsing spaces, it equals a generic name or
synonym, or contains one as whole words ("Oxycodone 5 mg tablet", "Percocet 5/325"). The
longest matching name wins. A name that matches nothing is returned as unresolved: the
engine lists it, it is never dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from benzoplan.safety.knowledge import MedicineEntry, safety_data

__all__ = ["MedicineMatch", "resolve_medicine", "resolve_rxnorm"]


@dataclass(frozen=True)
class MedicineMatch:
    text: str  # as the user wrote it
    medicine: MedicineEntry

    @property
    def classes(self) -> tuple[str, ...]:
        return self.medicine.classes


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^\w'/+-]+", " ", text.lower()).split())


@cache
def _index() -> tuple[dict[str, MedicineEntry], tuple[tuple[re.Pattern[str], MedicineEntry], ...]]:
    exact: dict[str, MedicineEntry] = {}
    for med in safety_data().medicines:
        for alias in (med.name, *med.synonyms):
            exact[_normal(alias)] = med
    patterns = tuple(
        (re.compile(rf"(?<![\w]){re.escape(alias)}(?![\w])"), exact[alias])
        for alias in sorted(exact, key=lambda a: (-len(a), a))
    )
    return exact, patterns


def resolve_medicine(text: str) -> MedicineMatch | None:
    """The medicine ``text`` names, or ``None`` if it names none that benzoplan knows."""
    key = _normal(text)
    if not key:
        return None
    exact, patterns = _index()
    if key in exact:
        return MedicineMatch(text, exact[key])
    for pattern, med in patterns:
        if pattern.search(key):
            return MedicineMatch(text, med)
    return None


def resolve_rxnorm(code: str) -> MedicineEntry | None:
    """The medicine whose RxNorm ingredient concept id is ``code`` (ingredient level only)."""
    for med in safety_data().medicines:
        if med.rxnorm == code:
            return med
    return None
