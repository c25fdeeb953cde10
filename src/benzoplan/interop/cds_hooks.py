"""CDS Hooks 2.0 card logic for benzodiazepine orders (pure functions, no HTTP).

* :func:`services` — the discovery document (``GET {base}/cds-services``): one service per
  hook (``order-select``, ``order-sign``), each with its prefetch templates.
* :func:`cards_for` — a hook request (``POST {base}/cds-services/{id}``) → ``{"cards": [...]}``.
* :func:`parse_feedback` — a feedback request (``POST {base}/cds-services/{id}/feedback``)
  → validated :class:`Feedback` items (accepted suggestions, override reasons).

The request's FHIR R4 prefetch (Patient, MedicationRequest, Condition, Observation bundles)
and ``context.draftOrders`` are parsed with the ``fhir.resources.R4B`` models, mapped to a
:class:`~benzoplan.safety.PatientRecord` per benzodiazepine order, and checked by
:func:`benzoplan.safety.check`. Cards follow the 2.0 rules: ``summary`` under 140
characters, ``indicator`` info / warning / critical, ``source.label`` always,
``selectionBehavior`` whenever there are suggestions, ``overrideReasons`` on warnings; no
element is null or empty. Minor and informational findings, and whatever could not be
checked, are gathered in one info card instead of a card each (against alert fatigue).
A request that is not a conformant hook call raises :class:`~benzoplan.errors.InputError`
(:class:`PrefetchMissing`, HTTP 412 as the specification asks, when the patient prefetch
needed to run the checks was not sent);
patient data that cannot be checked (e.g. no birth date, a dose without a unit) yields a
warning card that says so, never an empty answer.
"""

from __future__ import annotations

import copy
import datetime as dt
import tomllib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.patient import Patient
from pydantic import BaseModel, ConfigDict, ValidationError

from benzoplan.drugs import get_drug
from benzoplan.errors import BenzoplanError, InputError, UnknownDrug, UnknownItem
from benzoplan.safety import Finding, PatientRecord, check, label_dosing
from benzoplan.safety.medicines import resolve_medicine, resolve_rxnorm
from benzoplan.units import ureg

__all__ = ["Feedback", "PrefetchMissing", "cards_for", "override_reasons", "parse_feedback",
           "service_ids", "services"]

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
LOINC = "http://loinc.org"
SUMMARY_MAX = 139  # the specification: a summary of under 140 characters
HOOK_INSTANCE_MAX = 100  # a UUID is 36; room for other unique-id forms
PATIENT_ID_MAX = 200


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Service(_Frozen):
    id: str
    hook: str
    title: str
    description: str


class _Reason(_Frozen):
    code: str
    display: str


class _Config(_Frozen):
    override_system: str
    prefetch: dict[str, str]
    services: tuple[_Service, ...]
    conditions: dict[str, tuple[str, ...]]
    hepatic: dict[str, tuple[str, ...]]
    indications: dict[str, str]
    observations: dict[str, tuple[str, ...]]
    override_reasons: tuple[_Reason, ...]


@cache
def _config() -> _Config:
    path = resources.files("benzoplan.interop") / "data" / "cds_hooks.toml"
    return _Config.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))


class PrefetchMissing(InputError):
    """The data the checks need was not prefetched (this service does not query the FHIR
    server itself): CDS Hooks 2.0 answers ``412 Precondition Failed``."""

    http_status = 412
    title = "Precondition failed"


def service_ids() -> tuple[str, ...]:
    return tuple(s.id for s in _config().services)


def override_reasons() -> tuple[dict[str, str], ...]:
    """The override reasons offered on warning cards, as CDS Hooks Codings."""
    cfg = _config()
    return tuple({"system": cfg.override_system, "code": r.code, "display": r.display}
                 for r in cfg.override_reasons)


def services() -> dict[str, Any]:
    """The CDS Hooks discovery document."""
    cfg = _config()
    return {"services": [{"hook": s.hook, "title": s.title, "description": s.description,
                          "id": s.id, "prefetch": dict(cfg.prefetch)} for s in cfg.services]}


# ---------------------------------------------------------------- request parsing


