"""FHIR R4 export of benzoplan's results (pure functions; every resource is an R4B model).

* :func:`patient_resource` — the Patient;
* :func:`regimen_request` — a benzodiazepine regimen as one MedicationRequest, one dosage
  instruction per scheduled dose (clock time, dose in UCUM ``mg``);
* :func:`taper_plan_resources` — a taper plan as a CarePlan whose activities are, step by
  step, MedicationRequests (one per drug per step: the step's period as the timing bounds,
  one dosage instruction per administration time) and, for the final step, a
  do-not-perform activity that stops the drug;
* :func:`instrument_resources` — a scored questionnaire as a QuestionnaireResponse and an
  Observation of its total (LOINC codes where the instrument data has them, ``{score}`` units);
* :func:`finding_issue` / :func:`taper_finding_issue` — safety and taper findings as
  DetectedIssue;
* :func:`everything_bundle` — a ``searchset`` Bundle for ``Patient/{id}/$everything``;
* :func:`to_json` — the FHIR JSON of any of them.

Medications carry RxNorm and ATC codings where the drug file has them. Codes that exist in no
public terminology (benzoplan's finding codes, instrument options and bands) use ``urn:benzoplan:``
systems and always carry a display text.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any, Literal, TypeVar

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.detectedissue import DetectedIssue
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from fhir.resources.R4B.resource import Resource
from pydantic import ValidationError

from benzoplan.drugs import get_drug
from benzoplan.errors import InputError
from benzoplan.instruments import Score, get_instrument
from benzoplan.interop.cds_hooks import _config as _cds_config
from benzoplan.safety import Finding
from benzoplan.safety import Regimen as SafetyRegimen
from benzoplan.taper import TaperFinding, TaperPlan, TaperStep
from benzoplan.units import Dose

__all__ = [
    "ATC",
    "LOINC",
    "RXNORM",
    "SNOMED",
    "UCUM",
    "dose_quantity",
    "everything_bundle",
    "finding_issue",
    "instrument_resources",
    "medication_concept",
    "patient_resource",
    "regimen_request",
    "resource_id",
    "taper_finding_issue",
    "taper_plan_resources",
    "to_json",
]

UCUM = "http://unitsofmeasure.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
FINDING_SYSTEM = "urn:benzoplan:safety:finding"
TAPER_FINDING_SYSTEM = "urn:benzoplan:taper:finding"
STEP_SYSTEM = "urn:benzoplan:taper:step"
INSTRUMENT_SYSTEM = "urn:benzoplan:instrument"
# SNOMED CT 26643006 "Oral route" (the route value set of FHIR R4 Dosage.route).
ORAL_ROUTE = {"system": SNOMED, "code": "26643006", "display": "Oral route"}
_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_NAMESPACE = uuid.UUID("8b0e8c6e-4f55-5b6a-9a51-3c1f0b7d2e10")


def resource_id(*parts: str) -> str:
    """A stable FHIR id (a UUID) derived from ``parts``: the same inputs, the same id."""
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts)))


def _check_id(value: str, what: str) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise InputError(f"{what} '{value}' is not a FHIR id (1–64 letters, digits, '-', '.')",
                         field=what)
    return value


_R = TypeVar("_R", bound=Resource)


def _build(model: type[_R], data: Mapping[str, Any]) -> _R:
    """Validate ``data`` with the R4B model; a failure is a defect of the mapping or a bad
    value that passed the checks above, reported as InputError naming the element."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise InputError(f"{model.__name__} is not valid FHIR R4: {where}: {first.get('msg')}",
                         field=where) from None


def to_json(resource: Resource) -> dict[str, Any]:
    """The resource's FHIR JSON (no empty elements)."""
    data: dict[str, Any] = json.loads(resource.model_dump_json(exclude_none=True))
    return data


def _num(value: float | Fraction) -> int | float:
    f = float(value)
    return int(f) if f.is_integer() else float(format(f, ".12g"))


