"""The rule engine: evaluate every rule of ``data/rules.toml`` against a patient's facts.

Findings are deterministic and sorted by severity (contraindicated first), urgent findings
first within a severity, then by code. Every finding carries clinician and patient texts,
rationale, action and its sources; findings that rely on a policy assumption name it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from benzoplan.errors import InputError
from benzoplan.safety.conditions import FactValue
from benzoplan.safety.dependence import DependenceRisk
from benzoplan.safety.facts import Unresolved, build_facts, medicine_classes, overdose_texts
from benzoplan.safety.knowledge import safety_data
from benzoplan.safety.patient import PatientRecord
from benzoplan.safety.schedule import ScheduleItem
from benzoplan.safety.vocabulary import SEVERITIES, Severity

__all__ = ["CheckResult", "Finding", "SourceRef", "check", "severity_rank", "triage_overdose"]

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def severity_rank(severity: str) -> int:
    """0 for contraindicated … 4 for info."""
    return SEVERITIES.index(severity)


@dataclass(frozen=True)
class SourceRef:
    key: str
    title: str
    url: str | None

    @classmethod
    def of(cls, key: str) -> SourceRef:
        s = safety_data().cite(key)
        return cls(key=key, title=s.title, url=s.url)

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "url": self.url}


@dataclass(frozen=True)
class Finding:
    severity: Severity
    code: str
    message: str
    patient_message: str
    rationale: str
    action: str
    source: SourceRef
    also_sources: tuple[SourceRef, ...] = ()
    urgent: bool = False
    emergency: str | None = None
    assumption: str | None = None

    def sort_key(self) -> tuple[int, bool, str]:
        return (severity_rank(self.severity), not self.urgent, self.code)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "patient_message": self.patient_message,
            "rationale": self.rationale,
            "action": self.action,
            "source": self.source.to_json(),
            "also_sources": [s.to_json() for s in self.also_sources],
            "urgent": self.urgent,
        }
        if self.emergency is not None:
            data["emergency"] = self.emergency
        if self.assumption is not None:
            data["assumption"] = {
                "name": self.assumption,
                "text": safety_data().policy.assumptions[self.assumption].text,
            }
        return data


@dataclass(frozen=True)
class CheckResult:
    findings: tuple[Finding, ...]
    unresolved: tuple[Unresolved, ...]
    dependence: DependenceRisk
    monitoring: tuple[ScheduleItem, ...]
    checked_on: dt.date

    @property
    def urgent(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.urgent)

    def codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.findings)

    def to_json(self) -> dict[str, Any]:
        return {
            "findings": [f.to_json() for f in self.findings],
            "unresolved": [u.to_json() for u in self.unresolved],
            "dependence_risk": self.dependence.to_json(),
            "monitoring": [s.to_json() for s in self.monitoring],
            "checked_on": self.checked_on.isoformat(),
        }


def _value_text(value: FactValue) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, frozenset):
        return ", ".join(sorted(value))
    return str(value)


def render(template: str, values: Mapping[str, FactValue], texts: Mapping[str, str],
           meds: Mapping[str, Sequence[str]]) -> str:
    """Fill ``{name}`` and ``{meds:class}`` (names were checked when the rules loaded)."""

    def one(m: re.Match[str]) -> str:
        name = m.group(1)
        if name.startswith("meds:"):
            return ", ".join(meds.get(name[5:], ())) or "none"
        if name in texts:
            return texts[name]
        return _value_text(values.get(name))

    text = " ".join(_PLACEHOLDER.sub(one, template).split())
    return text[:1].upper() + text[1:]


def evaluate(values: Mapping[str, FactValue], texts: Mapping[str, str],
             meds: Mapping[str, Sequence[str]], *,
             codes: frozenset[str] | None = None) -> tuple[Finding, ...]:
    """Every rule (or every rule in ``codes``) whose condition holds, sorted by severity."""
    out: list[Finding] = []
    emergency = texts.get("emergency")
    for rule in safety_data().rules:
        if codes is not None and rule.code not in codes:
            continue
        if not rule.when.holds(values):
            continue
        severity = rule.severity_for(values)
        if severity is None:
            continue
        out.append(Finding(
            severity=severity,
            code=rule.code,
            message=render(rule.message, values, texts, meds),
            patient_message=render(rule.patient_message, values, texts, meds),
            rationale=render(rule.rationale, values, texts, meds),
            action=render(rule.action, values, texts, meds),
            source=SourceRef.of(rule.source),
            also_sources=tuple(SourceRef.of(k) for k in rule.also_sources),
            urgent=rule.urgent,
            emergency=emergency if rule.urgent else None,
            assumption=rule.assumption,
        ))
    return tuple(sorted(out, key=Finding.sort_key))


def triage_overdose(signs: Sequence[str], *, medicines: Sequence[str] = ()
                    ) -> Finding | None:
    """Reported overdose signs → the urgent finding with emergency instructions and the
    opioid note (``None`` when no sign is reported); an unknown sign is an InputError."""
    known = safety_data().policy.overdose.signs
    unknown = sorted(set(signs) - set(known))
    if unknown:
        raise InputError(f"unknown overdose sign(s): {', '.join(unknown)}; known: "
                         f"{', '.join(sorted(known))}", field="overdose_signs")
    meds, _ = medicine_classes(medicines)
    values: dict[str, FactValue] = {"overdose_signs": frozenset(signs),
                                    "medicine_classes": frozenset(meds)}
    found = evaluate(values, overdose_texts(signs, meds), meds,
                     codes=frozenset({"overdose-signs"}))
    return found[0] if found else None


def check(patient: PatientRecord, *, today: dt.date) -> CheckResult:
    """Check a patient and regimen against every rule; nothing unresolved is dropped."""
    facts = build_facts(patient, today=today)
    findings = evaluate(facts.values, facts.texts, facts.meds)
    return CheckResult(findings=findings, unresolved=facts.unresolved,
                       dependence=facts.dependence, monitoring=facts.schedule,
                       checked_on=today)