def _parse(model: type[Any], obj: Any, what: str) -> Any:
    if not isinstance(obj, Mapping):
        raise InputError(f"{what} must be a FHIR {model.__name__} object", field=what)
    if obj.get("resourceType") != model.__name__:
        raise InputError(f"{what} must have resourceType {model.__name__}, got "
                         f"{obj.get('resourceType')!r}", field=what)
    try:
        return model.model_validate(obj)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise InputError(f"{what} is not valid FHIR R4 {model.__name__}: {where}: "
                         f"{first.get('msg')}", field=what) from None


def _entries(bundle: Bundle | None, kind: type[Any]) -> list[Any]:
    if bundle is None:
        return []
    return [e.resource for e in (bundle.entry or []) if isinstance(e.resource, kind)]


def _raw_entries(obj: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    out: dict[str, Mapping[str, Any]] = {}
    for e in obj.get("entry") or []:
        r = e.get("resource") if isinstance(e, Mapping) else None
        if isinstance(r, Mapping) and r.get("resourceType") == "MedicationRequest" and r.get("id"):
            out[str(r["id"])] = r
    return out


def _codings(cc: CodeableConcept | None) -> list[tuple[str, str]]:
    if cc is None:
        return []
    return [(str(c.system or ""), str(c.code or "")) for c in (cc.coding or [])]


def _matches(codings: Sequence[tuple[str, str]], patterns: Sequence[str]) -> bool:
    for system, code in codings:
        for pattern in patterns:
            psys, pcode = pattern.split("|", 1)
            if psys != system:
                continue
            if pcode.endswith("*") and code.startswith(pcode[:-1]):
                return True
            if code == pcode:
                return True
    return False


def _date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value)
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def _medication_texts(mr: MedicationRequest) -> list[str]:
    """Names to try for a MedicationRequest: text, coding displays, RxNorm ingredient."""
    texts: list[str] = []
    cc = mr.medicationCodeableConcept
    if cc is not None:
        if cc.text:
            texts.append(str(cc.text))
        for c in cc.coding or []:
            if c.display:
                texts.append(str(c.display))
            if str(c.system or "") == RXNORM and c.code:
                med = resolve_rxnorm(str(c.code))
                if med is not None:
                    texts.append(med.name)
    ref = mr.medicationReference
    if ref is not None and ref.display:
        texts.append(str(ref.display))
    return texts


def _medication_name(mr: MedicationRequest) -> str | None:
    """The first name that resolves, else the first name given (it is listed unresolved)."""
    texts = _medication_texts(mr)
    for text in texts:
        if resolve_medicine(text) is not None:
            return text
    return texts[0] if texts else None


def _benzodiazepine(mr: MedicationRequest) -> tuple[str | None, str | None]:
    """(benzoplan drug name, or None; the medicine text) for a MedicationRequest."""
    for text in _medication_texts(mr):
        m = resolve_medicine(text)
        if m is not None and "benzodiazepine" in m.classes:
            try:
                return get_drug(m.medicine.name).name, text
            except UnknownDrug:
                return None, m.medicine.name
    return None, None