def dose_quantity(dose: Dose | Fraction) -> dict[str, Any]:
    """A dose as a FHIR SimpleQuantity in UCUM milligrams (a Fraction is taken as mg)."""
    mg = dose if isinstance(dose, Fraction) else dose.mg
    return {"value": _num(mg), "unit": "mg", "system": UCUM, "code": "mg"}


def _score_quantity(value: int) -> dict[str, Any]:
    return {"value": value, "unit": "{score}", "system": UCUM, "code": "{score}"}


def medication_concept(drug: str) -> dict[str, Any]:
    """The drug as a CodeableConcept: RxNorm ingredient and ATC codings where the drug file
    has them, and the name as text."""
    d = get_drug(drug)
    codings: list[dict[str, Any]] = []
    if d.rxnorm is not None:
        codings.append({"system": RXNORM, "code": d.rxnorm.code, "display": d.name})
    if d.atc is not None:
        codings.append({"system": ATC, "code": d.atc.code, "display": d.name})
    out: dict[str, Any] = {"text": d.name}
    if codings:
        out["coding"] = codings
    return out


def _ref(kind: str, ident: str) -> dict[str, str]:
    return {"reference": f"{kind}/{ident}"}


def _date(value: dt.date | dt.datetime) -> str:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise InputError("a date-time needs a time zone (e.g. UTC)", field="datetime")
        return value.isoformat()
    return value.isoformat()


# ---------------------------------------------------------------- Patient


def patient_resource(patient_id: str, *, name: str | None = None,
                     birth_date: dt.date | None = None,
                     sex: str | None = None) -> Patient:
    """The Patient (``sex`` female | male | other | unknown, as FHIR administrative gender)."""
    data: dict[str, Any] = {"resourceType": "Patient", "id": _check_id(patient_id, "patient_id")}
    if name:
        data["name"] = [{"text": name}]
    if birth_date is not None:
        data["birthDate"] = birth_date.isoformat()
    if sex is not None:
        if sex not in ("female", "male", "other", "unknown"):
            raise InputError(f"sex '{sex}' is not female, male, other or unknown", field="sex")
        data["gender"] = sex
    return _build(Patient, data)


# ---------------------------------------------------------------- regimen


def _reason(indication: str | None) -> list[dict[str, Any]]:
    """The indication as a reasonCode: exact SNOMED CT / ICD-10 codes from the CDS Hooks code
    map where the indication has them (no prefix patterns), the name as text always."""
    if not indication or indication == "unspecified":
        return []
    cfg = _cds_config()
    codings: list[dict[str, str]] = []
    condition = cfg.indications.get(indication)
    for pattern in cfg.conditions.get(condition, ()) if condition else ():
        system, code = pattern.split("|", 1)
        if system == SNOMED and not code.endswith("*"):
            codings.append({"system": system, "code": code})
    concept: dict[str, Any] = {"text": indication}
    if codings:
        concept["coding"] = codings
    return [concept]


def _timing(time: dt.time | None, *, per_day: int = 1,
            bounds: tuple[dt.date, dt.date] | None = None) -> dict[str, Any]:
    repeat: dict[str, Any] = {"frequency": per_day, "period": 1, "periodUnit": "d"}
    if time is not None:
        repeat["timeOfDay"] = [time.strftime("%H:%M:%S")]
    if bounds is not None:
        repeat["boundsPeriod"] = {"start": bounds[0].isoformat(), "end": bounds[1].isoformat()}
    return {"repeat": repeat}


def _dosage(text: str, dose: Dose | Fraction, timing: dict[str, Any],
            sequence: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"text": text, "timing": timing, "route": {"coding": [ORAL_ROUTE]},
                           "doseAndRate": [{"doseQuantity": dose_quantity(dose)}]}
    if sequence is not None:
        out["sequence"] = sequence
    return out


