"""FHIR R4 export: every resource is built with, and round-trips through, fhir.resources.R4B;
quantities are UCUM; medications carry the drug file's RxNorm and ATC codes; a CarePlan's
activities follow the taper plan's steps."""

from __future__ import annotations

import datetime as dt
import json
from fractions import Fraction
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.detectedissue import DetectedIssue
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from fhir.resources.R4B.resource import Resource
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benzoplan.drugs import get_drug, list_drugs
from benzoplan.errors import InputError
from benzoplan.instruments import get_instrument, list_instruments, score
from benzoplan.interop import fhir
from benzoplan.interop.cds_hooks import cards_for
from benzoplan.safety import PatientRecord, check
from benzoplan.safety import Regimen as SafetyRegimen
from benzoplan.taper import ScheduledDose, TaperPlan, TaperRequest, plan_taper
from benzoplan.units import Dose

TODAY = dt.date(2026, 11, 24)
MODELS: dict[str, type[Any]] = {
    "Bundle": Bundle, "CarePlan": CarePlan, "DetectedIssue": DetectedIssue,
    "MedicationRequest": MedicationRequest, "Observation": Observation, "Patient": Patient,
    "QuestionnaireResponse": QuestionnaireResponse,
}


def roundtrip(resource: Resource) -> dict[str, Any]:
    """Serialize to FHIR JSON text, parse it back with the R4B model, compare content."""
    data = fhir.to_json(resource)
    text = json.dumps(data)
    model = MODELS[data["resourceType"]]
    parsed = model.model_validate_json(text)
    assert isinstance(parsed, model)
    assert fhir.to_json(parsed) == data
    return data