@dataclass
class _Context:
    today: dt.date
    hook_instance: str
    patient_id: str
    patient: Patient
    medications: list[MedicationRequest] | None
    conditions: list[Condition] | None
    observations: list[Observation] | None
    orders: list[MedicationRequest]
    other_drafts: list[MedicationRequest]
    raw_orders: dict[str, Mapping[str, Any]]
    # prefetch keys the client answered with an OperationOutcome, and what it said
    failed: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _request_context(service: _Service, request: Mapping[str, Any],
                     today: dt.date) -> _Context:
    if not isinstance(request, Mapping):
        raise InputError("a CDS Hooks request must be a JSON object")
    if request.get("hook") != service.hook:
        raise InputError(f"service '{service.id}' answers the '{service.hook}' hook, not "
                         f"{request.get('hook')!r}", field="hook")
    hook_instance = request.get("hookInstance")
    if not isinstance(hook_instance, str) or not hook_instance:
        raise InputError("hookInstance (a UUID string) is required", field="hookInstance")
    if len(hook_instance) > HOOK_INSTANCE_MAX:
        raise InputError(f"hookInstance is longer than {HOOK_INSTANCE_MAX} characters (it is "
                         "a UUID)", field="hookInstance")
    context = request.get("context")
    if not isinstance(context, Mapping):
        raise InputError("context is required", field="context")
    patient_id = context.get("patientId")
    if not isinstance(patient_id, str) or not patient_id:
        raise InputError("context.patientId is required", field="context.patientId")
    if len(patient_id) > PATIENT_ID_MAX:
        raise InputError(f"context.patientId is longer than {PATIENT_ID_MAX} characters",
                         field="context.patientId")
    raw_drafts = context.get("draftOrders")
    drafts: Bundle = _parse(Bundle, raw_drafts, "context.draftOrders")
    orders = _entries(drafts, MedicationRequest)
    if service.hook == "order-select":
        selections = context.get("selections")
        if not isinstance(selections, list) or not selections or not all(
                isinstance(s, str) for s in selections):
            raise InputError("context.selections (a list of references) is required for "
                             "order-select", field="context.selections")
        chosen = [o for o in orders if f"MedicationRequest/{o.id}" in selections]
    else:
        chosen = orders
    prefetch = request.get("prefetch")
    if not isinstance(prefetch, Mapping) or not isinstance(prefetch.get("patient"), Mapping):
        raise PrefetchMissing("prefetch.patient is required (Patient/{{context.patientId}}); "
                              "this service does not query the FHIR server itself",
                              field="prefetch.patient")
    outcome = _failed_prefetch(prefetch.get("patient"))
    if outcome is not None:
        raise PrefetchMissing(f"the client could not prefetch the patient ({outcome}); this "
                              "service does not query the FHIR server itself",
                              field="prefetch.patient")
    patient: Patient = _parse(Patient, prefetch["patient"], "prefetch.patient")
    failed: dict[str, str] = {}

    def bundle(key: str, kind: type[Any]) -> list[Any] | None:
        raw = prefetch.get(key)
        if raw is None:
            return None
        why = _failed_prefetch(raw)
        if why is not None:
            failed[key] = why
            return None
        return _entries(_parse(Bundle, raw, f"prefetch.{key}"), kind)

    medications = bundle("medications", MedicationRequest)
    conditions = bundle("conditions", Condition)
    observations = bundle("observations", Observation)
    return _Context(
        today=today, hook_instance=hook_instance, patient_id=patient_id, patient=patient,
        medications=medications, conditions=conditions, observations=observations,
        orders=chosen, other_drafts=[o for o in orders if o not in chosen],
        raw_orders=_raw_entries(raw_drafts if isinstance(raw_drafts, Mapping) else {}),
        failed=failed,
    )


def _failed_prefetch(raw: Any) -> str | None:
    """CDS Hooks 2.0 lets a client send an OperationOutcome where it could not prefetch: what
    it says (validated as FHIR R4), else None for any other value."""
    if not isinstance(raw, Mapping) or raw.get("resourceType") != "OperationOutcome":
        return None
    outcome = _parse(OperationOutcome, raw, "prefetch")
    said = [i.diagnostics or (i.details.text if i.details else None) or i.code
            for i in outcome.issue or []]
    return "; ".join(str(x) for x in said if x) or "OperationOutcome without details"


# ---------------------------------------------------------------- FHIR → PatientRecord


def _age_years(patient: Patient, today: dt.date) -> float | None:
    born = _date(patient.birthDate)
    if born is None:
        return None
    years = (today - born).days / 365.2425
    return float(int(years)) if years >= 2 else round(years, 2)  # completed years from 2


def _active_condition(c: Condition) -> bool:
    status = {code for _, code in _codings(c.clinicalStatus)}
    verification = {code for _, code in _codings(c.verificationStatus)}
    return not (status & {"inactive", "resolved", "remission"}
                or verification & {"refuted", "entered-in-error"})