def regimen_request(regimen: SafetyRegimen, *, patient_id: str, request_id: str,
                    status: Literal["active", "on-hold", "completed", "stopped",
                                    "draft"] = "active") -> MedicationRequest:
    """A patient's benzodiazepine regimen as one MedicationRequest (intent ``order``).

    Each scheduled dose is one dosage instruction, once a day at its clock time; doses
    without a time are grouped by amount into ``frequency`` per day. The indication becomes
    the reason, the regimen's start (and end) the validity period."""
    drug = get_drug(regimen.drug)
    dosages: list[dict[str, Any]] = []
    untimed: dict[float, int] = {}
    for a in sorted(regimen.schedule, key=lambda a: a.time or ""):
        if a.time is None:
            untimed[a.dose.mg] = untimed.get(a.dose.mg, 0) + 1
            continue
        dosages.append(_dosage(f"{a.dose} by mouth at {a.time}", a.dose,
                               _timing(dt.time.fromisoformat(a.time))))
    for mg, n in sorted(untimed.items()):
        dose = Dose(mg, "mg")
        dosages.append(_dosage(f"{dose} by mouth {n} time{'s' if n > 1 else ''} a day", dose,
                               _timing(None, per_day=n)))
    period: dict[str, str] = {"start": regimen.start_date.isoformat()}
    if regimen.end_date is not None:
        period["end"] = regimen.end_date.isoformat()
    data: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": _check_id(request_id, "request_id"),
        "status": status,
        "intent": "order",
        "medicationCodeableConcept": medication_concept(drug.name),
        "subject": _ref("Patient", _check_id(patient_id, "patient_id")),
        "authoredOn": regimen.start_date.isoformat(),
        "dispenseRequest": {"validityPeriod": period},
    }
    if reasons := _reason(regimen.indication):
        data["reasonCode"] = reasons
    if dosages:
        data["dosageInstruction"] = dosages
    return _build(MedicationRequest, data)


# ---------------------------------------------------------------- taper plan


def _step_request(plan: TaperPlan, step: TaperStep, drug: str, *, patient_id: str,
                  plan_id: str) -> MedicationRequest:
    by_time: dict[dt.time, list[Any]] = {}
    for a in step.administrations:
        if a.drug == drug:
            by_time.setdefault(a.time, []).append(a)
    dosages = []
    for t, adms in sorted(by_time.items()):
        total = sum((a.dose_mg for a in adms), Fraction(0))
        text = f"{t.strftime('%H:%M')}: " + " + ".join(a.describe() for a in adms)
        dosages.append(_dosage(text, total, _timing(t, bounds=(step.start, step.end)),
                               sequence=step.index))
    rid = resource_id(plan_id, str(plan.version), str(step.index), drug)
    note = [{"text": step.reason}]
    if step.deviation:
        note.append({"text": step.deviation})
    return _build(MedicationRequest, {
        "resourceType": "MedicationRequest",
        "id": rid,
        "identifier": [{"system": STEP_SYSTEM,
                        "value": f"{plan_id}/{plan.version}/{step.index}/{drug}"}],
        "status": "active",
        "intent": "plan",
        "medicationCodeableConcept": medication_concept(drug),
        "subject": _ref("Patient", patient_id),
        "basedOn": [_ref("CarePlan", plan_id)],
        "groupIdentifier": {"system": STEP_SYSTEM, "value": f"{plan_id}/{plan.version}"},
        "note": note,
        "dosageInstruction": dosages,
        "dispenseRequest": {"validityPeriod": {"start": step.start.isoformat(),
                                               "end": step.end.isoformat()}},
    })


def _step_drugs(step: TaperStep) -> list[str]:
    """The drugs given in a step, in the order they first appear."""
    seen: list[str] = []
    for a in step.administrations:
        if a.drug not in seen:
            seen.append(a.drug)
    return seen