def walk(obj: Any) -> Any:
    yield obj
    if isinstance(obj, dict):
        for v in obj.values():
            yield from walk(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from walk(v)


def quantities(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [o for o in walk(data) if isinstance(o, dict) and "value" in o and "unit" in o]


def assert_ucum(data: dict[str, Any]) -> None:
    qs = quantities(data)
    for q in qs:
        assert q["system"] == "http://unitsofmeasure.org", q
        assert q["code"] == q["unit"] and q["code"] in ("mg", "{score}"), q


def request(drug: str = "clonazepam", doses: tuple[tuple[str, str], ...] = (
        ("08:00", "1 mg"), ("20:00", "1 mg")), **kw: Any) -> TaperRequest:
    return TaperRequest(drug=drug, doses=tuple(ScheduledDose(dt.time.fromisoformat(t), Dose(d))
                                               for t, d in doses),
                        start=dt.date(2026, 12, 1), **kw)


def regimen(schedule: list[dict[str, Any]], indication: str = "panic-disorder",
            drug: str = "clonazepam") -> SafetyRegimen:
    return SafetyRegimen.model_validate({"drug": drug, "indication": indication,
                                         "start_date": "2019-03-01", "schedule": schedule})


# ---------------------------------------------------------------- medications


@pytest.mark.parametrize("drug", [d.name for d in list_drugs()])
def test_medication_codes_come_from_the_drug_file(drug: str) -> None:
    d = get_drug(drug)
    concept = fhir.medication_concept(drug)
    codes = {(c["system"], c["code"]) for c in concept["coding"]}
    assert (fhir.ATC, d.atc.code) in codes
    if d.rxnorm is not None:
        assert (fhir.RXNORM, d.rxnorm.code) in codes
    assert concept["text"] == d.name


def test_clonazepam_codes_rxnorm_2598_atc_n03ae01() -> None:
    # RxNorm ingredient 2598 and WHO ATC N03AE01, as in drugs/data/clonazepam.toml.
    concept = fhir.medication_concept("Klonopin")
    assert {(c["system"], c["code"]) for c in concept["coding"]} == {
        (fhir.RXNORM, "2598"), (fhir.ATC, "N03AE01")}


def test_regimen_request_timed_doses() -> None:
    mr = fhir.regimen_request(regimen([{"time": "20:00", "dose": "1 mg"},
                                       {"time": "08:00", "dose": "500 ug"}]),
                              patient_id="p-1", request_id="r-1")
    data = roundtrip(mr)
    assert data["intent"] == "order" and data["subject"] == {"reference": "Patient/p-1"}
    dis = data["dosageInstruction"]
    assert [d["timing"]["repeat"]["timeOfDay"] for d in dis] == [["08:00:00"], ["20:00:00"]]
    assert [d["doseAndRate"][0]["doseQuantity"]["value"] for d in dis] == [0.5, 1]
    assert all(d["route"]["coding"][0]["code"] == "26643006" for d in dis)
    # panic disorder: SNOMED CT 371631005 from the CDS Hooks code map
    assert data["reasonCode"][0]["coding"] == [{"system": fhir.SNOMED, "code": "371631005"}]
    assert data["dispenseRequest"]["validityPeriod"] == {"start": "2019-03-01"}
    assert_ucum(data)


def test_regimen_request_untimed_doses_are_grouped_per_day() -> None:
    mr = fhir.regimen_request(regimen([{"dose": "0.5 mg"}, {"dose": "0.5 mg"},
                                       {"dose": "0.5 mg"}], indication="unspecified"),
                              patient_id="p1", request_id="r1", status="draft")
    data = roundtrip(mr)
    (di,) = data["dosageInstruction"]
    assert di["timing"]["repeat"] == {"frequency": 3, "period": 1, "periodUnit": "d"}
    assert di["doseAndRate"][0]["doseQuantity"]["value"] == 0.5
    assert "reasonCode" not in data and data["status"] == "draft"


def test_regimen_without_a_dose_has_no_dosage() -> None:
    data = roundtrip(fhir.regimen_request(regimen([]), patient_id="p1", request_id="r1"))
    assert "dosageInstruction" not in data


def test_exported_order_is_read_by_the_cds_card_logic() -> None:
    """The CDS Hooks logic reads the exported dose: 3 mg three times a day for panic
    disorder is above the label maximum of 4 mg/day (clonazepam label)."""
    mr = fhir.to_json(fhir.regimen_request(
        regimen([{"time": t, "dose": "3 mg"} for t in ("08:00", "14:00", "20:00")]),
        patient_id="p1", request_id="draft-1", status="draft"))
    req = {"hook": "order-sign", "hookInstance": "d1fba0e4-7c9b-4b1c-9a4e-8c6f1e5a2b3c",
           "context": {"userId": "Practitioner/1", "patientId": "p1",
                       "draftOrders": {"resourceType": "Bundle", "type": "collection",
                                       "entry": [{"resource": mr}]}},
           "prefetch": {"patient": fhir.to_json(fhir.patient_resource(
               "p1", birth_date=dt.date(1980, 1, 1), sex="female"))}}
    codes = json.dumps(cards_for("benzoplan-order-sign", req, today=TODAY))
    assert "label maximum" in codes


# ---------------------------------------------------------------- taper plan


def check_plan(plan: TaperPlan, *, plan_id: str = "plan-1") -> None:
    cp, mrs = fhir.taper_plan_resources(plan, patient_id="p1", plan_id=plan_id)
    data = roundtrip(cp)
    by_id = {str(m.id): roundtrip(m) for m in mrs}
    assert len(by_id) == len(mrs)
    assert data["meta"]["versionId"] == str(plan.version)
    assert data["period"] == {"start": plan.start.isoformat(), "end": plan.end.isoformat()}
    acts = iter(data["activity"])
    referenced = []
    for step in plan.steps:
        drugs = list(dict.fromkeys(a.drug for a in step.administrations))
        if step.kind == "stop":
            assert not drugs
            continue
        assert drugs, step
        for drug in drugs:
            act = next(acts)
            assert set(act) == {"reference"}
            ref = act["reference"]["reference"]
            assert ref.startswith("MedicationRequest/")
            mr = by_id[ref.split("/", 1)[1]]
            referenced.append(mr["id"])
            assert mr["intent"] == "plan" and mr["basedOn"] == [{"reference":
                                                                 f"CarePlan/{plan_id}"}]
            assert mr["medicationCodeableConcept"] == fhir.medication_concept(drug)
            assert_ucum(mr)
            total = Fraction(0)
            times = []
            for di in mr["dosageInstruction"]:
                rep = di["timing"]["repeat"]
                assert rep["boundsPeriod"] == {"start": step.start.isoformat(),
                                               "end": step.end.isoformat()}
                assert (rep["frequency"], rep["period"], rep["periodUnit"]) == (1, 1, "d")
                times.append(rep["timeOfDay"][0][:5])
                total += Fraction(str(di["doseAndRate"][0]["doseQuantity"]["value"]))
            assert total == step.total_of(drug), (step.index, drug)
            assert times == sorted({a.time.strftime("%H:%M") for a in step.administrations
                                    if a.drug == drug})
    rest = list(acts)
    assert plan.steps[-1].kind == "stop"
    assert rest and all(a["detail"]["doNotPerform"] is True for a in rest)
    assert all(a["detail"]["scheduledPeriod"]["start"] == plan.end.isoformat() for a in rest)
    assert sorted(referenced) == sorted(by_id)


def test_plan_that_stops_at_once_still_stops_the_drug() -> None:
    plan = plan_taper(request("lorazepam", (("08:00", "0.5 mg"),), interval_days=7))
    assert [s.kind for s in plan.steps] == ["stop"]
    check_plan(plan)


def test_fixed_fraction_plan_activities_match_steps() -> None:
    plan = plan_taper(request())
    check_plan(plan)
    cp, mrs = fhir.taper_plan_resources(plan, patient_id="p1", plan_id="plan-1")
    # one MedicationRequest per dosing step (single drug), then one stop activity
    assert len(mrs) == len(plan.steps) - 1 and len(cp.activity) == len(plan.steps)


def test_crossover_plan_has_one_request_per_drug_per_step() -> None:
    plan = plan_taper(request(strategy="crossover"))
    assert any(len({a.drug for a in s.administrations}) == 2 for s in plan.steps)
    check_plan(plan)
    cp, _ = fhir.taper_plan_resources(plan, patient_id="p1", plan_id="plan-1")
    stops = [a for a in cp.activity if a.detail is not None]
    assert {a.detail.productCodeableConcept.text for a in stops} == {"clonazepam", "diazepam"}


def test_revised_plan_is_a_new_version_with_its_reason() -> None:
    plan = plan_taper(request()).revise("hold", effective=dt.date(2026, 12, 20),
                                        reason="withdrawal symptoms rose", author="Dr A",
                                        at=dt.datetime(2026, 12, 20, 9, tzinfo=dt.UTC))
    check_plan(plan)
    cp, mrs = fhir.taper_plan_resources(plan, patient_id="p1", plan_id="plan-1")
    v1, mrs1 = fhir.taper_plan_resources(plan_taper(request()), patient_id="p1",
                                         plan_id="plan-1")
    assert cp.meta.versionId == "2" and v1.meta.versionId == "1"
    assert not {m.id for m in mrs} & {m.id for m in mrs1}  # versions never share ids
    assert any("withdrawal symptoms rose" in str(n.text) for n in cp.note)


def test_plan_ids_are_stable() -> None:
    plan = plan_taper(request())
    a = fhir.taper_plan_resources(plan, patient_id="p1", plan_id="plan-1")
    b = fhir.taper_plan_resources(plan, patient_id="p1", plan_id="plan-1")
    assert [fhir.to_json(m) for m in a[1]] == [fhir.to_json(m) for m in b[1]]


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drug=st.sampled_from(["clonazepam", "lorazepam", "alprazolam", "diazepam"]),
       morning=st.sampled_from(["0.5 mg", "1 mg", "2 mg"]),
       evening=st.sampled_from([None, "0.5 mg", "1 mg"]),
       strategy=st.sampled_from(["fixed-fraction", "linear", "hyperbolic", "crossover"]),
       interval=st.integers(7, 28))
def test_property_activities_follow_steps(drug: str, morning: str, evening: str | None,
                                          strategy: str, interval: int) -> None:
    if drug == "diazepam" and strategy == "crossover":
        strategy = "linear"
    doses = (("08:00", morning),) + ((("20:00", evening),) if evening else ())
    try:
        plan = plan_taper(request(drug, doses, strategy=strategy, interval_days=interval))
    except InputError:
        return  # a regimen the planner refuses (no product gives it) has nothing to export
    check_plan(plan)


# ---------------------------------------------------------------- instruments


def minimal_answers(name: str) -> dict[str, int]:
    inst = get_instrument(name)
    answers = {}
    for item in inst.items:
        if item.ask_if is not None and min(answers.get(item.ask_if.item, -1),
                                           999) not in item.ask_if.values:
            continue
        answers[item.number] = min(item.allowed)
    return {str(k): v for k, v in answers.items()}


@pytest.mark.parametrize("name", [i.name for i in list_instruments()])
def test_every_instrument_exports(name: str) -> None:
    s = score(name, minimal_answers(name))
    qr, obs = fhir.instrument_resources(s, patient_id="p1", result_id="res-1",
                                        taken=dt.datetime(2026, 11, 1, 9, tzinfo=dt.UTC))
    q, o = roundtrip(qr), roundtrip(obs)
    assert q["status"] == "completed" and len(q["item"]) == len(s.answers)
    assert o["valueQuantity"]["value"] == s.total
    assert o["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{qr.id}"}]
    assert o["category"][0]["coding"][0]["code"] == "survey"
    assert_ucum(o)


