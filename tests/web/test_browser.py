"""The clinician UI and the patient diary in headless Chromium against the real server."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import pytest

from .conftest import Site

pytestmark = pytest.mark.browser
OK = re.compile(r"\bok\b")


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as pw_expect

    return pw_expect(locator)


def sign_in(page: Any, site: Site, username: str, password: str) -> None:
    if "/signin" not in page.url:
        page.goto(site.base + "/signin")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def diary_entries(site: Site, patient_id: str) -> list[dict[str, Any]]:
    with site.api("clinician") as api:
        r = api.get(f"/patients/{patient_id}/diary", params={"limit": 200})
        r.raise_for_status()
        items: list[dict[str, Any]] = r.json()["items"]
        return items


def casey_posts(site: Site, body: dict[str, Any]) -> dict[str, Any]:
    """An entry sent by Casey's own sign-in through the API (as another device would)."""
    from .conftest import signin_token

    with site.client(signin_token(site.base, *site.casey_signin)) as api:
        r = api.post(f"/patients/{site.casey_id}/diary", json={"id": str(uuid.uuid4()), **body})
        assert r.status_code == 201, r.text
        out: dict[str, Any] = r.json()
        return out


def test_wrong_password_is_refused_with_a_message(page: Any, site: Site) -> None:
    sign_in(page, site, site.signins["clinician"][0], "not-the-password")
    expect(page.get_by_role("alert")).to_have_text("wrong username or password")
    assert page.url.endswith("/signin")


def test_a_page_without_sign_in_goes_to_the_sign_in_page_and_back(page: Any,
                                                                  site: Site) -> None:
    page.goto(site.base + f"/clinic/patients/{site.casey_id}")
    assert re.search(r"/signin\?next=", page.url)
    sign_in(page, site, *site.signins["clinician"])
    expect(page.get_by_role("heading", level=1)).to_have_text("Casey Fresh")


def test_clinician_reviews_a_patient_acknowledges_an_alert_and_holds_the_plan(
        page: Any, site: Site) -> None:
    # Casey reports hallucinations yesterday: the API raises an urgent alert.
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    written = casey_posts(site, {"date": yesterday, "kind": "symptoms",
                                 "data": {"ratings": {"hallucinations": 1}}})
    assert written["emergency"] and written["alerts"][0]["level"] == "urgent"
    alert_id = written["alerts"][0]["id"]

    sign_in(page, site, *site.signins["clinician"])
    assert page.url.endswith("/clinic")
    page.get_by_role("link", name="Casey Fresh").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Casey Fresh")

    # Regimen and safety findings, severity-coloured, each with rationale and source.
    expect(page.locator("#regimen")).to_contain_text("08:00 1 mg; 20:00 1 mg")
    finding = page.locator("#findings article.finding").first
    expect(finding).to_contain_text("Why:")
    expect(finding).to_contain_text("source:")
    expect(page.locator("#findings article.finding.sev-major")).not_to_have_count(0)
    expect(page.locator("#findings")).to_contain_text("Alcohol")

    # The plan: chart, week-by-week table, dispensing list, version history.
    plan = page.locator("#plan")
    expect(plan.locator("svg.chart path.line")).to_have_count(1)
    expect(page.locator("#weeks tbody tr").first).to_contain_text("1")
    assert page.locator("#weeks tbody tr").count() >= 4
    expect(page.locator("#weeks tr.now")).to_have_count(1)
    assert page.locator("#dispensing tbody tr").count() >= 1
    expect(page.locator("#versions li")).to_have_count(1)
    expect(page.locator("#versions")).to_contain_text("Version 1")

    # The urgent alert stands out with its emergency instructions; acknowledge it with a note.
    box = page.locator(f"#alerts article.alert.urgent[data-alert='{alert_id}']")
    expect(box).to_contain_text("Emergency instructions:")
    expect(box).to_contain_text("EMERGENCY")
    expect(box).to_have_attribute("role", "alert")
    box.get_by_label("Acknowledgement note").fill("called Casey; seen in clinic today")
    box.get_by_role("button", name="Acknowledge alert").click()
    expect(page.get_by_role("status").first).to_have_text("Alert acknowledged.")
    expect(page.locator(f"#alerts article[data-alert='{alert_id}']")).to_have_count(0)
    expect(page.locator(f"#alerts li[data-alert='{alert_id}']")).to_contain_text(
        "called Casey; seen in clinic today")
    with site.api("clinician") as api:
        alerts = api.get(f"/patients/{site.casey_id}/alerts").json()["items"]
    acked = next(a for a in alerts if a["id"] == alert_id)
    assert acked["acknowledged_at"] and acked["acknowledgement_note"].startswith("called Casey")

    # Hold the plan for two weeks, with a reason.
    form = page.locator("#new-version")
    form.get_by_role("radio", name=re.compile("^Hold")).check()
    form.get_by_label("Days").fill("14")
    form.get_by_label("Reason").fill("hallucinations reported; hold while assessed")
    form.get_by_role("button", name="Create new version").click()
    expect(page.get_by_role("status").first).to_have_text("New plan version saved.")
    expect(page.locator("#versions li")).to_have_count(2)
    expect(page.locator("#versions li").first).to_contain_text("Version 2 — hold from")
    expect(page.locator("#versions li").first).to_contain_text(
        "hallucinations reported; hold while assessed")
    expect(page.locator("#weeks")).to_contain_text("hold")
    with site.api("clinician") as api:
        current = api.get(f"/plans/{site.casey_plan_id}").json()
    assert current["version"] == 2 and current["reason"].startswith("hallucinations")


