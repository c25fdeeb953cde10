"""A real benzoplan server (``benzoplan serve --demo``) on a free loopback port with a temp
SQLite database, extra records made through the JSON API, and Debian's headless Chromium."""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

import benzoplan

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
SRC = Path(benzoplan.__file__).resolve().parents[1]
_SIGNIN = re.compile(r"^\s*(clinician|pharmacist|admin|patient)\s+username\s+(\S+)\s+"
                     r"password\s+(\S+)")
_PATIENT = re.compile(r"patient id\s+([0-9a-f-]{36})")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Site:
    """The running server, its demo sign-ins and the records the tests rely on."""

    base: str
    signins: dict[str, tuple[str, str]]
    patient_id: str
    # Casey: a patient of the clinic on a taper that began a week ago, with a safety check and
    # no diary yet; Blake: a patient of the clinic without a plan.
    casey_id: str = ""
    casey_signin: tuple[str, str] = ("", "")
    casey_plan_id: str = ""
    other_patient_id: str = ""
    other_signin: tuple[str, str] = ("", "")
    # Dana: on a taper for a week whose withdrawal checklist rose on three days running.
    dana_id: str = ""
    dana_signin: tuple[str, str] = ("", "")
    log: list[str] = field(default_factory=list)

    def token(self, role: str) -> str:
        user, password = self.signins[role]
        return signin_token(self.base, user, password)

    def api(self, role: str) -> httpx.Client:
        return self.client(self.token(role))

    def client(self, token: str) -> httpx.Client:
        return httpx.Client(base_url=self.base + "/api/v1", timeout=30,
                            headers={"Authorization": f"Bearer {token}"})


def signin_token(base: str, username: str, password: str) -> str:
    r = httpx.post(base + "/api/v1/auth/token", json={"username": username,
                                                      "password": password}, timeout=30)
    r.raise_for_status()
    token: str = r.json()["access_token"]
    return token


def _start(tmp: Path) -> tuple[subprocess.Popen[str], Site]:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(SRC), "COLUMNS": "200",
           "BENZOPLAN_SECRET_KEY": os.urandom(32).hex()}
    proc = subprocess.Popen(
        [sys.executable, "-m", "benzoplan", "serve", "--demo", "--host", "127.0.0.1",
         "--port", str(port), "--database-url", f"sqlite:///{tmp / 'web.db'}"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    log: list[str] = []

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            log.append(line)

    threading.Thread(target=pump, daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise RuntimeError("server exited:\n" + "".join(log))
        try:
            if httpx.get(base + "/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("server did not start:\n" + "".join(log))
        time.sleep(0.2)
    text = "".join(log)
    signins = {m[1]: (m[2], m[3]) for m in map(_SIGNIN.match, text.splitlines()) if m}
    patient = _PATIENT.search(text)
    assert patient and {"clinician", "patient", "admin"} <= set(signins), text
    return proc, Site(base, signins, patient[1], log=log)


CASEY_RECORD = {
    "age_years": 52, "sex": "female", "weight": {"value": 64, "unit": "kg"},
    "conditions": ["panic-disorder"], "alcohol_use": "occasional",
    "regimen": {"drug": "clonazepam", "indication": "panic-disorder", "start_date": "2020-05-01",
                "schedule": [{"time": "08:00", "dose": "1 mg"},
                             {"time": "20:00", "dose": "1 mg"}]},
}


def _ok(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code < 300, r.text
    body: dict[str, Any] = r.json()
    return body


def _patient_user(site: Site, admin: httpx.Client, username: str, patient_id: str
                  ) -> tuple[str, str]:
    password = os.urandom(12).hex()
    _ok(admin.post("/users", json={"username": username, "display_name": username.title(),
                                   "role": "patient", "password": password,
                                   "patient_id": patient_id}))
    return username, password


def _seed(site: Site) -> None:
    """The records the tests use, made through the JSON API as a clinic would."""
    start = dt.date.today() - dt.timedelta(days=7)
    with site.api("clinician") as doctor, site.api("admin") as admin:
        casey = _ok(doctor.post("/patients", json={
            "name": "Casey Fresh", "birth_date": "1974-02-03", "sex": "female",
            "record": CASEY_RECORD}))
        site.casey_id = casey["id"]
        _ok(doctor.post(f"/patients/{site.casey_id}/regimens", json={
            "drug": "clonazepam", "indication": "panic disorder", "start": "2020-05-01",
            "schedule": [{"time": "08:00", "dose": {"value": 1, "unit": "mg"}},
                         {"time": "20:00", "dose": {"value": 1, "unit": "mg"}}]}))
        _ok(doctor.post(f"/patients/{site.casey_id}/safety", json={}))
        plan = _ok(doctor.post(f"/patients/{site.casey_id}/plans", json={"request": {
            "drug": "clonazepam", "start": start.isoformat(), "years_of_use": 6,
            "doses": [{"time": "08:00", "dose": {"value": 1, "unit": "mg"}},
                      {"time": "20:00", "dose": {"value": 1, "unit": "mg"}}]}}))
        site.casey_plan_id = plan["id"]
        site.casey_signin = _patient_user(site, admin, "casey.fresh", site.casey_id)
        dana = _ok(doctor.post("/patients", json={"name": "Dana Worse", "sex": "female"}))
        site.dana_id = dana["id"]
        _ok(doctor.post(f"/patients/{site.dana_id}/plans", json={"request": {
            "drug": "clonazepam", "start": start.isoformat(), "years_of_use": 4,
            "doses": [{"time": "08:00", "dose": {"value": 1, "unit": "mg"}},
                      {"time": "20:00", "dose": {"value": 1, "unit": "mg"}}]}}))
        site.dana_signin = _patient_user(site, admin, "dana.worse", site.dana_id)
        with site.client(signin_token(site.base, *site.dana_signin)) as me:
            for day in range(6):
                ratings = {} if day < 3 else {"anxiety": 2, "insomnia": 2, "tremor": 1}
                _ok(me.post(f"/patients/{site.dana_id}/diary", json={
                    "id": f"dana-{day}", "kind": "symptoms",
                    "date": (start + dt.timedelta(days=day)).isoformat(),
                    "data": {"ratings": ratings}}))
        blake = _ok(doctor.post("/patients", json={"name": "Blake Other", "sex": "male"}))
        site.other_patient_id = blake["id"]
        site.other_signin = _patient_user(site, admin, "blake.other", site.other_patient_id)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    proc, s = _start(tmp_path_factory.mktemp("web"))
    try:
        _seed(s)
        yield s
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (`make system-deps`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15000)
    try:
        yield pg
    finally:
        context.close()