def test_phq9_loinc_codes_and_band() -> None:
    # PHQ-9 hand-computed case (Kroenke 2001 bands): 12 → moderate, PHQ-2 = 3.
    values = [2, 1, 3, 2, 0, 1, 0, 2, 1]
    s = score("phq-9", {str(i + 1): v for i, v in enumerate(values)})
    qr, obs = fhir.instrument_resources(s, patient_id="p1", result_id="r9",
                                        taken=dt.date(2026, 11, 1))
    q, o = roundtrip(qr), roundtrip(obs)
    assert q["questionnaire"] == "http://loinc.org/q/44249-1"
    assert [a["answer"][0]["valueCoding"]["code"] for a in q["item"]] == [str(v) for v in values]
    assert q["item"][0]["answer"][0]["valueCoding"]["display"] == "More than half the days"
    assert o["code"]["coding"][0] == {"system": fhir.LOINC, "code": "44261-6"}
    assert o["valueQuantity"] == {"value": 12, "unit": "{score}",
                                  "system": "http://unitsofmeasure.org", "code": "{score}"}
    assert o["interpretation"][0]["coding"][0]["code"] == "moderate"
    comps = {c["code"]["coding"][0]["code"]: c for c in o["component"]}
    assert comps["55758-7"]["valueQuantity"]["value"] == 3  # PHQ-2 total
    inst = get_instrument("phq-9")
    for item, value in zip(inst.items, values, strict=True):
        assert comps[str(item.loinc)]["valueInteger"] == value
    assert any("phq9-item9" in n["text"] for n in o["note"])  # the urgent alert travels


