"""The rule files' condition language: structured predicates over named facts, never code.

A condition is a mapping, as written in ``data/rules.toml``::

    { fact = "<name>", <operator> = <value> }
    { all = [ <condition>, ... ] }  |  { any = [ ... ] }  |  { not = <condition> }

Operators: ``is``, ``is_not``, ``in``, ``not_in``, ``has``, ``has_any``, ``nonempty``, ``gt``,
``ge``, ``lt``, ``le``. Each fact has a declared kind (see :data:`benzoplan.safety.facts.FACTS`)
and each kind admits only some operators; :func:`parse_condition` checks names, operators and
value types when the rules load, so a typo fails at load instead of silently never firing.
A comparison against an unknown fact (``None``) is false.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

FactKind = Literal["number", "bool", "text", "set"]
FactValue = float | int | bool | str | frozenset[str] | None

_OPERATORS: dict[FactKind, frozenset[str]] = {
    "number": frozenset({"is", "is_not", "gt", "ge", "lt", "le"}),
    "bool": frozenset({"is", "is_not"}),
    "text": frozenset({"is", "is_not", "in", "not_in"}),
    "set": frozenset({"has", "has_any", "nonempty"}),
}


@dataclass(frozen=True)
class Predicate:
    fact: str
    op: str
    value: Any

    def holds(self, facts: Mapping[str, FactValue]) -> bool:
        v = facts.get(self.fact)
        if v is None:
            return False
        op, want = self.op, self.value
        if op == "is":
            return bool(v == want)
        if op == "is_not":
            return bool(v != want)
        if op == "in":
            return bool(v in want)
        if op == "not_in":
            return bool(v not in want)
        if op == "has":
            return isinstance(v, frozenset) and bool(want in v)
        if op == "has_any":
            return isinstance(v, frozenset) and not v.isdisjoint(want)
        if op == "nonempty":
            return isinstance(v, frozenset) and bool(v) == want
        if isinstance(v, bool) or not isinstance(v, int | float):
            return False
        x = float(v)
        if op == "gt":
            return x > float(want)
        if op == "ge":
            return x >= float(want)
        if op == "lt":
            return x < float(want)
        return x <= float(want)  # "le"



@dataclass(frozen=True)
class All:
    parts: tuple[Condition, ...]

    def holds(self, facts: Mapping[str, FactValue]) -> bool:
        return all(p.holds(facts) for p in self.parts)



@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Condition, ...]

    def holds(self, facts: Mapping[str, FactValue]) -> bool:
        return any(p.holds(facts) for p in self.parts)



@dataclass(frozen=True)
class Not:
    part: Condition

    def holds(self, facts: Mapping[str, FactValue]) -> bool:
        return not self.part.holds(facts)



Condition = Predicate | All | AnyOf | Not


def parse_condition(raw: Any, kinds: Mapping[str, FactKind], *, where: str) -> Condition:
    """Parse and type-check one condition; ``ValueError`` names the problem and ``where``."""
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}: a condition must be a table, got {raw!r}")
    keys = set(raw)
    if keys in ({"all"}, {"any"}):
        key = next(iter(keys))
        items = raw[key]
        if not isinstance(items, list) or not items:
            raise ValueError(f"{where}: '{key}' needs a non-empty list of conditions")
        parts = tuple(parse_condition(c, kinds, where=f"{where}.{key}[{i}]")
                      for i, c in enumerate(items))
        return All(parts) if key == "all" else AnyOf(parts)
    if keys == {"not"}:
        return Not(parse_condition(raw["not"], kinds, where=f"{where}.not"))
    if "fact" not in keys or len(keys) != 2:
        raise ValueError(f"{where}: expected {{fact = ..., <operator> = ...}}, all, any or not; "
                         f"got keys {sorted(keys)}")
    name = raw["fact"]
    if name not in kinds:
        raise ValueError(f"{where}: unknown fact '{name}'")
    (op,) = keys - {"fact"}
    kind = kinds[name]
    if op not in _OPERATORS[kind]:
        raise ValueError(f"{where}: operator '{op}' does not apply to {kind} fact '{name}' "
                         f"(allowed: {', '.join(sorted(_OPERATORS[kind]))})")
    value = raw[op]
    if op in ("in", "not_in", "has_any"):
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            raise ValueError(f"{where}: '{op}' needs a list of strings")
        value = frozenset(value)
    elif op == "nonempty" or kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"{where}: '{op}' on '{name}' needs true or false")
    elif kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{where}: '{op}' on number fact '{name}' needs a number")
    elif not isinstance(value, str):
        raise ValueError(f"{where}: '{op}' on '{name}' needs a string")
    return Predicate(name, op, value)