def _conditions(ctx: _Context) -> tuple[list[str], str, bool, list[list[tuple[str, str]]]]:
    """(safety conditions, hepatic impairment, pregnant, unmapped condition codings)."""
    cfg = _config()
    found: set[str] = set()
    hepatic = "none"
    pregnant = False
    unmapped: list[list[tuple[str, str]]] = []
    for c in ctx.conditions or []:
        if not _active_condition(c):
            continue
        codes = _codings(c.code)
        hit = False
        for name, patterns in cfg.conditions.items():
            if _matches(codes, patterns):
                hit = True
                if name == "pregnancy":
                    pregnant = True
                else:
                    found.add(name)
        if _matches(codes, cfg.hepatic["severe"]):
            hepatic, hit = "severe", True
        elif _matches(codes, cfg.hepatic["moderate"]):
            hepatic = "moderate" if hepatic != "severe" else hepatic
            hit = True
        if not hit:
            unmapped.append(codes)
    return sorted(found), hepatic, pregnant, unmapped


def _observations(ctx: _Context) -> tuple[float | None, dict[str, str]]:
    """(latest body weight in kg, latest date per monitored item)."""
    cfg = _config().observations
    latest: dict[str, tuple[dt.date, Observation]] = {}
    for o in ctx.observations or []:
        if str(o.status or "") in ("entered-in-error", "cancelled"):
            continue
        when = _date(o.effectiveDateTime) or _date(o.issued)
        if when is None:
            continue
        loincs = {code for system, code in _codings(o.code) if system == LOINC}
        for item, codes in cfg.items():
            if loincs & set(codes) and (item not in latest or when > latest[item][0]):
                latest[item] = (when, o)
    weight = None
    if "weight" in latest:
        q = latest["weight"][1].valueQuantity
        if q is not None and q.value is not None:
            unit = {"[lb_av]": "lb", "kg": "kg", "g": "g", "lb": "lb"}.get(
                str(q.code or q.unit or ""), "")
            if unit:
                weight = float(ureg.Quantity(float(q.value), unit).to("kg").magnitude)
    dates = {k: d.isoformat() for k, (d, _) in latest.items() if k != "weight"}
    return weight, dates


def _schedule(order: MedicationRequest) -> list[dict[str, Any]]:
    """Doses per day from dosageInstruction (empty when no dose is given)."""
    schedule: list[dict[str, Any]] = []
    for di in order.dosageInstruction or []:
        qty = None
        for dr in di.doseAndRate or []:
            if dr.doseQuantity is not None:
                qty = dr.doseQuantity
        if qty is None or qty.value is None:
            continue
        unit = qty.code or qty.unit
        if not unit:
            schedule.append({"dose": float(qty.value)})  # refused downstream: no unit
            continue
        per_day = 1.0
        rep = di.timing.repeat if di.timing is not None else None
        if rep is not None:
            freq = float(rep.frequency or 1)
            period = float(rep.period or 1)
            days = {"s": 1 / 86400, "min": 1 / 1440, "h": 1 / 24, "d": 1.0, "wk": 7.0,
                    "mo": 30.0, "a": 365.0}.get(str(rep.periodUnit or "d"), 1.0)
            per_day = freq / (period * days)
        count = max(1, round(per_day))
        each = float(qty.value) * per_day / count
        schedule.extend({"dose": {"value": round(each, 6), "unit": str(unit)}}
                        for _ in range(count))
    return schedule


def _indication(order: MedicationRequest, conditions: list[str]) -> str:
    cfg = _config()
    for reason in order.reasonCode or []:
        codes = _codings(reason)
        for indication, condition in cfg.indications.items():
            if _matches(codes, cfg.conditions[condition]):
                return indication
    implied = [i for i, c in cfg.indications.items() if c in conditions]
    return implied[0] if len(implied) == 1 else "unspecified"