def test_instrument_without_loinc_uses_benzoplan_codes() -> None:
    s = score("ciwa-b", minimal_answers("ciwa-b"))
    qr, obs = fhir.instrument_resources(s, patient_id="p1", result_id="r1",
                                        taken=dt.date(2026, 11, 1))
    assert str(qr.questionnaire) == "urn:benzoplan:instrument:ciwa-b"
    assert obs.code.coding[0].system == "urn:benzoplan:instrument"


def test_naive_datetime_refused() -> None:
    s = score("phq-9", minimal_answers("phq-9"))
    with pytest.raises(InputError, match="time zone"):
        fhir.instrument_resources(s, patient_id="p1", result_id="r1",
                                  taken=dt.datetime(2026, 11, 1, 9))


# ---------------------------------------------------------------- findings and bundle


def findings() -> list[Any]:
    rec = PatientRecord.from_json({
        "age_years": 70, "sex": "female", "medicines": ["oxycodone 5 mg"],
        "regimen": {"drug": "clonazepam", "indication": "panic-disorder",
                    "start_date": "2019-03-01",
                    "schedule": [{"time": "08:00", "dose": "1 mg"}]}})
    return list(check(rec, today=TODAY).findings)


def test_safety_findings_as_detected_issues() -> None:
    fs = findings()
    assert fs
    severity = {"contraindicated": "high", "major": "high", "moderate": "moderate",
                "minor": "low", "info": "low"}
    for i, f in enumerate(fs):
        di = fhir.finding_issue(f, patient_id="p1", issue_id=f"f{i}", identified=TODAY,
                                implicated=["MedicationRequest/r1"])
        data = roundtrip(di)
        assert data["severity"] == severity[f.severity]
        assert data["code"]["coding"][0]["code"] == f.code
        assert f.rationale in data["detail"] and f.action in data["detail"]
        assert data["implicated"] == [{"reference": "MedicationRequest/r1"}]
        if f.urgent and f.emergency:
            assert f.emergency in data["detail"]
        # the stored JSON form of the finding gives the same resource
        assert fhir.to_json(fhir.finding_issue(
            f.to_json(), patient_id="p1", issue_id=f"f{i}", identified=TODAY,
            implicated=["MedicationRequest/r1"])) == data
    with pytest.raises(InputError, match="not a safety finding"):
        fhir.finding_issue({"severity": "major"}, patient_id="p1", issue_id="x",
                           identified=TODAY)


