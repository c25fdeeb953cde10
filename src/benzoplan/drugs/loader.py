"""Load and validate the packaged drug files and bibliography (once, at first use)."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from pydantic import ValidationError

from benzoplan.datafiles import read_toml
from benzoplan.drugs.schema import Drug, Source, iter_sources
from benzoplan.errors import DataError, UnknownDrug

__all__ = ["KnowledgeBase", "bibliography", "get_drug", "knowledge_base", "list_drugs"]

_BIBLIOGRAPHY = "bibliography.toml"


def _read_toml(name: str) -> dict[str, Any]:
    return read_toml("benzoplan.drugs", name)


def _normal(name: str) -> str:
    return " ".join(name.strip().lower().replace("_", " ").split())


@dataclass(frozen=True)
class KnowledgeBase:
    """All drugs, the bibliography, and the index of names, brands and synonyms."""

    drugs: Mapping[str, Drug]
    sources: Mapping[str, Source]
    aliases: Mapping[str, tuple[str, str]]  # normalised alias -> (display alias, drug name)

    def get(self, name: str) -> Drug:
        if not isinstance(name, str) or not name.strip():
            raise UnknownDrug("no drug name given", field="drug")
        hit = self.aliases.get(_normal(name))
        if hit is not None:
            return self.drugs[hit[1]]
        close = difflib.get_close_matches(_normal(name), list(self.aliases), n=3, cutoff=0.6)
        if close:
            display, drug = self.aliases[close[0]]
            hint = f"'{display}'" if display == drug else f"'{display}' ({drug})"
            raise UnknownDrug(
                f"unknown drug '{name}'; did you mean {hint}?",
                field="drug",
                suggestions=tuple(self.aliases[c][0] for c in close),
            )
        known = ", ".join(sorted(self.drugs))
        raise UnknownDrug(f"unknown drug '{name}'; known drugs: {known}", field="drug")

    def cite(self, key: str) -> Source:
        return self.sources[key]


def _load() -> KnowledgeBase:
    raw_bib = _read_toml(_BIBLIOGRAPHY).get("sources", {})
    try:
        sources = {k: Source(key=k, **v) for k, v in raw_bib.items()}
    except ValidationError as exc:
        raise DataError(f"{_BIBLIOGRAPHY} is invalid: {exc}") from exc
    drugs: dict[str, Drug] = {}
    folder = resources.files("benzoplan.drugs") / "data"
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".toml") or entry.name == _BIBLIOGRAPHY:
            continue
        data = _read_toml(entry.name)
        try:
            drug = Drug.model_validate(data)
        except ValidationError as exc:
            raise DataError(f"drug data file {entry.name} is invalid: {exc}") from exc
        if entry.name != f"{drug.name}.toml":
            raise DataError(f"{entry.name} holds drug '{drug.name}'; name the file after it")
        missing = sorted({s for s in iter_sources(drug) if s not in sources})
        if missing:
            raise DataError(f"{entry.name} cites unknown sources: {', '.join(missing)}")
        drugs[drug.name] = drug
    aliases: dict[str, tuple[str, str]] = {}
    for drug in drugs.values():
        for alias in (drug.name, *drug.synonyms, *drug.brand_names()):
            key = _normal(alias)
            if key in aliases and aliases[key][1] != drug.name:
                raise DataError(f"name '{alias}' is used by {aliases[key][1]} and {drug.name}")
            aliases[key] = (alias, drug.name)
    return KnowledgeBase(drugs=drugs, sources=sources, aliases=aliases)


@cache
def knowledge_base() -> KnowledgeBase:
    """The validated knowledge base (loaded once per process)."""
    return _load()


def get_drug(name: str) -> Drug:
    """A drug by name, synonym or brand (case-insensitive); :class:`UnknownDrug` otherwise."""
    return knowledge_base().get(name)


def list_drugs() -> tuple[Drug, ...]:
    return tuple(knowledge_base().drugs[k] for k in sorted(knowledge_base().drugs))


def bibliography() -> Mapping[str, Source]:
    return knowledge_base().sources
