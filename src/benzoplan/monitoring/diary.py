"""Diary entries: frozen pydantic models with a JSON form (one JSON object per entry).

Every entry has ``kind`` and ``date`` (ISO). Kinds:

- ``dose``: one scheduled administration — ``slot`` is its scheduled time "HH:MM" and
  ``status`` ``taken`` or ``missed``; or an unscheduled dose — ``status`` ``extra`` with
  ``slot`` the time it was taken.
- ``symptoms``: the withdrawal-symptom checklist, ``ratings`` {code: 0–3}; omitted symptoms
  count as 0 (see :func:`benzoplan.monitoring.checklist`).
- ``sleep``: ``bedtime`` "HH:MM", ``latency_min``, ``awakenings``, ``total_sleep_h``,
  ``quality`` 0 (very poor) – 4 (very good); ``date`` is the evening the night began.
- ``seizure``: ``count`` that day, ``type`` and ``longest_duration_s`` when count > 0.
- ``instrument``: a questionnaire's ``answers`` as in ``benzoplan score``.

One entry per day and slot: (kind, date, slot) must be unique; :attr:`ref` names it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from benzoplan.errors import InputError
from benzoplan.monitoring._data import symptom_codes

__all__ = [
    "DiaryEntry",
    "DoseEntry",
    "InstrumentEntry",
    "SeizureEntry",
    "SleepEntry",
    "SymptomEntry",
    "diary_json_schema",
    "parse_entry",
]

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    date: dt.date
    note: str | None = Field(default=None, max_length=2000)

    @property
    def slot_key(self) -> str:
        return "day"

    @property
    def ref(self) -> str:
        """A stable name for the entry: ``kind:date[:slot]``."""
        kind = getattr(self, "kind", "entry")
        slot = self.slot_key
        return f"{kind}:{self.date.isoformat()}" + ("" if slot == "day" else f":{slot}")

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class DoseEntry(_Entry):
    kind: Literal["dose"] = "dose"
    slot: str = Field(description="scheduled time HH:MM (taken/missed) or time taken (extra)")
    status: Literal["taken", "missed", "extra"]

    @field_validator("slot")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        if not _HHMM.match(v):
            raise ValueError(f"slot must be a time HH:MM, got {v!r}")
        return v

    @property
    def slot_key(self) -> str:
        return self.slot


class SymptomEntry(_Entry):
    kind: Literal["symptoms"] = "symptoms"
    ratings: dict[str, int]

    @field_validator("ratings")
    @classmethod
    def _known(cls, v: dict[str, int]) -> dict[str, int]:
        known = symptom_codes()
        unknown = sorted(set(v) - known)
        if unknown:
            raise ValueError(f"unknown symptom(s) {unknown}; known: {sorted(known)}")
        bad = {k: r for k, r in v.items() if isinstance(r, bool) or not 0 <= r <= 3}
        if bad:
            raise ValueError(f"ratings must be 0–3, got {bad}")
        return v

    def rating(self, code: str) -> int:
        return self.ratings.get(code, 0)

    @property
    def total(self) -> int:
        return sum(self.ratings.values())


class SleepEntry(_Entry):
    kind: Literal["sleep"] = "sleep"
    bedtime: str
    latency_min: int = Field(ge=0, le=720)
    awakenings: int = Field(ge=0, le=50)
    total_sleep_h: float = Field(ge=0, le=24)
    quality: int = Field(ge=0, le=4, description="0 very poor … 4 very good")

    @field_validator("bedtime")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        if not _HHMM.match(v):
            raise ValueError(f"bedtime must be a time HH:MM, got {v!r}")
        return v

    @property
    def slot_key(self) -> str:
        return "night"


class SeizureEntry(_Entry):
    kind: Literal["seizure"] = "seizure"
    count: int = Field(ge=0, le=200)
    type: Literal["tonic-clonic", "focal", "absence", "myoclonic", "atonic", "other"] | None = None
    longest_duration_s: int | None = Field(default=None, ge=0, le=86400)

    @model_validator(mode="after")
    def _typed(self) -> SeizureEntry:
        if self.count > 0 and self.type is None:
            raise ValueError("a seizure entry with count > 0 needs its type")
        return self


class InstrumentEntry(_Entry):
    kind: Literal["instrument"] = "instrument"
    instrument: str
    answers: dict[str, int]

    @property
    def slot_key(self) -> str:
        return self.instrument.lower()


DiaryEntry = Annotated[DoseEntry | SymptomEntry | SleepEntry | SeizureEntry | InstrumentEntry,
                       Field(discriminator="kind")]

_ADAPTER: TypeAdapter[DiaryEntry] = TypeAdapter(DiaryEntry)


def parse_entry(obj: Mapping[str, Any] | _Entry, *, where: str = "diary entry") -> DiaryEntry:
    """A diary entry from its JSON form; InputError naming the field on bad input."""
    if isinstance(obj, DoseEntry | SymptomEntry | SleepEntry | SeizureEntry | InstrumentEntry):
        return obj
    try:
        return _ADAPTER.validate_python(obj)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first.get("loc", ()))
        msg = first["msg"].removeprefix("Value error, ")
        raise InputError(f"{where}: {loc + ': ' if loc else ''}{msg}", field=loc or None) from None


def diary_json_schema() -> dict[str, Any]:
    """JSON Schema of one diary entry (for the service and the web diary)."""
    return _ADAPTER.json_schema()