def test_taper_findings_as_detected_issues() -> None:
    plan = plan_taper(request(interval_days=3))
    assert plan.findings
    for i, f in enumerate(plan.findings):
        data = roundtrip(fhir.taper_finding_issue(f, patient_id="p1", issue_id=f"t{i}",
                                                  identified=TODAY,
                                                  implicated=["CarePlan/plan-1"]))
        assert data["severity"] == {"contraindicated": "high", "major": "high",
                                    "moderate": "moderate", "minor": "low",
                                    "info": "low"}[f.severity]


def test_bad_references_and_ids_refused() -> None:
    f = findings()[0]
    with pytest.raises(InputError):
        fhir.finding_issue(f, patient_id="p1", issue_id="x", identified=TODAY,
                           implicated=["nonsense"])
    with pytest.raises(InputError, match="FHIR id"):
        fhir.patient_resource("not an id!")
    with pytest.raises(InputError, match="sex"):
        fhir.patient_resource("p1", sex="f")


def test_everything_bundle() -> None:
    plan = plan_taper(request())
    cp, mrs = fhir.taper_plan_resources(plan, patient_id="p1", plan_id="plan-1")
    s = score("phq-9", minimal_answers("phq-9"))
    qr, obs = fhir.instrument_resources(s, patient_id="p1", result_id="r1",
                                        taken=dt.date(2026, 11, 1))
    issue = fhir.finding_issue(findings()[0], patient_id="p1", issue_id="f1", identified=TODAY)
    patient = fhir.patient_resource("p1", name="Ada Example", birth_date=dt.date(1980, 2, 3),
                                    sex="female")
    resources = [patient, cp, *mrs, qr, obs, issue]
    bundle = fhir.everything_bundle("https://clinic.example/fhir/", resources,
                                    timestamp=dt.datetime(2026, 11, 24, tzinfo=dt.UTC))
    data = roundtrip(bundle)
    assert data["type"] == "searchset" and data["total"] == len(resources)
    assert data["entry"][0]["fullUrl"] == "https://clinic.example/fhir/Patient/p1"
    assert [e["resource"]["resourceType"] for e in data["entry"]][:2] == ["Patient",
                                                                          "CarePlan"]
    parsed = Bundle.model_validate(data)
    assert [type(e.resource).__name__ for e in parsed.entry] == [
        type(r).__name__ for r in resources]
    with pytest.raises(InputError, match="twice"):
        fhir.everything_bundle("https://x/fhir", [patient, patient])
    with pytest.raises(InputError, match="URL"):
        fhir.everything_bundle("ftp://x", [patient])
