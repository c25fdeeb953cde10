"""Load and validate the monitoring data files: symptom checklist, rule parameters, sources."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from benzoplan.datafiles import read_toml
from benzoplan.errors import DataError
from benzoplan.instruments.schema import Source

__all__ = ["Parameter", "Symptom", "parameter", "sources", "symptoms"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Symptom(_Frozen):
    code: str
    label: str
    group: Literal["withdrawal", "overdose"]
    source: str
    red_flag_at: int | None = None
    red_flag: str | None = None
    assumption: bool = False


class Parameter(_Frozen):
    name: str
    value: float
    unit: str
    source: str
    assumption: bool
    note: str


@dataclass(frozen=True)
class _Data:
    symptoms: tuple[Symptom, ...]
    parameters: Mapping[str, Parameter]
    sources: Mapping[str, Source]


def _read(name: str) -> dict[str, Any]:
    return read_toml("benzoplan.monitoring", name)


@cache
def _data() -> _Data:
    try:
        srcs = {k: Source(key=k, **v) for k, v in _read("bibliography.toml")["sources"].items()}
        syms = tuple(Symptom(**s) for s in _read("symptoms.toml")["symptoms"])
        params = {k: Parameter(name=k, **v)
                  for k, v in _read("rules.toml")["parameters"].items()}
    except (ValidationError, KeyError, TypeError) as exc:
        raise DataError(f"monitoring data files are invalid: {exc}") from exc
    cited = {s.source for s in syms} | {p.source for p in params.values()}
    if cited - set(srcs):
        raise DataError(f"monitoring data cites unknown sources: {sorted(cited - set(srcs))}")
    codes = [s.code for s in syms]
    if len(set(codes)) != len(codes):
        raise DataError("symptoms.toml: symptom codes repeat")
    for s in syms:
        if (s.red_flag_at is None) != (s.red_flag is None):
            raise DataError(f"symptoms.toml: {s.code} needs both red_flag_at and red_flag")
    return _Data(syms, params, srcs)


def symptoms() -> tuple[Symptom, ...]:
    """The withdrawal-symptom checklist, in display order."""
    return _data().symptoms


@cache
def symptom_codes() -> frozenset[str]:
    """The codes of :func:`symptoms` (checked on every diary entry, so kept)."""
    return frozenset(s.code for s in symptoms())


def parameter(name: str) -> Parameter:
    return _data().parameters[name]


def sources() -> Mapping[str, Source]:
    return _data().sources
