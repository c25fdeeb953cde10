"""CDS Hooks 2.0 card logic with real hook requests (order-sign, order-select) whose FHIR R4
prefetch is parsed by fhir.resources.R4B."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from benzoplan.errors import InputError, UnknownItem
from benzoplan.interop.cds_hooks import PrefetchMissing, cards_for, services

DATA = Path(__file__).parent / "data"
TODAY = dt.date(2026, 11, 24)
SIGN, SELECT = "benzoplan-order-sign", "benzoplan-order-select"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / name).read_text())
    return data


def cards(service: str, request: dict[str, Any]) -> list[dict[str, Any]]:
    result = cards_for(service, request, today=TODAY)
    assert set(result) == {"cards"}
    for card in result["cards"]:
        assert_card_rules(card)
    out: list[dict[str, Any]] = result["cards"]
    return out


def assert_no_empty(value: Any, where: str = "card") -> None:
    assert value is not None and value != "" and value != [] and value != {}, where
    if isinstance(value, dict):
        for k, v in value.items():
            assert_no_empty(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            assert_no_empty(v, f"{where}[{i}]")


def assert_card_rules(card: dict[str, Any]) -> None:
    """The CDS Hooks 2.0 card attribute rules."""
    assert_no_empty(card)
    assert isinstance(card["summary"], str) and len(card["summary"]) < 140
    assert card["indicator"] in ("info", "warning", "critical")
    assert card["source"]["label"]
    assert ("suggestions" in card) == ("selectionBehavior" in card)
    if "selectionBehavior" in card:
        assert card["selectionBehavior"] in ("at-most-one", "any")
        for s in card["suggestions"]:
            assert s["label"]
            for a in s.get("actions", []):
                assert a["type"] in ("create", "update", "delete") and a["description"]
    if card["indicator"] == "warning" and "overrideReasons" in card:
        for r in card["overrideReasons"]:
            assert r["display"] and r["code"] and r["system"]


def by_text(cs: list[dict[str, Any]], text: str) -> dict[str, Any]:
    return next(c for c in cs if text in c["summary"])


def test_discovery() -> None:
    doc = services()
    hooks = {s["hook"]: s for s in doc["services"]}
    assert set(hooks) == {"order-select", "order-sign"}
    for s in doc["services"]:
        assert s["id"] and s["description"] and s["title"]
        assert s["prefetch"]["patient"] == "Patient/{{context.patientId}}"
        assert "{{context.patientId}}" in s["prefetch"]["medications"]
        assert set(s["prefetch"]) == {"patient", "medications", "conditions", "observations"}
    json.dumps(doc)


def test_order_sign_cards() -> None:
    cs = cards(SIGN, load("order-sign.json"))
    dose = by_text(cs, "Dose above the label maximum")
    assert dose["indicator"] == "warning" and dose["overrideReasons"]
    update = dose["suggestions"][0]["actions"][0]
    assert update["type"] == "update"
    qty = update["resource"]["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]
    assert qty["value"] == pytest.approx(4 / 3, abs=1e-3)  # 4 mg/day label max over 3 doses
    assert update["resource"]["id"] == "clz-draft-1"
    opioid = by_text(cs, "opioids (oxycodone)")
    assert opioid["indicator"] == "warning"
    assert opioid["source"]["label"].startswith("Clonazepam Tablets USP")
    assert opioid["source"]["url"].startswith("https://dailymed.nlm.nih.gov/")
    assert by_text(cs, "COPD")["indicator"] == "warning"
    info = cs[-1]
    assert info["indicator"] == "info" and info["selectionBehavior"] == "any"
    assert "sertraline" in info["detail"] and "I10" in info["detail"]
    assert "blood-count-overdue" in info["detail"]


def test_order_select_checks_only_the_selection() -> None:
    cs = cards(SELECT, load("order-select.json"))
    # the unselected gabapentin draft counts as a co-medication of the selected clonazepam
    assert by_text(cs, "Gabapentinoid")["indicator"] == "warning"
    assert by_text(cs, "Beers")["summary"].startswith("Major: Age 74 ")
    info = cs[-1]
    assert "no dose given" in info["detail"]  # order-select: the dose is not chosen yet
    assert all("dose-above" not in c["summary"] for c in cs)


def test_rxnorm_coded_order_without_text_is_recognised() -> None:
    # medicationCodeableConcept survives R4B parsing; RxNorm 2598 is clonazepam.
    cs = cards(SELECT, load("order-select.json"))
    assert cs and all("clonazepam" in c["summary"] or c["indicator"] != "info" for c in cs)


def test_no_benzodiazepine_no_cards() -> None:
    req = load("order-select.json")
    req["context"]["selections"] = ["MedicationRequest/smart-gaba-1"]
    assert cards(SELECT, req) == []


def test_contraindication_is_critical_with_cancel_suggestion() -> None:
    req = load("order-sign.json")
    req["prefetch"]["conditions"]["entry"].append({"resource": {
        "resourceType": "Condition", "id": "g1",
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "H40.211"}]},
        "subject": {"reference": "Patient/1288992"}}})
    cs = cards(SIGN, req)
    crit = cs[0]
    assert crit["indicator"] == "critical" and "narrow-angle glaucoma" in crit["summary"]
    assert crit["selectionBehavior"] == "at-most-one" and "overrideReasons" not in crit
    action = crit["suggestions"][0]["actions"][0]
    assert action == {"type": "delete", "description": "Remove the draft order",
                      "resourceId": "MedicationRequest/clz-draft-1"}


def test_resolved_conditions_are_ignored() -> None:
    req = load("order-sign.json")
    copd = req["prefetch"]["conditions"]["entry"][1]["resource"]
    copd["clinicalStatus"]["coding"][0]["code"] = "resolved"
    assert not any("COPD" in c["summary"] for c in cards(SIGN, req))


def test_deterministic() -> None:
    assert cards(SIGN, load("order-sign.json")) == cards(SIGN, load("order-sign.json"))


def test_missing_birth_date_gives_a_warning_not_silence() -> None:
    req = load("order-sign.json")
    del req["prefetch"]["patient"]["birthDate"]
    (card,) = cards(SIGN, req)
    assert card["indicator"] == "warning" and "could not check" in card["summary"]


def test_dose_without_unit_gives_a_warning() -> None:
    req = load("order-sign.json")
    dq = req["context"]["draftOrders"]["entry"][0]["resource"]["dosageInstruction"][0][
        "doseAndRate"][0]["doseQuantity"]
    del dq["unit"], dq["code"], dq["system"]
    (card,) = cards(SIGN, req)
    assert "no unit" in card["summary"]


def test_missing_prefetch_bundles_are_named() -> None:
    req = load("order-sign.json")
    del req["prefetch"]["medications"]
    info = cards(SIGN, req)[-1]
    assert "No 'medications' prefetch" in info["detail"]


OUTCOME = {"resourceType": "OperationOutcome", "issue": [
    {"severity": "error", "code": "timeout", "diagnostics": "medication service timed out"}]}


def test_a_prefetch_the_client_could_not_get_is_named_with_its_reason() -> None:
    """CDS Hooks 2.0: a client may send an OperationOutcome in place of a prefetch."""
    req = load("order-sign.json")
    req["prefetch"]["medications"] = OUTCOME
    every = cards(SIGN, req)
    info = every[-1]
    assert "could not prefetch 'medications' (medication service timed out)" in info["detail"]
    assert "No 'medications' prefetch" not in info["detail"]
    full = cards(SIGN, load("order-sign.json"))
    assert len(every) <= len(full)  # the medication checks were not run


def test_a_patient_prefetch_the_client_could_not_get_is_412() -> None:
    req = load("order-sign.json")
    req["prefetch"]["patient"] = OUTCOME
    with pytest.raises(PrefetchMissing, match="could not prefetch the patient"):
        cards_for(SIGN, req, today=TODAY)


def _broken(mutate: Any) -> dict[str, Any]:
    req = copy.deepcopy(load("order-sign.json"))
    mutate(req)
    return req


@pytest.mark.parametrize(
    ("service", "request_", "error", "words"),
    [
        ("nope", load("order-sign.json"), UnknownItem, "unknown CDS service"),
        (SELECT, load("order-sign.json"), InputError, "answers the 'order-select' hook"),
        (SIGN, _broken(lambda r: r.pop("prefetch")), InputError, "prefetch.patient"),
        (SIGN, _broken(lambda r: r["context"].pop("patientId")), InputError, "patientId"),
        (SIGN, _broken(lambda r: r.pop("hookInstance")), InputError, "hookInstance"),
        (SIGN, _broken(lambda r: r["context"]["draftOrders"]["entry"][0]["resource"].update(
            authoredOn="yesterday")), InputError, "not valid FHIR R4 Bundle"),
        (SIGN, _broken(lambda r: r["prefetch"].update(patient={"resourceType": "Person"})),
         InputError, "resourceType Patient"),
    ],
)
def test_bad_requests(service: str, request_: dict[str, Any], error: type[Exception],
                      words: str) -> None:
    with pytest.raises(error) as info:
        cards_for(service, request_, today=TODAY)
    assert words in str(info.value)


def test_order_select_needs_selections() -> None:
    req = load("order-select.json")
    del req["context"]["selections"]
    with pytest.raises(InputError, match="selections"):
        cards_for(SELECT, req, today=TODAY)


def test_long_summaries_are_cut_under_140() -> None:
    req = load("order-sign.json")
    req["prefetch"]["medications"]["entry"][0]["resource"]["medicationCodeableConcept"] = {
        "text": "oxycodone " + "extended release " * 20}
    for c in cards(SIGN, req):
        assert len(c["summary"]) < 140