def _record(ctx: _Context, order: MedicationRequest, drug: str) -> dict[str, Any]:
    conditions, hepatic, pregnant, unmapped = _conditions(ctx)
    weight, dates = _observations(ctx)
    for codes in unmapped:
        label = ", ".join(f"{s.rsplit('/', 1)[-1]} {c}" for s, c in codes) or "uncoded"
        ctx.notes.append(f"Condition {label} is not mapped to a safety rule; check it by hand.")
    for key, value in (("medications", ctx.medications), ("conditions", ctx.conditions),
                       ("observations", ctx.observations)):
        if value is None and key in ctx.failed:
            ctx.notes.append(f"The EHR could not prefetch '{key}' ({ctx.failed[key]}); the "
                             "checks that need it were not run.")
        elif value is None:
            ctx.notes.append(f"No '{key}' prefetch was sent; the checks that need it were "
                             "not run.")
    medicines: list[str] = []
    starts: list[dt.date] = []
    for mr in [*(ctx.medications or []), *ctx.other_drafts]:
        if mr.id == order.id:
            continue
        other, _ = _benzodiazepine(mr)
        if other == drug:
            authored = _date(mr.authoredOn)
            if authored is not None:
                starts.append(authored)
            continue
        name = _medication_name(mr)
        if name is not None:
            medicines.append(name)
    start = min(starts) if starts else (_date(order.authoredOn) or ctx.today)
    sex = str(ctx.patient.gender or "unknown")
    record: dict[str, Any] = {
        "id": ctx.patient_id,
        "age_years": _age_years(ctx.patient, ctx.today),
        "sex": sex if sex in ("female", "male", "other", "unknown") else "unknown",
        "pregnant": pregnant,
        "conditions": conditions,
        "hepatic_impairment": hepatic,
        "medicines": sorted(set(medicines)),
        "regimen": {
            "drug": drug,
            "indication": _indication(order, conditions),
            "start_date": min(start, ctx.today).isoformat(),
            "schedule": _schedule(order),
        },
        "monitoring": dates,
    }
    if weight is not None:
        record["weight"] = {"value": round(weight, 3), "unit": "kg"}
    return record


# ---------------------------------------------------------------- cards


