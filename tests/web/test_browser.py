"""The clinician UI and the patient diary in headless Chromium against the real server."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from tests.web.conftest import Site

pytestmark = pytest.mark.browser


def sign_in(page: Any, site: Site, username: str, password: str) -> None:
    page.goto(site.base + "/signin")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def sign_in_as(page: Any, site: Site, role: str) -> None:
    sign_in(page, site, *site.signins[role])


def diary_entries(site: Site, patient_id: str) -> list[dict[str, Any]]:
    with site.api("clinician") as api:
        r = api.get(f"/patients/{patient_id}/diary", params={"limit": 200})
        r.raise_for_status()
        items: list[dict[str, Any]] = r.json()["items"]
        return items


def test_wrong_password_is_refused_with_a_message(page: Any, site: Site) -> None:
    sign_in(page, site, site.signins["clinician"][0], "not-the-password")
    assert page.get_by_role("alert").inner_text() == "wrong username or password"
    assert page.url.endswith("/signin")


def test_a_page_without_sign_in_goes_to_the_sign_in_page(page: Any, site: Site) -> None:
    page.goto(site.base + f"/clinic/patients/{site.patient_id}")
    assert re.search(r"/signin\?next=", page.url)
    sign_in_as(page, site, "clinician")
    page.get_by_label("Username").wait_for(state="detached")
    # After sign-in the page asked for opens.
    page.get_by_role("heading", name="Alex Example").wait_for()


def test_patient_logs_symptoms_and_a_retry_does_not_duplicate(page: Any, site: Site) -> None:
    sign_in_as(page, site, "patient")
    assert page.url.endswith("/diary")
    form = page.locator("form[data-kind=symptoms]")
    client_id = form.locator("input[name=entry_id]").input_value()
    form.get_by_role("group", name=re.compile("^Headache")).get_by_label("2").check()
    form.get_by_role("group", name=re.compile("^Shaking")).get_by_label("1").check()

    # The first answer is lost on the way back (as on a dropped connection): the page sends
    # the same entry again with the same id and the server keeps one.
    calls: list[int] = []

    def drop_first(route: Any) -> None:
        if not calls:
            calls.append(route.fetch().status)
            route.abort("connectionreset")
        else:
            calls.append(0)
            route.continue_()

    page.route("**/diary/entries", drop_first)
    form.get_by_role("button", name="Save symptoms").click()
    result = page.locator("#result-symptoms")
    page.wait_for_function("document.querySelector('#result-symptoms').className.includes('ok')")
    assert calls[0] == 200 and len(calls) == 2
    assert "Already saved" in result.inner_text()

    stored = [e for e in diary_entries(site, site.patient_id) if e["client_id"] == client_id]
    assert len(stored) == 1
    assert stored[0]["data"]["ratings"]["headache"] == 2
    assert stored[0]["data"]["ratings"]["tremor"] == 1
    # The form now carries a fresh id for the next entry.
    assert form.locator("input[name=entry_id]").input_value() != client_id


def test_patient_logs_an_extra_dose(page: Any, site: Site) -> None:
    sign_in_as(page, site, "patient")
    form = page.locator("form[data-kind=dose]").last
    client_id = form.locator("input[name=entry_id]").input_value()
    form.get_by_label("Time taken").fill("13:30")
    form.get_by_role("button", name="Save extra dose").click()
    page.wait_for_function(
        "document.querySelector('#result-dose-extra').className.includes('ok')")
    stored = [e for e in diary_entries(site, site.patient_id) if e["client_id"] == client_id]
    assert [(e["kind"], e["data"]) for e in stored] == [
        ("dose", {"slot": "13:30", "status": "extra"})]
    assert stored[0]["date"] == dt.date.today().isoformat()


def test_patient_cannot_open_another_patients_page(page: Any, site: Site) -> None:
    sign_in(page, site, *site.other_signin)
    resp = page.goto(site.base + f"/clinic/patients/{site.patient_id}")
    assert resp.status in (403, 404)
    assert page.get_by_role("heading", name="Alex Example").count() == 0
    assert "Alex" not in page.content()
    # Nor through the API with the same sign-in.
    resp = page.request.get(site.base + f"/api/v1/patients/{site.patient_id}/diary")
    assert resp.status in (401, 403, 404)


def test_sign_in_and_diary_work_from_the_keyboard(page: Any, site: Site) -> None:
    page.goto(site.base + "/signin")
    user, password = site.signins["patient"]
    page.keyboard.type(user)  # the username field has the focus
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_url("**/diary")
    # The first Tab reaches the skip link, which moves the focus to the content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_every_form_control_has_a_label(page: Any, site: Site) -> None:
    sign_in_as(page, site, "patient")
    unlabelled = page.evaluate("""() => Array.from(
        document.querySelectorAll('input:not([type=hidden]), select, textarea'))
        .filter(el => el.labels.length === 0).map(el => el.name)""")
    assert unlabelled == []
