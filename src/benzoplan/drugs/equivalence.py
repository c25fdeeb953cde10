"""Approximate dose equivalence between benzodiazepines (to diazepam 10 mg tables)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from benzoplan.drugs.loader import get_drug
from benzoplan.drugs.schema import Drug
from benzoplan.errors import UnknownItem
from benzoplan.units import Dose

__all__ = ["Conversion", "convert", "diazepam_equivalent"]

_NOTE = (
    "Equivalence tables disagree and conversion is approximate: individual response varies. "
    "Use the range, start conservatively and adjust to the patient's response."
)


@dataclass(frozen=True)
class Conversion:
    """Result of :func:`convert`: the default table's value, the range across tables, sources."""

    dose: Dose
    drug: str
    to: str
    equivalent: Dose
    low: Dose
    high: Dose
    table: str
    by_table: tuple[tuple[str, Dose], ...]
    sources: tuple[str, ...]
    note: str = _NOTE

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.dose.to_json(),
            "drug": self.drug,
            "to": self.to,
            "equivalent": self.equivalent.to_json(),
            "range": {"low": self.low.to_json(), "high": self.high.to_json()},
            "table": self.table,
            "by_table": {t: d.to_json() for t, d in self.by_table},
            "sources": list(self.sources),
            "note": self.note,
        }


def _per_table(drug: Drug) -> dict[str, tuple[Dose, Dose, Dose, str]]:
    out: dict[str, tuple[Dose, Dose, Dose, str]] = {}
    for v in drug.equivalence.values:
        d = Dose(v.dose.value, v.dose.unit)
        lo = Dose(v.low.value, v.low.unit) if v.low else d
        hi = Dose(v.high.value, v.high.unit) if v.high else d
        out[v.table] = (d, lo, hi, v.source)
    return out


def _shared_table(src: Drug, dst: Drug) -> str:
    """The table to read both drugs from: one table for both whenever they share one.

    Preference: the source drug's default, then the target's default, then the first
    shared table by name; with no shared table, the source's default (the target is then
    read from its own default table).
    """
    src_tables = {v.table for v in src.equivalence.values}
    dst_tables = {v.table for v in dst.equivalence.values}
    for t in (src.equivalence.default, dst.equivalence.default, *sorted(src_tables)):
        if t in src_tables and t in dst_tables:
            return t
    return src.equivalence.default


def convert(dose: Dose, drug: str, *, to: str, table: str | None = None) -> Conversion:
    """Convert ``dose`` of ``drug`` to the approximately equivalent dose of ``to``.

    ``equivalent`` uses ``table`` (default: a table both drugs appear in, preferring the
    source drug's default); ``low``/``high`` span every table either drug appears in,
    including each table's own range.
    """
    if not isinstance(dose, Dose):
        raise UnknownItem("convert needs a Dose, e.g. Dose('2 mg')", field="dose")
    src, dst = get_drug(drug), get_drug(to)
    a, b = _per_table(src), _per_table(dst)
    chosen = table or _shared_table(src, dst)
    if chosen not in a:
        raise UnknownItem(
            f"no equivalence table '{chosen}' for {src.name}; tables: {', '.join(sorted(a))}",
            field="table",
            suggestions=tuple(sorted(a)),
        )

    def one(t: str) -> tuple[Dose, Dose, Dose, tuple[str, ...]]:
        fa = a[t]
        fb = b[t] if t in b else b[dst.equivalence.default]
        mid = dose * (fb[0].mg / fa[0].mg)
        lo = dose * (fb[1].mg / fa[2].mg)
        hi = dose * (fb[2].mg / fa[1].mg)
        return mid, lo, hi, (fa[3], fb[3])

    results = {t: one(t) for t in sorted(a)}
    equivalent = results[chosen][0]
    lows = [r[1] for r in results.values()] + [r[0] for r in results.values()]
    highs = [r[2] for r in results.values()] + [r[0] for r in results.values()]
    sources: list[str] = []
    for r in results.values():
        for s in r[3]:
            if s not in sources:
                sources.append(s)
    return Conversion(
        dose=dose,
        drug=src.name,
        to=dst.name,
        equivalent=equivalent,
        low=min(lows),
        high=max(highs),
        table=chosen,
        by_table=tuple((t, r[0]) for t, r in results.items()),
        sources=tuple(sources),
    )


def diazepam_equivalent(dose: Dose, drug: str, *, table: str | None = None) -> Dose:
    """The diazepam-equivalent amount of ``dose`` in the chosen (default) table."""
    return convert(dose, drug, to="diazepam", table=table).equivalent
