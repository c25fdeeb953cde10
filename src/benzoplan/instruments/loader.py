"""Load and validate the packaged instrument files and their bibliography (once, at first use)."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from pydantic import ValidationError

from benzoplan.datafiles import read_toml
from benzoplan.errors import DataError, UnknownItem
from benzoplan.instruments.schema import Instrument, Source

__all__ = ["bibliography", "get_instrument", "list_instruments"]

_BIBLIOGRAPHY = "bibliography.toml"


def _read(name: str) -> dict[str, Any]:
    return read_toml("benzoplan.instruments", name)


def _normal(name: str) -> str:
    return "".join(ch for ch in name.strip().lower() if ch.isalnum())


def _resolve_options(data: dict[str, Any], file: str) -> dict[str, Any]:
    sets = data.pop("option_sets", {})
    for item in data.get("items", []):
        opts = item.get("options")
        if isinstance(opts, str):
            if opts not in sets:
                raise DataError(f"{file}: item {item.get('number')} names unknown option set "
                                f"'{opts}'")
            item["options"] = sets[opts]["options"]
    return data


@dataclass(frozen=True)
class _Catalogue:
    instruments: Mapping[str, Instrument]
    sources: Mapping[str, Source]
    aliases: Mapping[str, str]


@cache
def _catalogue() -> _Catalogue:
    try:
        sources = {k: Source(key=k, **v)
                   for k, v in _read(_BIBLIOGRAPHY).get("sources", {}).items()}
    except ValidationError as exc:
        raise DataError(f"instruments/{_BIBLIOGRAPHY} is invalid: {exc}") from exc
    found: dict[str, Instrument] = {}
    folder = resources.files("benzoplan.instruments") / "data"
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".toml") or entry.name == _BIBLIOGRAPHY:
            continue
        try:
            inst = Instrument.model_validate(_resolve_options(_read(entry.name), entry.name))
        except ValidationError as exc:
            raise DataError(f"instrument file {entry.name} is invalid: {exc}") from exc
        cited = {inst.source, inst.licence.source, *(b.source for b in inst.bands),
                 *(s.source for s in inst.subscales), *(a.source for a in inst.alerts)}
        missing = cited - set(sources)
        if missing:
            raise DataError(f"{entry.name} cites unknown sources: {sorted(missing)}")
        found[inst.name] = inst
    aliases: dict[str, str] = {}
    for inst in found.values():
        for alias in (inst.name, *inst.aliases):
            aliases[_normal(alias)] = inst.name
    return _Catalogue(found, sources, aliases)


def get_instrument(name: str) -> Instrument:
    """The instrument called ``name`` (``ciwa-b``, ``bwsq``, ``sds``, ``isi``, ``phq-9``,
    ``cows``, ``c-ssrs`` or an alias); :class:`UnknownItem` with suggestions otherwise."""
    cat = _catalogue()
    if not isinstance(name, str) or not name.strip():
        raise UnknownItem("no instrument name given", field="instrument")
    hit = cat.aliases.get(_normal(name))
    if hit is not None:
        return cat.instruments[hit]
    close = difflib.get_close_matches(name.strip().lower(), list(cat.instruments), n=3,
                                      cutoff=0.5)
    known = ", ".join(cat.instruments)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    raise UnknownItem(f"unknown instrument '{name}'{hint} Known instruments: {known}",
                      field="instrument", suggestions=tuple(close))


def list_instruments() -> tuple[Instrument, ...]:
    """Every packaged instrument, in the order of the command-line names."""
    order = ("ciwa-b", "bwsq", "sds", "isi", "phq-9", "cows", "c-ssrs")
    insts = _catalogue().instruments
    return tuple(sorted(insts.values(),
                        key=lambda i: order.index(i.name) if i.name in order else len(order)))


def bibliography() -> Mapping[str, Source]:
    return _catalogue().sources
