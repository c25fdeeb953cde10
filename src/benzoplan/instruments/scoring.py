"""Scoring of a complete response set: validation, total, subscales, band, drivers, alerts.

Validation is all-or-nothing: every problem in the answers is collected and reported in one
:class:`~benzoplan.errors.InputError`; no partial score is ever returned.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from benzoplan.errors import InputError
from benzoplan.instruments.loader import get_instrument
from benzoplan.instruments.schema import AlertRule, Band, Instrument

__all__ = ["Driver", "InstrumentAlert", "Score", "score", "validate_answers"]


@dataclass(frozen=True)
class Driver:
    """An item behind the band: without it (and the other drivers) the total would fall below."""

    item: int
    domain: str
    value: int

    def to_json(self) -> dict[str, Any]:
        return {"item": str(self.item), "domain": self.domain, "value": self.value}


@dataclass(frozen=True)
class InstrumentAlert:
    code: str
    level: str
    why: str
    action: str
    source: str
    item: int | None

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "level": self.level, "why": self.why, "action": self.action,
                "source": self.source, "item": None if self.item is None else str(self.item)}


@dataclass(frozen=True)
class Score:
    instrument: str
    total: int
    max_total: int
    subscales: Mapping[str, int]
    band: Band
    drivers: tuple[Driver, ...]
    alerts: tuple[InstrumentAlert, ...]
    answers: Mapping[int, int]

    def to_json(self) -> dict[str, Any]:
        """Issue 6's JSON contract: instrument, total, subscales, band, drivers, alerts."""
        return {
            "instrument": self.instrument,
            "total": self.total,
            "max_total": self.max_total,
            "subscales": dict(self.subscales),
            "band": self.band.to_json(),
            "drivers": [d.to_json() for d in self.drivers],
            "alerts": [a.to_json() for a in self.alerts],
            "answers": {str(k): v for k, v in sorted(self.answers.items())},
        }


def _key(raw: object) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.strip().isdigit():
        return int(raw.strip())
    return None


def validate_answers(inst: Instrument, answers: Mapping[Any, Any]) -> dict[int, int]:
    """Check a response set completely; returns {item number: value} or raises InputError."""
    if not isinstance(answers, Mapping):
        raise InputError(f"{inst.name}: answers must be an object mapping item numbers "
                         f"(\"1\"…\"{len(inst.items)}\") to values", field="answers")
    problems: list[str] = []
    given: dict[int, int] = {}
    for raw_key, raw_value in answers.items():
        n = _key(raw_key)
        if n is None or not 1 <= n <= len(inst.items):
            problems.append(f"unknown item '{raw_key}' (items are \"1\"…\"{len(inst.items)}\")")
            continue
        if isinstance(raw_value, bool) or not isinstance(raw_value, int):
            if isinstance(raw_value, float) and raw_value.is_integer():
                raw_value = int(raw_value)
            else:
                problems.append(f"item {n}: answer {raw_value!r} is not a whole number")
                continue
        if n in given:
            problems.append(f"item {n}: answered twice")
            continue
        given[n] = raw_value
    for item in inst.items:
        asked = True
        if item.ask_if is not None:
            gate = given.get(item.ask_if.item)
            asked = gate in item.ask_if.values
        value = given.get(item.number)
        if value is None:
            if asked and not (item.ask_if is not None and item.ask_if.item not in given):
                problems.append(f"item {item.number} ({item.domain}) is missing")
            continue
        if value not in item.allowed:
            allowed = ", ".join(str(v) for v in item.allowed)
            problems.append(f"item {item.number} ({item.domain}): {value} is not an allowed "
                            f"answer (allowed: {allowed})")
        elif not asked and value != 0:
            problems.append(f"item {item.number} is asked only if item {item.ask_if.item} "  # type: ignore[union-attr]
                            f"is one of {list(item.ask_if.values)}; it cannot be "  # type: ignore[union-attr]
                            f"{value} here")
    if problems:
        raise InputError(f"{inst.name}: invalid answers — " + "; ".join(problems),
                         field="answers")
    return given


def _drivers(inst: Instrument, given: Mapping[int, int], total: int, band: Band) -> tuple[
        Driver, ...]:
    if band.low <= inst.min_total:
        return ()
    if inst.scoring == "max":
        return tuple(Driver(i.number, i.domain, given[i.number]) for i in inst.items
                     if i.number in given and i.weight(given[i.number]) == total)
    ranked = sorted((i for i in inst.items if i.number in given
                     and i.scored(given[i.number]) > 0),
                    key=lambda i: (-i.scored(given[i.number]), i.number))
    out: list[Driver] = []
    running = 0
    for i in ranked:
        out.append(Driver(i.number, i.domain, given[i.number]))
        running += i.scored(given[i.number])
        if running >= band.low:
            break
    return tuple(out)


def _fires(rule: AlertRule, given: Mapping[int, int], band: Band) -> bool:
    if rule.bands:
        return band.code in rule.bands
    assert rule.item is not None and rule.at_least is not None
    return given.get(rule.item, 0) >= rule.at_least


def score(name: str | Instrument, answers: Mapping[Any, Any]) -> Score:
    """Validate ``answers`` completely and score them by the instrument's published rules."""
    inst = name if isinstance(name, Instrument) else get_instrument(name)
    given = validate_answers(inst, answers)
    if inst.scoring == "max":
        total = max((inst.item(n).weight(v) for n, v in given.items()), default=0)
        subs = {s.name: max((inst.item(n).weight(given[n]) for n in s.items if n in given),
                            default=0) for s in inst.subscales}
    else:
        total = sum(inst.item(n).scored(v) for n, v in given.items())
        subs = {s.name: sum(inst.item(n).scored(given[n]) for n in s.items if n in given)
                for s in inst.subscales}
    band = inst.band_for(total)
    alerts = tuple(InstrumentAlert(r.code, r.level, r.why, r.action, r.source, r.item)
                   for r in inst.alerts if _fires(r, given, band))
    return Score(inst.name, total, inst.max_total, subs, band, _drivers(inst, given, total, band),
                 alerts, dict(sorted(given.items())))