def taper_plan_resources(plan: TaperPlan, *, patient_id: str, plan_id: str
                         ) -> tuple[CarePlan, tuple[MedicationRequest, ...]]:
    """A taper plan as a CarePlan and the MedicationRequests its activities reference.

    Activities follow the steps in order: one per drug per dosing step (a crossover step has
    one per drug), then one do-not-perform activity per drug stopped by the final step. The
    CarePlan's id is ``plan_id`` and its ``meta.versionId`` the plan's version."""
    _check_id(patient_id, "patient_id")
    _check_id(plan_id, "plan_id")
    requests: list[MedicationRequest] = []
    activities: list[dict[str, Any]] = []
    given: list[str] = []
    for step in plan.steps:
        if step.kind == "stop":
            continue
        for drug in _step_drugs(step):
            mr = _step_request(plan, step, drug, patient_id=patient_id, plan_id=plan_id)
            requests.append(mr)
            activities.append({"reference": _ref("MedicationRequest", str(mr.id))})
            if drug not in given:
                given.append(drug)
    last = plan.steps[-1]
    if last.kind == "stop":
        for drug in given or [plan.drug]:  # a plan may stop at once from the current dose
            activities.append({"detail": {
                "kind": "MedicationRequest",
                "code": {"text": f"stop {drug}"},
                "status": "not-started",
                "doNotPerform": True,
                "scheduledPeriod": {"start": last.start.isoformat()},
                "productCodeableConcept": medication_concept(drug),
                "description": f"Step {last.index}: {last.reason}",
            }})
    notes = [{"text": n} for n in plan.notes]
    notes += [{"text": f"Version {r.version} ({r.kind}, effective {r.effective.isoformat()}) "
                       f"by {r.author}: {r.reason}", "time": r.at.isoformat()}
              for r in plan.revisions]
    data: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": plan_id,
        "meta": {"versionId": str(plan.version)},
        "identifier": [{"system": STEP_SYSTEM, "value": f"{plan_id}/{plan.version}"}],
        "status": "active",
        "intent": "plan",
        "title": f"{plan.drug} taper ({plan.strategy}), version {plan.version}",
        "description": (f"{plan.strategy} taper of {plan.drug} from "
                        f"{plan.start.isoformat()}; last dose stopped on "
                        f"{plan.end.isoformat()} ({len(plan.steps)} steps)."),
        "subject": _ref("Patient", patient_id),
        "period": {"start": plan.start.isoformat(), "end": plan.end.isoformat()},
        "activity": activities,
    }
    if notes:
        data["note"] = notes
    return _build(CarePlan, data), tuple(requests)


# ---------------------------------------------------------------- instruments


def _questionnaire_url(name: str) -> str:
    inst = get_instrument(name)
    if inst.loinc is not None:
        return f"{LOINC}/q/{inst.loinc}"  # LOINC's canonical for its panels
    return f"{INSTRUMENT_SYSTEM}:{inst.name}"