def test_clinician_applies_a_monitoring_proposal(page: Any, site: Site) -> None:
    # Dana's withdrawal checklist rose above her baseline on three days running.
    sign_in(page, site, *site.signins["clinician"])
    page.goto(site.base + f"/clinic/patients/{site.dana_id}")
    page.get_by_role("button", name="Evaluate diary and questionnaires now").click()
    proposals = page.locator("#proposals article.proposal")
    expect(proposals).not_to_have_count(0)
    first = proposals.first
    kind = re.search(r"Proposed: (\w+)", first.locator("h4").inner_text())
    assert kind and kind[1] == "hold"
    expect(first).to_contain_text("source:")
    first.get_by_role("button", name="Apply this proposal as a new version").click()
    expect(page.get_by_role("status").first).to_have_text("New plan version saved.")
    expect(page.locator("#versions li").first).to_contain_text(f"Version 2 — {kind[1]} from")


def test_a_stale_plan_version_is_refused_and_nothing_changes(page: Any, site: Site) -> None:
    sign_in(page, site, *site.signins["clinician"])
    page.goto(site.base + f"/clinic/patients/{site.casey_id}")
    with site.api("clinician") as api:
        before = api.get(f"/plans/{site.casey_plan_id}").json()["version"]
    form = page.locator("#new-version")
    form.locator("input[name=base_version]").evaluate("(el) => el.value = '99'")
    form.get_by_label("Reason").fill("stale")
    form.get_by_role("button", name="Create new version").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("The plan was not changed")
    expect(page.get_by_role("alert")).to_contain_text("reload it and decide again")
    with site.api("clinician") as api:
        assert api.get(f"/plans/{site.casey_plan_id}").json()["version"] == before


def test_patient_logs_a_dose_and_symptoms_and_a_retry_does_not_duplicate(
        page: Any, site: Site) -> None:
    sign_in(page, site, *site.casey_signin)
    assert page.url.endswith("/diary")

    # Today's scheduled doses come from the plan in force.
    with site.api("clinician") as api:
        body = api.get(f"/plans/{site.casey_plan_id}").json()["body"]
    today = dt.date.today().isoformat()
    step = next(s for s in body["steps"] if s["start"] <= today <= s["end"])
    morning = sum(a["dose"]["value"] for a in step["administrations"] if a["time"] == "08:00")
    dose = page.locator("form[data-kind=dose]:has(input[name=slot][value='08:00'])")
    expect(dose.locator("legend")).to_contain_text(f"08:00 — {morning:g} mg:")
    dose_id = dose.locator("input[name=entry_id]").input_value()
    dose.get_by_label("Taken").check()
    dose.get_by_role("button", name="Save 08:00 dose").click()
    expect(dose.locator(".result")).to_have_class(OK)
    expect(dose.locator(".result")).to_have_text("Saved.")

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
    result = form.locator(".result")
    expect(result).to_have_class(OK)
    expect(result).to_contain_text("Already saved")
    assert calls[0] == 200 and len(calls) == 2

    entries = diary_entries(site, site.casey_id)
    stored = [e for e in entries if e["client_id"] == client_id]
    assert len(stored) == 1
    ratings = stored[0]["data"]["ratings"]
    assert {k: v for k, v in ratings.items() if v} == {"headache": 2, "tremor": 1}
    assert [(e["kind"], e["data"]) for e in entries if e["client_id"] == dose_id] == [
        ("dose", {"slot": "08:00", "status": "taken"})]
    # The form now carries a fresh id for the next entry.
    assert form.locator("input[name=entry_id]").input_value() != client_id


