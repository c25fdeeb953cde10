"""The pk package's own data: covariate effects and PD calibration, validated at first use."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from benzoplan.datafiles import read_toml
from benzoplan.drugs import bibliography
from benzoplan.drugs.schema import Amount, Source, iter_sources
from benzoplan.errors import DataError

__all__ = ["CovariateData", "Effect", "PDData", "covariate_data", "pd_data", "pk_sources"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Provenance(_Frozen):
    source: str | None = None
    assumed: bool = False
    note: str | None = None

    @model_validator(mode="after")
    def _sourced(self) -> _Provenance:
        if self.source is None and not self.assumed:
            raise ValueError("a fact needs a source, or assumed = true with a note")
        if self.assumed and not self.note:
            raise ValueError("an assumption needs a note saying what it rests on")
        return self

    def provenance(self) -> str:
        where = f" [{self.source}]" if self.source else ""
        return f"{'ASSUMPTION: ' if self.assumed else ''}{self.note or ''}{where}".strip()


class Effect(_Provenance):
    """A multiplicative effect on one PK parameter."""

    parameter: Literal["cl"]
    factor: float = Field(gt=0.05, le=20)
    drug: str = "*"
    metabolism: str | None = None


class AgeEffect(Effect):
    min_years: float = Field(ge=0, le=120)


class HepaticEffect(Effect):
    grade: Literal["mild", "moderate", "severe"]


class Comedication(_Frozen):
    name: str
    kind: Literal["inducer", "inhibitor"]
    effects: tuple[Effect, ...] = Field(min_length=1)


class Range(_Frozen):
    low: float
    high: float


class Limits(_Frozen):
    age_years: Range
    weight_kg: Range


class CovariateData(_Frozen):
    limits: Limits
    age: tuple[AgeEffect, ...] = ()
    hepatic: tuple[HepaticEffect, ...] = ()
    comedications: tuple[Comedication, ...] = ()

    def comedication(self, name: str) -> Comedication | None:
        key = name.strip().lower()
        return next((c for c in self.comedications if c.name == key), None)


class PDCalibration(_Provenance):
    anchor_drug: str
    anchor_daily_dose: Amount
    hill: float = Field(gt=0, le=5)


class OccupancyData(PDCalibration):
    anchor_percent: float = Field(gt=0, lt=100)


class EffectData(PDCalibration):
    emax_percent: float = Field(gt=0, le=100)


class PDData(_Frozen):
    occupancy: OccupancyData
    effect: EffectData


def _read(name: str) -> dict[str, Any]:
    return read_toml("benzoplan.pk", name)


@cache
def pk_sources() -> Mapping[str, Source]:
    """The pk bibliography merged over the drug bibliography (keys of both resolve)."""
    raw = _read("bibliography.toml").get("sources", {})
    try:
        own = {k: Source(key=k, **v) for k, v in raw.items()}
    except ValidationError as exc:
        raise DataError(f"pk bibliography.toml is invalid: {exc}") from exc
    return {**bibliography(), **own}


def _validated(name: str, model: type[BaseModel]) -> Any:
    try:
        obj = model.model_validate(_read(name))
    except ValidationError as exc:
        raise DataError(f"pk data file {name} is invalid: {exc}") from exc
    known = pk_sources()
    missing = sorted({s for s in iter_sources(obj) if s not in known})
    if missing:
        raise DataError(f"pk data file {name} cites unknown sources: {', '.join(missing)}")
    return obj


@cache
def covariate_data() -> CovariateData:
    data: CovariateData = _validated("covariates.toml", CovariateData)
    return data


@cache
def pd_data() -> PDData:
    data: PDData = _validated("pd.toml", PDData)
    return data