def _summary(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= SUMMARY_MAX:
        return text
    cut = text[: SUMMARY_MAX - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def _uuid(ctx: _Context, *parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "benzoplan:" + ":".join((ctx.hook_instance,
                                                                        *parts))))


def _source(f: Finding) -> dict[str, Any]:
    src: dict[str, Any] = {"label": f.source.title}
    if f.source.url:
        src["url"] = f.source.url
    return src


def _detail(f: Finding) -> str:
    lines = [f.message, "", f"**Why:** {f.rationale}", "", f"**Action:** {f.action}", "",
             f"**For the patient:** {f.patient_message}"]
    if f.emergency:
        lines += ["", f"**Emergency:** {f.emergency}"]
    if f.assumption:
        lines += ["", f"_Relies on the documented assumption '{f.assumption}'._"]
    refs = [f.source, *f.also_sources]
    lines += ["", "**Sources:** " + "; ".join(
        f"[{s.title}]({s.url})" if s.url else s.title for s in refs)]
    return "\n".join(lines)


def _dose_suggestion(ctx: _Context, order: MedicationRequest, record: PatientRecord
                     ) -> dict[str, Any] | None:
    raw = ctx.raw_orders.get(str(order.id))
    dis = (raw or {}).get("dosageInstruction") or []
    if raw is None or len(dis) != 1 or len(dis[0].get("doseAndRate") or []) != 1:
        return None
    reg = record.regimen
    mx = label_dosing(reg.drug, reg.indication, age_years=record.age_years,
                      weight_kg=record.weight_kg, market=reg.market).maximum()
    if mx is None or not reg.schedule:
        return None
    per, ceiling = mx
    single = ceiling / len(reg.schedule) if per == "day" else ceiling
    new = copy.deepcopy(dict(raw))
    qty = new["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]
    try:
        value = single.to(str(qty.get("code") or qty.get("unit")))
    except BenzoplanError:
        return None
    qty["value"] = round(value, 4)
    return {"label": f"Reduce each dose to {single} (label maximum {ceiling} per {per})",
            "uuid": _uuid(ctx, str(order.id), "reduce-dose"), "isRecommended": True,
            "actions": [{"type": "update",
                         "description": f"Set the dose to {single} per administration",
                         "resource": new}]}


def _lab_suggestion(ctx: _Context, item: str, display: str, loinc: str) -> dict[str, Any]:
    return {"label": f"Order {display}", "uuid": _uuid(ctx, "order", item),
            "actions": [{"type": "create", "description": f"Order {display} (LOINC {loinc})",
                         "resource": {
                             "resourceType": "ServiceRequest", "status": "draft",
                             "intent": "proposal",
                             "code": {"coding": [{"system": LOINC, "code": loinc,
                                                  "display": display}], "text": display},
                             "subject": {"reference": f"Patient/{ctx.patient_id}"}}}]}


def _suggestions(ctx: _Context, f: Finding, order: MedicationRequest,
                 record: PatientRecord) -> list[dict[str, Any]]:
    if f.code == "dose-above-label-maximum":
        s = _dose_suggestion(ctx, order, record)
        return [s] if s else []
    if f.code == "blood-count-overdue":
        return [_lab_suggestion(ctx, "cbc", "complete blood count", "58410-2")]
    if f.code == "liver-tests-overdue":
        return [_lab_suggestion(ctx, "lft", "hepatic function panel", "24325-3")]
    if f.severity == "contraindicated" and not f.urgent and order.id:
        return [{"label": "Cancel this order", "uuid": _uuid(ctx, str(order.id), "cancel"),
                 "actions": [{"type": "delete", "description": "Remove the draft order",
                              "resourceId": f"MedicationRequest/{order.id}"}]}]
    return []


def _card(ctx: _Context, f: Finding, order: MedicationRequest,
          record: PatientRecord) -> dict[str, Any]:
    critical = f.severity == "contraindicated" or f.urgent
    indicator = "critical" if critical else "warning"
    label = {"contraindicated": "Contraindicated", "major": "Major",
             "moderate": "Moderate"}[f.severity]
    card: dict[str, Any] = {
        "uuid": _uuid(ctx, str(order.id), f.code),
        "summary": _summary(f"{'URGENT: ' if f.urgent else ''}{label}: {f.message}"),
        "detail": _detail(f),
        "indicator": indicator,
        "source": _source(f),
    }
    suggestions = _suggestions(ctx, f, order, record)
    if suggestions:
        card["suggestions"] = suggestions
        card["selectionBehavior"] = "at-most-one"
    if indicator == "warning":
        cfg = _config()
        card["overrideReasons"] = [{"system": cfg.override_system, "code": r.code,
                                    "display": r.display} for r in cfg.override_reasons]
    return card


def _info_card(ctx: _Context, order: MedicationRequest, drug: str, findings: list[Finding],
               notes: list[str], record: PatientRecord | None) -> dict[str, Any]:
    lines = [f"- **{f.severity}** `{f.code}`: {f.message} ({f.source.title})"
             for f in findings]
    lines += [f"- Not checked: {n}" for n in notes]
    card: dict[str, Any] = {
        "uuid": _uuid(ctx, str(order.id), "notes"),
        "summary": _summary(f"{len(findings) + len(notes)} further notes on this {drug} "
                            "order (minor findings and items not checked)"),
        "detail": "\n".join(lines),
        "indicator": "info",
        "source": {"label": "benzoplan safety rules (sources per note)"},
    }
    suggestions: list[dict[str, Any]] = []
    if record is not None:
        for f in findings:
            suggestions += _suggestions(ctx, f, order, record)
    if suggestions:
        card["suggestions"] = suggestions
        card["selectionBehavior"] = "any"
    return card


def _cards_for_order(ctx: _Context, order: MedicationRequest) -> list[dict[str, Any]]:
    drug, text = _benzodiazepine(order)
    if drug is None:
        if text is None:
            return []  # not a benzodiazepine: nothing for this service to say
        return [{"uuid": _uuid(ctx, str(order.id), "no-data"), "indicator": "info",
                 "summary": _summary(f"benzoplan has no drug data for {text}; this order "
                                     "was not checked"),
                 "source": {"label": "benzoplan drug knowledge base"}}]
    ctx.notes = []
    try:
        record = PatientRecord.from_json(_record(ctx, order, drug))
    except BenzoplanError as exc:
        return [{"uuid": _uuid(ctx, str(order.id), "not-checked"), "indicator": "warning",
                 "summary": _summary(f"benzoplan could not check this {drug} order: "
                                     f"{exc.message}"),
                 "detail": f"The patient data could not be checked: {exc.message}. "
                           "Review the order by hand.",
                 "source": {"label": "benzoplan safety rules"}}]
    result = check(record, today=ctx.today)
    cards = [_card(ctx, f, order, record) for f in result.findings
             if f.severity in ("contraindicated", "major", "moderate")]
    minor = [f for f in result.findings if f.severity in ("minor", "info")]
    notes = [*ctx.notes, *(f"{u.field}{f' ({u.value})' if u.value else ''}: {u.reason}"
                           for u in result.unresolved)]
    if minor or notes:
        cards.append(_info_card(ctx, order, drug, minor, notes, record))
    return cards


def cards_for(service_id: str, request: Mapping[str, Any], *,
              today: dt.date | None = None) -> dict[str, Any]:
    """The CDS Hooks response ``{"cards": [...]}`` for one hook call."""
    service = next((s for s in _config().services if s.id == service_id), None)
    if service is None:
        known = ", ".join(s.id for s in _config().services)
        raise UnknownItem(f"unknown CDS service '{service_id}'; known: {known}",
                          field="service_id")
    ctx = _request_context(service, request, today or dt.date.today())
    cards: list[dict[str, Any]] = []
    for order in ctx.orders:
        cards.extend(_cards_for_order(ctx, order))
    return {"cards": cards}




# ---------------------------------------------------------------- feedback

FEEDBACK_MAX = 100  # feedback items per request


@dataclass(frozen=True)
class Feedback:
    """One feedback item: what the clinician did with one card."""

    card: str
    outcome: str  # accepted | overridden
    accepted_suggestions: tuple[str, ...]
    reason_code: str | None
    reason_system: str | None
    reason_display: str | None
    user_comment: str | None
    outcome_timestamp: dt.datetime

    def to_json(self) -> dict[str, Any]:
        """The item in the specification's JSON form (no empty elements)."""
        out: dict[str, Any] = {"card": self.card, "outcome": self.outcome}
        if self.accepted_suggestions:
            out["acceptedSuggestions"] = [{"id": i} for i in self.accepted_suggestions]
        reason: dict[str, Any] = {}
        if self.reason_code is not None:
            coding = {"system": self.reason_system, "code": self.reason_code}
            if self.reason_display:
                coding["display"] = self.reason_display
            reason["reason"] = coding
        if self.user_comment:
            reason["userComment"] = self.user_comment
        if reason:
            out["overrideReason"] = reason
        out["outcomeTimestamp"] = self.outcome_timestamp.isoformat().replace("+00:00", "Z")
        return out


def _text(obj: Mapping[str, Any], key: str, where: str, *, required: bool = True,
          max_len: int = 200) -> str | None:
    value = obj.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{where}.{key} must be a non-empty string", field=f"{where}.{key}")
    if len(value) > max_len:
        raise InputError(f"{where}.{key} is longer than {max_len} characters",
                         field=f"{where}.{key}")
    return value


def _only(obj: Mapping[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(obj) - allowed - {"extension"})
    if extra:
        raise InputError(f"unknown field '{extra[0]}' in {where}; allowed: "
                         f"{', '.join(sorted(allowed))}", field=f"{where}.{extra[0]}")


def _timestamp(value: Any, where: str) -> dt.datetime:
    if not isinstance(value, str):
        raise InputError(f"{where} must be an RFC 3339 date-time in UTC, e.g. "
                         "2026-11-24T10:05:31Z", field=where)
    try:
        at = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"{where} '{value}' is not an RFC 3339 date-time, e.g. "
                         "2026-11-24T10:05:31Z", field=where) from None
    if at.tzinfo is None:
        raise InputError(f"{where} '{value}' has no time zone; send UTC ('Z')", field=where)
    return at.astimezone(dt.UTC)


def _feedback_item(raw: Any, where: str) -> Feedback:
    if not isinstance(raw, Mapping):
        raise InputError(f"{where} must be an object", field=where)
    _only(raw, {"card", "outcome", "acceptedSuggestions", "overrideReason",
                "outcomeTimestamp"}, where)
    card = _text(raw, "card", where)
    outcome = raw.get("outcome")
    if outcome not in ("accepted", "overridden"):
        raise InputError(f"{where}.outcome must be 'accepted' or 'overridden', got "
                         f"{outcome!r}", field=f"{where}.outcome")
    accepted: list[str] = []
    suggestions = raw.get("acceptedSuggestions")
    if outcome == "accepted":
        if not isinstance(suggestions, list) or not suggestions:
            raise InputError(f"{where}.acceptedSuggestions (a non-empty list of {{\"id\"}}) "
                             "is required for an accepted card",
                             field=f"{where}.acceptedSuggestions")
        for i, s in enumerate(suggestions):
            w = f"{where}.acceptedSuggestions[{i}]"
            if not isinstance(s, Mapping):
                raise InputError(f"{w} must be an object with an id", field=w)
            _only(s, {"id"}, w)
            accepted.append(str(_text(s, "id", w)))
        if raw.get("overrideReason") is not None:
            raise InputError(f"{where}: an accepted card has no override reason",
                             field=f"{where}.overrideReason")
    elif suggestions is not None:
        raise InputError(f"{where}: an overridden card has no accepted suggestions",
                         field=f"{where}.acceptedSuggestions")
    code = system = display = comment = None
    reason = raw.get("overrideReason")
    if reason is not None:
        w = f"{where}.overrideReason"
        if not isinstance(reason, Mapping) or not reason:
            raise InputError(f"{w} must be an object with a reason and/or a userComment",
                             field=w)
        _only(reason, {"reason", "userComment"}, w)
        comment = _text(reason, "userComment", w, required=False, max_len=2000)
        coding = reason.get("reason")
        if coding is not None:
            if not isinstance(coding, Mapping):
                raise InputError(f"{w}.reason must be a Coding", field=f"{w}.reason")
            _only(coding, {"system", "code", "display"}, f"{w}.reason")
            system = str(_text(coding, "system", f"{w}.reason"))
            code = str(_text(coding, "code", f"{w}.reason"))
            known = {(r["system"], r["code"]): r["display"] for r in override_reasons()}
            if (system, code) not in known:
                codes = ", ".join(c for _, c in known)
                raise InputError(f"{w}.reason {system}|{code} is not one of the override "
                                 f"reasons this service offers ({codes})",
                                 field=f"{w}.reason.code")
            display = known[(system, code)]
    return Feedback(card=str(card), outcome=outcome, accepted_suggestions=tuple(accepted),
                    reason_code=code, reason_system=system, reason_display=display,
                    user_comment=comment,
                    outcome_timestamp=_timestamp(raw.get("outcomeTimestamp"),
                                                 f"{where}.outcomeTimestamp"))


def parse_feedback(service_id: str, body: Any) -> tuple[Feedback, ...]:
    """Validate a CDS Hooks 2.0 feedback request for ``service_id``: ``{"feedback": [...]}``,
    each item with ``card``, ``outcome`` (accepted with ``acceptedSuggestions``, or
    overridden with an optional ``overrideReason`` from the offered reasons and/or a
    ``userComment``) and ``outcomeTimestamp`` (UTC)."""
    if service_id not in service_ids():
        raise UnknownItem(f"unknown CDS service '{service_id}'; known: "
                          f"{', '.join(service_ids())}", field="service_id")
    if not isinstance(body, Mapping):
        raise InputError("a feedback request must be a JSON object {\"feedback\": [...]}")
    _only(body, {"feedback"}, "request")
    items = body.get("feedback")
    if not isinstance(items, list) or not items:
        raise InputError("feedback (a non-empty list) is required", field="feedback")
    if len(items) > FEEDBACK_MAX:
        raise InputError(f"at most {FEEDBACK_MAX} feedback items per request",
                         field="feedback")
    return tuple(_feedback_item(raw, f"feedback[{i}]") for i, raw in enumerate(items))
