"""CDS Hooks 2.0 feedback requests (the specification's examples, adapted to this service's
override reasons) and the 412 for a missing patient prefetch."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from benzoplan.errors import InputError, UnknownItem
from benzoplan.interop.cds_hooks import (
    PrefetchMissing,
    cards_for,
    override_reasons,
    parse_feedback,
    service_ids,
)

SIGN = "benzoplan-order-sign"
REASON = override_reasons()[0]


def accepted() -> dict[str, Any]:
    return {"card": "4e0a3a1e-3283-4575-ab82-028d55fe2719", "outcome": "accepted",
            "acceptedSuggestions": [{"id": "e56e1945-20b3-4393-8503-a1a20fd73152"}],
            "outcomeTimestamp": "2021-12-11T10:05:31Z"}


def overridden(**reason: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"card": "9368d37b-283f-44a0-93ea-547cebab93ed",
                            "outcome": "overridden",
                            "outcomeTimestamp": "2020-12-11T00:00:00Z"}
    if reason:
        item["overrideReason"] = reason
    return item


def test_services_are_known() -> None:
    assert set(service_ids()) == {"benzoplan-order-select", "benzoplan-order-sign"}


def test_accepted_suggestion() -> None:
    (f,) = parse_feedback(SIGN, {"feedback": [accepted()]})
    assert f.outcome == "accepted"
    assert f.accepted_suggestions == ("e56e1945-20b3-4393-8503-a1a20fd73152",)
    assert f.outcome_timestamp == dt.datetime(2021, 12, 11, 10, 5, 31, tzinfo=dt.UTC)
    assert f.to_json() == accepted()


def test_overridden_with_and_without_reason() -> None:
    items = parse_feedback(SIGN, {"feedback": [
        overridden(),
        overridden(reason={"system": REASON["system"], "code": REASON["code"]},
                   userComment="Discussed with the patient; taper starts next week."),
        overridden(userComment="only a comment"),
    ]})
    plain, coded, comment = items
    assert plain.reason_code is None and plain.user_comment is None
    assert coded.reason_code == REASON["code"] and coded.reason_display == REASON["display"]
    assert coded.user_comment and coded.user_comment.startswith("Discussed")
    assert comment.reason_code is None and comment.user_comment == "only a comment"
    assert coded.to_json()["overrideReason"]["reason"]["display"] == REASON["display"]


def test_offset_timestamps_become_utc() -> None:
    item = accepted() | {"outcomeTimestamp": "2026-11-24T11:00:00+01:00"}
    (f,) = parse_feedback(SIGN, {"feedback": [item]})
    assert f.outcome_timestamp == dt.datetime(2026, 11, 24, 10, tzinfo=dt.UTC)


def _drop(key: str) -> dict[str, Any]:
    item = accepted()
    del item[key]
    return item


@pytest.mark.parametrize(("body", "field"), [
    ([], None),
    ({}, "feedback"),
    ({"feedback": []}, "feedback"),
    ({"feedback": [accepted()], "extra": 1}, "request.extra"),
    ({"feedback": [_drop("card")]}, "feedback[0].card"),
    ({"feedback": [_drop("outcomeTimestamp")]}, "feedback[0].outcomeTimestamp"),
    ({"feedback": [_drop("acceptedSuggestions")]}, "feedback[0].acceptedSuggestions"),
    ({"feedback": [accepted() | {"outcome": "ignored"}]}, "feedback[0].outcome"),
    ({"feedback": [accepted() | {"outcomeTimestamp": "2021-12-11T10:05:31"}]},
     "feedback[0].outcomeTimestamp"),
    ({"feedback": [accepted() | {"outcomeTimestamp": "yesterday"}]},
     "feedback[0].outcomeTimestamp"),
    ({"feedback": [accepted() | {"acceptedSuggestions": [{"uuid": "x"}]}]},
     "feedback[0].acceptedSuggestions[0].uuid"),
    ({"feedback": [overridden() | {"acceptedSuggestions": [{"id": "x"}]}]},
     "feedback[0].acceptedSuggestions"),
    ({"feedback": [overridden(reason={"system": "https://example.com/x", "code": "d7ecf885"})]},
     "feedback[0].overrideReason.reason.code"),
    ({"feedback": [overridden() | {"overrideReason": {}}]}, "feedback[0].overrideReason"),
    ({"feedback": [overridden(userComment="")]}, "feedback[0].overrideReason.userComment"),
    ({"feedback": [accepted()] * 101}, "feedback"),
])
def test_bad_feedback_is_refused_with_the_field(body: Any, field: str | None) -> None:
    with pytest.raises(InputError) as err:
        parse_feedback(SIGN, body)
    assert err.value.field == field


def test_unknown_service() -> None:
    with pytest.raises(UnknownItem):
        parse_feedback("nope", {"feedback": [accepted()]})


def test_missing_patient_prefetch_is_a_precondition_failure() -> None:
    req = {"hook": "order-sign", "hookInstance": "d1fba0e4-7c9b-4b1c-9a4e-8c6f1e5a2b3c",
           "context": {"userId": "Practitioner/1", "patientId": "p1",
                       "draftOrders": {"resourceType": "Bundle", "type": "collection"}}}
    with pytest.raises(PrefetchMissing) as err:
        cards_for(SIGN, req)
    assert err.value.http_status == 412 and err.value.field == "prefetch.patient"
