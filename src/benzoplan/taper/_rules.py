"""Load the taper rules (``data/rules.toml``) and their bibliography, validated at first use."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from benzoplan.datafiles import read_toml
from benzoplan.drugs import Source, bibliography
from benzoplan.errors import DataError

__all__ = ["Rule", "rule", "rules", "taper_sources"]


class Rule(BaseModel):
    """One rule: its numbers, the text findings quote, and its source key."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    source: str
    text: str
    assumption: bool = False
    percent: float | None = None
    days: int | None = None
    months: int | None = None
    years: float | None = None


def _read(name: str) -> dict[str, Any]:
    return read_toml("benzoplan.taper", name)


@cache
def taper_sources() -> Mapping[str, Source]:
    """Every source a taper rule may cite: this package's bibliography plus the drugs one."""
    raw = _read("bibliography.toml").get("sources", {})
    try:
        own = {k: Source(key=k, **v) for k, v in raw.items()}
    except ValidationError as exc:
        raise DataError(f"taper bibliography.toml is invalid: {exc}") from exc
    return {**bibliography(), **own}


@cache
def rules() -> Mapping[str, Rule]:
    raw = _read("rules.toml").get("rules", {})
    try:
        out = {k: Rule(name=k, **v) for k, v in raw.items()}
    except ValidationError as exc:
        raise DataError(f"taper rules.toml is invalid: {exc}") from exc
    known = taper_sources()
    missing = sorted({r.source for r in out.values() if r.source not in known})
    if missing:
        raise DataError(f"taper rules cite unknown sources: {', '.join(missing)}")
    return out


def rule(name: str) -> Rule:
    return rules()[name]
