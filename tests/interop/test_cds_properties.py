"""Property: whatever the (valid) patient data in an order-sign request, every card keeps the
CDS Hooks 2.0 rules, the answer is deterministic, and a benzodiazepine order always gets an
answer (never silence)."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from benzoplan.interop.cds_hooks import cards_for

from .test_cds_hooks import SIGN, TODAY, assert_card_rules, load

BASE = load("order-sign.json")
CODES = [("http://hl7.org/fhir/sid/icd-10-cm", c) for c in (
    "G40.909", "F41.0", "F32.9", "T14.91XA", "F11.20", "F10.20", "G47.33", "J44.9", "J96.10",
    "G70.00", "N18.4", "H40.211", "F03.90", "Z91.81", "K72.90", "K70.30", "K76.0", "Z33.1",
    "I10", "E11.9")] + [("http://snomed.info/sct", c) for c in ("84757009", "13645005")]
MEDS = ["oxycodone 5 MG Oral Tablet", "Xanax 1 mg", "zolpidem 10 mg", "gabapentin 300 mg",
        "ketoconazole 200 mg", "carbamazepine 200 mg", "Depakote 500 mg", "sertraline 50 mg",
        "methadone 10 mg/mL"]


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    req = copy.deepcopy(BASE)
    born = TODAY - dt.timedelta(days=draw(st.integers(365, 95 * 365)))
    req["prefetch"]["patient"]["birthDate"] = born.isoformat()
    req["prefetch"]["patient"]["gender"] = draw(st.sampled_from(["female", "other", "unknown"]))
    req["prefetch"]["conditions"]["entry"] = [
        {"resource": {"resourceType": "Condition", "id": f"c{i}",
                      "code": {"coding": [{"system": s, "code": c}]},
                      "subject": {"reference": "Patient/1288992"}}}
        for i, (s, c) in enumerate(draw(st.lists(st.sampled_from(CODES), max_size=5,
                                                 unique=True)))]
    req["prefetch"]["medications"]["entry"] = [
        {"resource": {"resourceType": "MedicationRequest", "id": f"m{i}", "status": "active",
                      "intent": "order", "medicationCodeableConcept": {"text": m},
                      "subject": {"reference": "Patient/1288992"}}}
        for i, m in enumerate(draw(st.lists(st.sampled_from(MEDS), max_size=4, unique=True)))]
    order = req["context"]["draftOrders"]["entry"][0]["resource"]
    di = order["dosageInstruction"][0]
    di["doseAndRate"][0]["doseQuantity"]["value"] = draw(st.sampled_from([0.25, 0.5, 1, 2, 4]))
    di["timing"]["repeat"]["frequency"] = draw(st.integers(1, 4))
    if draw(st.booleans()):
        del order["reasonCode"]
    return req


@settings(max_examples=40)
@given(requests())
def test_cards_keep_the_rules_and_never_go_silent(req: dict[str, Any]) -> None:
    first = cards_for(SIGN, req, today=TODAY)
    assert first == cards_for(SIGN, copy.deepcopy(req), today=TODAY)
    assert first["cards"], "a benzodiazepine order always gets an answer"
    for card in first["cards"]:
        assert_card_rules(card)
    uuids = [c["uuid"] for c in first["cards"]]
    assert len(set(uuids)) == len(uuids)
    ranks = {"critical": 0, "warning": 1, "info": 2}
    order = [ranks[c["indicator"]] for c in first["cards"]]
    assert order == sorted(order)
