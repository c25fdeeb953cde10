"""Load and validate the safety package's data files (once, at first use).

* ``data/bibliography.toml`` — sources beyond the drug bibliography (merged with it);
* ``data/medicines.toml`` — medicine classes and the medicines in them, with ATC/RxNorm codes;
* ``data/policy.toml`` — windows, thresholds, the dependence score, monitoring intervals and
  the named assumptions behind every number that no source gives;
* ``data/rules.toml`` — the rules (see the grammar at the top of that file).

Every ``source`` key must resolve in the merged bibliography, every assumption must be
declared, every rule condition and text must use declared facts; otherwise :class:`DataError`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from benzoplan.datafiles import read_toml
from benzoplan.drugs import bibliography as drug_bibliography
from benzoplan.drugs.schema import Amount, Source
from benzoplan.errors import DataError
from benzoplan.safety.conditions import Condition, parse_condition
from benzoplan.safety.vocabulary import FACTS, SEVERITIES, TEXTS, Severity

__all__ = [
    "Assumption",
    "MedicineClass",
    "MedicineEntry",
    "Policy",
    "Rule",
    "SafetyData",
    "safety_data",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Assumption(_Frozen):
    name: str
    text: str
    based_on: str


class MedicineClass(_Frozen):
    id: str
    label: str
    description: str
    source: str
    atc: str | None = None


class MedicineEntry(_Frozen):
    name: str
    synonyms: tuple[str, ...] = ()
    classes: tuple[str, ...] = Field(min_length=1)
    source: str
    atc: str | None = None
    rxnorm: str | None = None
    note: str | None = None

    @field_validator("atc")
    @classmethod
    def _atc(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[A-Z]\d\d[A-Z]{2}\d\d", v):
            raise ValueError(f"'{v}' is not a 7-character ATC substance code")
        return v

    @field_validator("rxnorm")
    @classmethod
    def _rxnorm(cls, v: str | None) -> str | None:
        if v is not None and not v.isdigit():
            raise ValueError(f"RxNorm concept id '{v}' must be digits")
        return v


class _Sourced(_Frozen):
    source: str
    note: str | None = None
    assumption: str | None = None


class AlcoholPolicy(_Sourced):
    avoid_days_after_last_dose: int = Field(ge=0)


class AgePolicy(_Sourced):
    age_years: float


class PediatricPolicy(_Sourced):
    age_years_max: float
    weight_kg_max: float


class AdvisedDuration(_Sourced):
    insomnia: int = Field(ge=1)


class OffLabelDosing(_Sourced):
    drug: str
    start: Amount
    timing: str
    max_duration_days: int = Field(ge=1)
    notes: tuple[str, ...] = ()


class DrugBands(_Frozen):
    low_max_mg: float = Field(gt=0)
    moderate_max_mg: float = Field(gt=0)


class DependencePolicy(_Sourced):
    low_max_mg: float = Field(gt=0)
    moderate_max_mg: float = Field(gt=0)
    short_max_days: int = Field(ge=1)
    medium_max_days: int = Field(ge=1)
    history_points: int = Field(ge=0)
    prior_withdrawal_points: int = Field(ge=0)
    sign_points: int = Field(ge=0)
    moderate_from: int = Field(ge=1)
    high_from: int = Field(ge=1)
    screening: str
    screening_source: str
    screening_instrument: str
    drug_bands: dict[str, DrugBands] = {}
    signs: dict[str, str]


class OverdosePolicy(_Sourced):
    emergency: str
    opioid_note: str
    signs: dict[str, str]


class MonitoringPolicyItem(_Sourced):
    label: str
    interval_days: int = Field(ge=1)
    first_after_days: int | None = Field(default=None, ge=1)
    applies: Literal["long-term", "seizure-disorders", "always"]
    loinc: str | None = None


class Policy(_Frozen):
    assumptions: dict[str, Assumption]
    alcohol: AlcoholPolicy
    older_adult: AgePolicy
    adult: AgePolicy
    pediatric: PediatricPolicy
    advised_duration: AdvisedDuration
    offlabel_dosing: dict[str, OffLabelDosing]
    dependence: DependencePolicy
    overdose: OverdosePolicy
    monitoring: dict[str, MonitoringPolicyItem]
    long_term_from_days: int
    long_term_assumption: str
    cyp3a_substrates: dict[str, str]


_TEMPLATE = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class Rule:
    code: str
    severity: Severity | None  # fixed severity, or None when severity_by decides
    severity_by: tuple[str, Mapping[str, Severity]] | None
    when: Condition
    message: str
    patient_message: str
    rationale: str
    action: str
    source: str
    also_sources: tuple[str, ...]
    urgent: bool
    assumption: str | None

    def severity_for(self, facts: Mapping[str, Any]) -> Severity | None:
        if self.severity is not None:
            return self.severity
        assert self.severity_by is not None
        fact, mapping = self.severity_by
        return mapping.get(str(facts.get(fact)))


@dataclass(frozen=True)
class SafetyData:
    sources: Mapping[str, Source]
    classes: Mapping[str, MedicineClass]
    medicines: tuple[MedicineEntry, ...]
    policy: Policy
    rules: tuple[Rule, ...]

    def cite(self, key: str) -> Source:
        return self.sources[key]


def _read(name: str) -> dict[str, Any]:
    return read_toml("benzoplan.safety", name)


def _check_template(text: str, classes: Mapping[str, MedicineClass], where: str) -> None:
    for name in _TEMPLATE.findall(text):
        if name.startswith("meds:"):
            if name[5:] not in classes:
                raise DataError(f"{where}: unknown medicine class in '{{{name}}}'")
        elif name not in FACTS and name not in TEXTS:
            raise DataError(f"{where}: unknown placeholder '{{{name}}}'")


def _parse_rule(raw: Mapping[str, Any], classes: Mapping[str, MedicineClass],
                sources: Mapping[str, Source], assumptions: Mapping[str, Assumption]) -> Rule:
    code = raw.get("code")
    where = f"rules.toml rule '{code}'"
    allowed = {"code", "severity", "when", "message", "patient_message", "rationale", "action",
               "source", "also_sources", "urgent", "assumption"}
    extra = set(raw) - allowed
    if extra:
        raise DataError(f"{where}: unknown keys {sorted(extra)}")
    if not isinstance(code, str) or not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", code):
        raise DataError(f"{where}: code must be kebab-case")
    sev = raw.get("severity")
    severity: Severity | None = None
    severity_by: tuple[str, Mapping[str, Severity]] | None = None
    if isinstance(sev, str):
        if sev not in SEVERITIES:
            raise DataError(f"{where}: severity '{sev}' is not one of {SEVERITIES}")
        severity = sev
    elif isinstance(sev, Mapping) and set(sev) == {"fact", "map"}:
        if sev["fact"] not in FACTS or FACTS[sev["fact"]] != "text":
            raise DataError(f"{where}: severity.fact must name a text fact")
        mapping = sev["map"]
        if not isinstance(mapping, Mapping) or not mapping or any(
                v not in SEVERITIES for v in mapping.values()):
            raise DataError(f"{where}: severity.map must map values to severities")
        severity_by = (sev["fact"], dict(mapping))
    else:
        raise DataError(f"{where}: severity must be a severity or {{fact, map}}")
    try:
        when = parse_condition(raw.get("when"), FACTS, where=where)
    except ValueError as exc:
        raise DataError(str(exc)) from exc
    texts = {}
    for key in ("message", "patient_message", "rationale", "action"):
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            raise DataError(f"{where}: '{key}' is required text")
        _check_template(value, classes, f"{where}.{key}")
        texts[key] = value
    source = raw.get("source")
    also = tuple(raw.get("also_sources", ()))
    for key in (source, *also):
        if key not in sources:
            raise DataError(f"{where}: unknown source '{key}'")
    assumption = raw.get("assumption")
    if assumption is not None and assumption not in assumptions:
        raise DataError(f"{where}: unknown assumption '{assumption}'")
    return Rule(code=code, severity=severity, severity_by=severity_by, when=when,
                source=str(source), also_sources=also, urgent=bool(raw.get("urgent", False)),
                assumption=assumption, **texts)


def _load() -> SafetyData:
    sources: dict[str, Source] = dict(drug_bibliography())
    for key, value in _read("bibliography.toml").get("sources", {}).items():
        if key in sources:
            raise DataError(f"safety bibliography repeats the drug bibliography key '{key}'")
        try:
            sources[key] = Source(key=key, **value)
        except ValidationError as exc:
            raise DataError(f"safety bibliography entry '{key}' is invalid: {exc}") from exc

    raw_meds = _read("medicines.toml")
    try:
        classes = {k: MedicineClass(id=k, **v) for k, v in raw_meds["classes"].items()}
        medicines = tuple(MedicineEntry(**m) for m in raw_meds["medicines"])
    except (ValidationError, KeyError, TypeError) as exc:
        raise DataError(f"medicines.toml is invalid: {exc}") from exc
    seen: dict[str, str] = {}
    for med in medicines:
        for cls in med.classes:
            if cls not in classes:
                raise DataError(f"medicines.toml: {med.name} has unknown class '{cls}'")
        for alias in (med.name, *med.synonyms):
            key = " ".join(alias.lower().split())
            if key in seen and seen[key] != med.name:
                raise DataError(f"medicines.toml: '{alias}' names {seen[key]} and {med.name}")
            seen[key] = med.name

    raw_policy = _read("policy.toml")
    try:
        assumptions = {k: Assumption(name=k, **v)
                       for k, v in raw_policy.pop("assumptions").items()}
        monitoring = dict(raw_policy.pop("monitoring"))
        long_term = monitoring.pop("long_term_from_days")
        long_term_assumption = monitoring.pop("long_term_assumption")
        monitoring.pop("source")
        policy = Policy(assumptions=assumptions, monitoring=monitoring,
                        long_term_from_days=long_term,
                        long_term_assumption=long_term_assumption, **raw_policy)
    except (ValidationError, KeyError, TypeError) as exc:
        raise DataError(f"policy.toml is invalid: {exc}") from exc
    used_sources = [a.based_on for a in assumptions.values()]
    used_sources += [med.source for med in medicines] + [c.source for c in classes.values()]
    used_sources += [policy.dependence.screening_source, *policy.cyp3a_substrates.values()]
    used_assumptions = [policy.long_term_assumption]
    for part in (policy.alcohol, policy.older_adult, policy.adult, policy.pediatric,
                 policy.advised_duration, policy.dependence, policy.overdose,
                 *policy.offlabel_dosing.values(), *policy.monitoring.values()):
        used_sources.append(part.source)
        if part.assumption is not None:
            used_assumptions.append(part.assumption)
    missing = sorted({s for s in used_sources if s not in sources})
    if missing:
        raise DataError(f"safety data cites unknown sources: {', '.join(missing)}")
    unknown = sorted({a for a in used_assumptions if a not in assumptions})
    if unknown:
        raise DataError(f"safety data uses undeclared assumptions: {', '.join(unknown)}")

    rules = tuple(_parse_rule(r, classes, sources, assumptions)
                  for r in _read("rules.toml").get("rules", []))
    codes = [r.code for r in rules]
    if len(set(codes)) != len(codes):
        raise DataError("rules.toml: rule codes repeat")
    return SafetyData(sources=sources, classes=classes, medicines=medicines, policy=policy,
                      rules=rules)


@cache
def safety_data() -> SafetyData:
    """The validated safety data (loaded once per process)."""
    return _load()
