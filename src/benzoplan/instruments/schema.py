"""Pydantic schema of the instrument data files (grammar documented at the top of ciwa-b.toml)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "AlertRule",
    "Band",
    "Condition",
    "Instrument",
    "Item",
    "Licence",
    "Option",
    "Source",
    "Subscale",
]

Level = Literal["urgent", "warning", "info"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(_Frozen):
    key: str
    kind: Literal["label", "paper", "guideline", "database", "form", "secondary", "assumption"]
    title: str
    authors: str | None = None
    publisher: str | None = None
    year: int | None = None
    url: str | None = None
    doi: str | None = None
    identifier: str | None = None
    note: str | None = None


class Option(_Frozen):
    value: int
    label: str
    weight: int | None = None  # triage weight for "max" scoring; defaults to 0 for value 0


class Condition(_Frozen):
    """An item is asked only if an earlier item's answer is one of ``values`` (skip logic)."""

    item: int
    values: tuple[int, ...]


class Item(_Frozen):
    number: int = Field(ge=1)
    domain: str
    part: Literal["patient", "clinician"] = "patient"
    text: str | None = None
    options: tuple[Option, ...] = Field(min_length=2)
    reverse: bool = False  # scored as (min + max − value)
    loinc: str | None = None
    ask_if: Condition | None = None
    safety: bool = False

    @model_validator(mode="after")
    def _distinct(self) -> Item:
        values = [o.value for o in self.options]
        if len(set(values)) != len(values):
            raise ValueError(f"item {self.number}: option values repeat")
        return self

    @property
    def allowed(self) -> tuple[int, ...]:
        return tuple(o.value for o in self.options)

    def scored(self, value: int) -> int:
        """The value that counts toward the total (reverse items mirrored)."""
        if self.reverse:
            return min(self.allowed) + max(self.allowed) - value
        return value

    def weight(self, value: int) -> int:
        for o in self.options:
            if o.value == value:
                return o.weight if o.weight is not None else (0 if value == 0 else value)
        raise ValueError(f"item {self.number}: {value} is not an option")


class Subscale(_Frozen):
    name: str
    items: tuple[int, ...]
    loinc: str | None = None
    source: str


class Band(_Frozen):
    low: int
    high: int
    code: str
    label: str
    clinical: bool
    verified: bool
    source: str
    note: str | None = None

    def to_json(self) -> dict[str, object]:
        return {"code": self.code, "label": self.label, "low": self.low, "high": self.high,
                "clinical": self.clinical, "verified": self.verified, "source": self.source,
                "note": self.note}


class AlertRule(_Frozen):
    code: str
    level: Level
    item: int | None = None
    at_least: int | None = None
    bands: tuple[str, ...] = ()
    why: str
    action: str
    source: str

    @model_validator(mode="after")
    def _one_trigger(self) -> AlertRule:
        by_item = self.item is not None and self.at_least is not None
        if by_item == bool(self.bands):
            raise ValueError(f"alert {self.code}: give either item + at_least or bands")
        return self


class Licence(_Frozen):
    redistribute_text: bool
    note: str
    source: str


class Instrument(_Frozen):
    name: str
    title: str
    aliases: tuple[str, ...] = ()
    description: str
    timeframe: str
    scoring: Literal["sum", "max"]
    source: str
    loinc: str | None = None
    total_loinc: str | None = None
    placeholder: str
    licence: Licence
    items: tuple[Item, ...] = Field(min_length=1)
    subscales: tuple[Subscale, ...] = ()
    bands: tuple[Band, ...] = Field(min_length=1)
    alerts: tuple[AlertRule, ...] = ()

    @property
    def min_total(self) -> int:
        if self.scoring == "max":
            return 0
        return sum(min(i.scored(v) for v in i.allowed) for i in self.items)

    @property
    def max_total(self) -> int:
        if self.scoring == "max":
            return max(i.weight(v) for i in self.items for v in i.allowed)
        return sum(max(i.scored(v) for v in i.allowed) for i in self.items)

    def item(self, number: int) -> Item:
        return self.items[number - 1]

    @model_validator(mode="after")
    def _consistent(self) -> Instrument:
        numbers = [i.number for i in self.items]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError(f"{self.name}: items must be numbered 1…n in order, got {numbers}")
        for i in self.items:
            if self.licence.redistribute_text and not i.text:
                raise ValueError(f"{self.name} item {i.number}: text missing")
            if not self.licence.redistribute_text and i.text:
                raise ValueError(f"{self.name} item {i.number}: licence forbids shipping text")
            if i.ask_if is not None and not 1 <= i.ask_if.item < i.number:
                raise ValueError(f"{self.name} item {i.number}: ask_if must name an earlier item")
        for s in self.subscales:
            if not s.items or any(not 1 <= n <= len(self.items) for n in s.items):
                raise ValueError(f"{self.name} subscale {s.name}: unknown item")
        expected = self.min_total
        for b in self.bands:
            if b.low != expected or b.high < b.low:
                raise ValueError(f"{self.name}: bands must tile the score range without gaps "
                                 f"(band {b.code} starts at {b.low}, expected {expected})")
            expected = b.high + 1
        if expected != self.max_total + 1:
            raise ValueError(f"{self.name}: bands end at {expected - 1}, "
                             f"the maximum total is {self.max_total}")
        codes = {b.code for b in self.bands}
        for a in self.alerts:
            if a.item is not None and not 1 <= a.item <= len(self.items):
                raise ValueError(f"{self.name} alert {a.code}: unknown item {a.item}")
            if set(a.bands) - codes:
                raise ValueError(f"{self.name} alert {a.code}: unknown band")
        return self

    def band_for(self, total: int) -> Band:
        for b in self.bands:
            if b.low <= total <= b.high:
                return b
        raise ValueError(f"{self.name}: total {total} is outside {self.min_total}–{self.max_total}")