def test_patient_logs_an_extra_dose(page: Any, site: Site) -> None:
    sign_in(page, site, *site.casey_signin)
    form = page.locator("form[data-kind=dose]:has(input[value=extra])")
    client_id = form.locator("input[name=entry_id]").input_value()
    form.get_by_label("Time taken").fill("13:30")
    form.get_by_role("button", name="Save extra dose").click()
    expect(form.locator(".result")).to_have_class(OK)
    stored = [e for e in diary_entries(site, site.casey_id) if e["client_id"] == client_id]
    assert [(e["kind"], e["data"]) for e in stored] == [
        ("dose", {"slot": "13:30", "status": "extra"})]
    assert stored[0]["date"] == dt.date.today().isoformat()


def test_patient_logs_last_nights_sleep_once_a_day(page: Any, site: Site) -> None:
    sign_in(page, site, *site.casey_signin)
    form = page.locator("form[data-kind=sleep]")
    client_id = form.locator("input[name=entry_id]").input_value()
    form.get_by_label("Went to bed at").fill("23:15")
    form.get_by_label("Minutes to fall asleep").fill("45")
    form.get_by_label("Times woken up").fill("3")
    form.get_by_label("Hours slept").fill("5.5")
    form.get_by_label("Sleep quality").select_option("1")
    form.get_by_role("button", name="Save sleep").click()
    expect(form.locator(".result")).to_have_class(OK)
    stored = [e for e in diary_entries(site, site.casey_id) if e["client_id"] == client_id]
    assert [e["data"] for e in stored] == [{"bedtime": "23:15", "latency_min": 45,
                                           "awakenings": 3, "total_sleep_h": 5.5,
                                           "quality": 1}]
    page.reload()
    expect(page.locator("#sleep")).to_contain_text("Sleep recorded today.")
    expect(page.locator("form[data-kind=sleep]")).to_have_count(0)


def test_a_seizure_shows_the_emergency_instructions_at_once(page: Any, site: Site) -> None:
    sign_in(page, site, *site.casey_signin)
    emergency = page.locator("#emergency")
    expect(emergency).to_be_hidden()
    form = page.locator("form[data-kind=seizure]")
    form.get_by_label("Number of seizures").fill("1")
    form.get_by_label("Type").select_option("focal")
    form.get_by_label("Longest one").fill("40")
    form.get_by_role("button", name="Save seizures").click()
    expect(emergency).to_be_visible()
    expect(emergency).to_have_attribute("role", "alert")
    expect(emergency).to_contain_text("call the local emergency number")
    expect(emergency).to_contain_text("seizure")
    assert page.evaluate("document.activeElement.id") == "emergency"


def test_without_javascript_forms_still_work_and_a_red_flag_still_warns(
        browser: Any, site: Site) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, site, *site.dana_signin)
        assert page.url.endswith("/diary")
        form = page.locator("form[data-kind=seizure]")
        form.get_by_label("Number of seizures").fill("1")
        form.get_by_label("Type").select_option("tonic-clonic")
        form.get_by_role("button", name="Save seizures").click()
        expect(page.get_by_role("heading", name="Saved")).to_be_visible()
        urgent = page.locator(".alert.urgent")
        expect(urgent).to_have_attribute("role", "alert")
        expect(urgent).to_contain_text("Get help now")
        expect(urgent).to_contain_text("call the local emergency number")
        # Sending the same form again (back, then submit again) adds nothing.
        page.go_back()
        page.locator("form[data-kind=seizure] button[type=submit]").click()
        expect(page.get_by_role("heading", name="Already saved")).to_be_visible()
    finally:
        context.close()
    seizures = [e for e in diary_entries(site, site.dana_id) if e["kind"] == "seizure"]
    assert len(seizures) == 1