def instrument_resources(score: Score, *, patient_id: str, result_id: str,
                         taken: dt.date | dt.datetime
                         ) -> tuple[QuestionnaireResponse, Observation]:
    """A scored questionnaire as a QuestionnaireResponse (each answer as a coding with the
    option's label) and an Observation of the total (``{score}``), its band as the
    interpretation, subscales and LOINC-coded item answers as components, derived from the
    response."""
    inst = get_instrument(score.instrument)
    _check_id(patient_id, "patient_id")
    _check_id(result_id, "result_id")
    when = _date(taken)
    options = f"{INSTRUMENT_SYSTEM}:{inst.name}:answer"
    items: list[dict[str, Any]] = []
    for number, value in sorted(score.answers.items()):
        item = inst.item(number)
        label = next(o.label for o in item.options if o.value == value)
        entry: dict[str, Any] = {
            "linkId": str(number),
            "text": item.text or item.domain,
            "answer": [{"valueCoding": {"system": options, "code": str(value),
                                        "display": label}}],
        }
        items.append(entry)
    qr_id = resource_id("QuestionnaireResponse", result_id)
    qr = _build(QuestionnaireResponse, {
        "resourceType": "QuestionnaireResponse",
        "id": qr_id,
        "identifier": {"system": f"{INSTRUMENT_SYSTEM}:result", "value": result_id},
        "questionnaire": _questionnaire_url(inst.name),
        "status": "completed",
        "subject": _ref("Patient", patient_id),
        "authored": when,
        "item": items,
    })
    total_code: dict[str, Any] = {"text": f"{inst.title} total score"}
    codings = [{"system": INSTRUMENT_SYSTEM, "code": f"{inst.name}-total",
                "display": f"{inst.title} total score"}]
    if inst.total_loinc is not None:
        codings.insert(0, {"system": LOINC, "code": inst.total_loinc})
    total_code["coding"] = codings
    components: list[dict[str, Any]] = []
    for sub in inst.subscales:
        if sub.name not in score.subscales:
            continue
        code: dict[str, Any] = {"text": sub.name, "coding": [
            {"system": INSTRUMENT_SYSTEM, "code": f"{inst.name}-{sub.name}"}]}
        if sub.loinc is not None:
            code["coding"].insert(0, {"system": LOINC, "code": sub.loinc})
        components.append({"code": code,
                           "valueQuantity": _score_quantity(score.subscales[sub.name])})
    for number, value in sorted(score.answers.items()):
        loinc = inst.item(number).loinc
        if loinc is not None:
            components.append({"code": {"coding": [{"system": LOINC, "code": loinc}],
                                        "text": inst.item(number).domain},
                               "valueInteger": value})
    band = score.band
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "id": resource_id("Observation", result_id),
        "identifier": [{"system": f"{INSTRUMENT_SYSTEM}:result", "value": result_id}],
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey",
                                  "display": "Survey"}]}],
        "code": total_code,
        "subject": _ref("Patient", patient_id),
        "effectiveDateTime": when,
        "valueQuantity": _score_quantity(score.total),
        "interpretation": [{"coding": [{"system": f"{INSTRUMENT_SYSTEM}:{inst.name}:band",
                                        "code": band.code, "display": band.label}],
                            "text": band.label}],
        "referenceRange": [{"low": _score_quantity(band.low),
                            "high": _score_quantity(band.high), "text": band.label}],
        "derivedFrom": [_ref("QuestionnaireResponse", qr_id)],
    }
    if components:
        obs["component"] = components
    notes = [{"text": f"{a.level.upper()} {a.code}: {a.why} Action: {a.action}"}
             for a in score.alerts]
    if not band.verified:
        notes.append({"text": f"Band '{band.code}' is not verified against its source."})
    if notes:
        obs["note"] = notes
    return qr, _build(Observation, obs)


# ---------------------------------------------------------------- findings

_SAFETY_SEVERITY = {"contraindicated": "high", "major": "high", "moderate": "moderate",
                    "minor": "low", "info": "low"}


def _implicated(refs: Iterable[str]) -> list[dict[str, str]]:
    out = []
    for r in refs:
        kind, _, ident = r.partition("/")
        if not kind or not ident:
            raise InputError(f"'{r}' is not a reference such as 'MedicationRequest/1'",
                             field="implicated")
        out.append(_ref(kind, _check_id(ident, "implicated")))
    return out


def finding_issue(finding: Finding | Mapping[str, Any], *, patient_id: str, issue_id: str,
                  identified: dt.date | dt.datetime,
                  implicated: Sequence[str] = ()) -> DetectedIssue:
    """A safety finding (a :class:`~benzoplan.safety.Finding` or its JSON form, as stored
    with a check result) as a DetectedIssue (severity contraindicated/major → high,
    moderate → moderate, minor/info → low); message, rationale, action and emergency
    instructions in ``detail``, the source's URL as ``reference``."""
    f = finding.to_json() if isinstance(finding, Finding) else finding
    try:
        severity = _SAFETY_SEVERITY[f["severity"]]
        code, message = str(f["code"]), str(f["message"])
        sources = [f["source"], *(f.get("also_sources") or [])]
        lines = [message, f"Why: {f['rationale']}", f"Action: {f['action']}"]
        if f.get("urgent") and f.get("emergency"):
            lines.append(f"URGENT — emergency: {f['emergency']}")
        if f.get("assumption"):
            lines.append(f"Relies on the documented assumption '{f['assumption']['name']}'.")
        lines.append("Sources: " + "; ".join(str(s["title"]) for s in sources))
        url = f["source"].get("url")
    except (KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"not a safety finding: missing or malformed {exc}",
                         field="finding") from None
    data: dict[str, Any] = {
        "resourceType": "DetectedIssue",
        "id": _check_id(issue_id, "issue_id"),
        "status": "final",
        "code": {"coding": [{"system": FINDING_SYSTEM, "code": code, "display": message}],
                 "text": message},
        "severity": severity,
        "patient": _ref("Patient", _check_id(patient_id, "patient_id")),
        "identifiedDateTime": _date(identified),
        "detail": "\n".join(lines),
    }
    if url:
        data["reference"] = url
    if implicated:
        data["implicated"] = _implicated(implicated)
    return _build(DetectedIssue, data)


def taper_finding_issue(finding: TaperFinding, *, patient_id: str, issue_id: str,
                        identified: dt.date | dt.datetime,
                        implicated: Sequence[str] = ()) -> DetectedIssue:
    """A taper plan's guideline finding as a DetectedIssue (taper findings use the safety
    findings' severity words, mapped the same way), implicating the CarePlan (and step) it
    concerns."""
    step = f" (step {finding.step})" if finding.step is not None else ""
    data: dict[str, Any] = {
        "resourceType": "DetectedIssue",
        "id": _check_id(issue_id, "issue_id"),
        "status": "final",
        "code": {"coding": [{"system": TAPER_FINDING_SYSTEM, "code": finding.code,
                             "display": finding.message}], "text": finding.message},
        "severity": _SAFETY_SEVERITY[finding.severity],
        "patient": _ref("Patient", _check_id(patient_id, "patient_id")),
        "identifiedDateTime": _date(identified),
        "detail": f"{finding.message}{step}\nWhy: {finding.rationale}\n"
                  f"Source: {finding.source}",
    }
    if implicated:
        data["implicated"] = _implicated(implicated)
    return _build(DetectedIssue, data)


# ---------------------------------------------------------------- $everything


def everything_bundle(base_url: str, resources: Sequence[Resource], *,
                      timestamp: dt.datetime | None = None) -> Bundle:
    """The ``Patient/{id}/$everything`` answer: a ``searchset`` Bundle of ``resources`` with
    absolute ``fullUrl`` s under ``base_url`` (the FHIR base, e.g. ``https://host/fhir``).
    A resource listed twice (same type and id) is refused."""
    if not re.fullmatch(r"https?://\S+", base_url):
        raise InputError(f"base URL '{base_url}' is not an http(s) URL", field="base_url")
    base = base_url.rstrip("/")
    seen: set[tuple[str, str]] = set()
    entries = []
    for r in resources:
        kind = r.get_resource_type()
        key = (kind, str(r.id))
        if r.id is None or key in seen:
            raise InputError(f"{kind}/{r.id} is missing an id or listed twice",
                             field="resources")
        seen.add(key)
        entries.append({"fullUrl": f"{base}/{kind}/{r.id}", "resource": r,
                        "search": {"mode": "match"}})
    when = timestamp or dt.datetime.now(dt.UTC)
    data: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset",
                            "timestamp": _date(when), "total": len(entries)}
    if entries:
        data["entry"] = entries
    return _build(Bundle, data)