def test_phq9_item_9_above_0_shows_the_emergency_instructions(page: Any, site: Site) -> None:
    sign_in(page, site, *site.casey_signin)
    form = page.locator("form[data-kind=instrument]")
    for n in range(1, 10):
        group = form.get_by_role("group", name=re.compile(f"^{n}\\. "))
        group.get_by_label("Several days" if n == 9 else "Not at all").check()
    form.get_by_role("button", name="Save questionnaire").click()
    expect(form.locator(".result")).to_have_class(OK)
    expect(page.locator("#emergency")).to_be_visible()
    expect(page.locator("#emergency")).to_contain_text("call the local emergency number")

    # The clinician sees the score (through the API's scoring) and its red flag.
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, site, *site.signins["clinician"])
    page.goto(site.base + f"/clinic/patients/{site.casey_id}")
    row = page.locator("#scores tr", has_text="patient diary")
    expect(row).to_contain_text("PHQ-9")
    expect(row).to_contain_text("1 / 27")
    expect(row.locator(".badge.sev-urgent")).to_have_text("phq9-item9")


def test_patient_cannot_open_another_patients_page(page: Any, site: Site) -> None:
    sign_in(page, site, *site.other_signin)
    for pid, name in ((site.casey_id, "Casey"), (site.patient_id, "Alex")):
        resp = page.goto(site.base + f"/clinic/patients/{pid}")
        assert resp.status in (403, 404)
        expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Not"))
        assert name not in page.content()
        # Nor the other patient's diary through the API with the same sign-in.
        resp = page.request.get(site.base + f"/api/v1/patients/{pid}/diary")
        assert resp.status in (401, 403, 404)


def test_pharmacist_sees_what_to_dispense_and_the_plan_history(page: Any, site: Site) -> None:
    sign_in(page, site, *site.signins["pharmacist"])
    assert page.url.endswith("/pharmacy")
    expect(page.locator("#plans")).to_contain_text("Casey Fresh")
    page.locator(f"#plans a[href='/pharmacy/plans/{site.casey_plan_id}']").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dispensing for Casey Fresh")
    expect(page.locator("#identifiers")).to_contain_text("Born 1974-02-03")
    with site.api("pharmacist") as api:
        current = api.get(f"/plans/{site.casey_plan_id}").json()
        listing = api.get(f"/plans/{site.casey_plan_id}/dispensing").json()
    rows = sum(len(f["items"]) for f in listing["dispensing"])
    assert rows >= 1
    expect(page.locator("#dispensing tbody tr")).to_have_count(rows)
    # the plan began a week ago: one fill period is in force, and it is marked
    expect(page.locator("#fill-now")).to_have_count(1)
    expect(page.locator("#fill-now")).to_contain_text(listing["dispensing"][0]["from"])
    expect(page.locator("#weeks tr.now")).to_have_count(1)
    expect(page.locator("#versions li")).to_have_count(current["version"])
    # a pharmacist reads plans, not clinical records
    resp = page.goto(site.base + f"/clinic/patients/{site.casey_id}")
    assert resp.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")


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


@pytest.mark.parametrize("who", ["patient", "clinician"])
def test_every_form_control_has_a_label(page: Any, site: Site, who: str) -> None:
    if who == "patient":
        sign_in(page, site, *site.casey_signin)
    else:
        sign_in(page, site, *site.signins["clinician"])
        page.goto(site.base + f"/clinic/patients/{site.casey_id}")
    unlabelled = page.evaluate("""() => Array.from(
        document.querySelectorAll('input:not([type=hidden]), select, textarea'))
        .filter(el => el.labels.length === 0).map(el => el.name)""")
    assert unlabelled == []
