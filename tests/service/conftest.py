"""Fixtures for the store and API tests: a fresh database per test on SQLite and, marked
``postgres``, on the real PostgreSQL server in a schema of its own (safe under xdist)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from benzoplan.api import Settings, create_app
from benzoplan.api.security import TokenService
from benzoplan.store import Actor, make_engine, make_sessionmaker, upgrade
from benzoplan.store.models import User
from benzoplan.store.passwords import configure_hasher
from benzoplan.store.patients import add_alert, add_safety_check, create_patient
from benzoplan.store.plans import create_plan
from benzoplan.store.users import create_clinic, create_user
from benzoplan.taper import ScheduledDose, TaperRequest, plan_taper
from benzoplan.taper._model import parse_time
from benzoplan.units import Dose

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SECRET = "test-secret-" + "x" * 40
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashes() -> None:
    """Production argon2 parameters cost ~0.5 s a hash on a busy 2-core machine."""
    configure_hasher(time_cost=1, memory_cost=1024, parallelism=1)


def pg_url(schema: str) -> str:
    return f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no tables) on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'benzoplan.db'}"
        return
    schema = f"bp_test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_ADMIN_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield pg_url(schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with make_sessionmaker(engine)() as s:
        yield s


@dataclass
class ClinicWorld:
    clinic_id: str
    users: dict[str, User] = field(default_factory=dict)  # role -> user
    patient_id: str = ""
    other_patient_id: str = ""  # a second patient of the same clinic, with its own user
    other_patient_user: User | None = None
    alert_ids: list[str] = field(default_factory=list)
    plan_ids: dict[str, str] = field(default_factory=dict)  # patient id -> plan id


RECORD = {"age_years": 46, "sex": "female", "weight": {"value": 70, "unit": "kg"},
          "conditions": ["panic-disorder"], "alcohol_use": "none",
          "regimen": {"drug": "clonazepam", "indication": "panic-disorder",
                      "start_date": "2019-03-01",
                      "schedule": [{"time": "08:00", "dose": "1 mg"},
                                   {"time": "20:00", "dose": "1 mg"}]}}


def taper_body(start: dt.date | None = None) -> dict[str, object]:
    """A taper request (API JSON): clonazepam 1 mg twice daily."""
    return {"drug": "clonazepam", "start": (start or dt.date.today()).isoformat(),
            "doses": [{"time": "08:00", "dose": {"value": 1, "unit": "mg"}},
                      {"time": "20:00", "dose": {"value": 1, "unit": "mg"}}]}


@cache
def plan_json() -> dict[str, object]:
    req = TaperRequest(drug="clonazepam", start=dt.date.today(),
                       doses=(ScheduledDose(parse_time("08:00"), Dose("1 mg")),
                              ScheduledDose(parse_time("20:00"), Dose("1 mg"))))
    return plan_taper(req).to_json()


@dataclass
class World:
    a: ClinicWorld
    b: ClinicWorld
    tokens: TokenService

    @property
    def plan_ids_all(self) -> dict[str, str]:
        return {**self.a.plan_ids, **self.b.plan_ids}

    def token(self, user: User) -> str:
        return self.tokens.issue(user)[0]

    def headers(self, user: User | None) -> dict[str, str]:
        return {} if user is None else {"Authorization": f"Bearer {self.token(user)}"}


def build_clinic(s: Session, name: str) -> ClinicWorld:
    clinic = create_clinic(s, name)
    w = ClinicWorld(clinic.id)
    for role in ("clinician", "pharmacist", "admin"):
        w.users[role] = create_user(s, clinic_id=clinic.id, username=f"{role}.{name}",
                                    password=PASSWORD, role=role, display_name=f"{role} {name}")
    doc = Actor(w.users["clinician"].id, "clinician", clinic.id)
    p = create_patient(s, doc, name=f"Pat {name}", birth_date=None, sex=None, record=RECORD)
    q = create_patient(s, doc, name=f"Other {name}", birth_date=None, sex=None, record=RECORD)
    w.patient_id, w.other_patient_id = p.id, q.id
    w.users["patient"] = create_user(s, clinic_id=clinic.id, username=f"patient.{name}",
                                     password=PASSWORD, role="patient",
                                     display_name=f"patient {name}", patient_id=p.id)
    w.other_patient_user = create_user(s, clinic_id=clinic.id, username=f"patient2.{name}",
                                       password=PASSWORD, role="patient",
                                       display_name=f"patient2 {name}", patient_id=q.id)
    for pid in (p, q):
        w.plan_ids[pid.id] = create_plan(s, doc, pid, plan_json(), "initial plan")[0].id
        add_safety_check(s, doc, pid, {"findings": []})
        for i in range(5):
            w.alert_ids.append(add_alert(s, doc, pid, level="warning", code=f"test-{i}",
                                         why="test", action="review", source=None).id)
    s.commit()
    return w


@pytest.fixture
def world(engine: Engine) -> World:
    with make_sessionmaker(engine)() as s:
        a = build_clinic(s, "a")
        b = build_clinic(s, "b")
    return World(a, b, TokenService(SECRET, 15))


def settings_for(url: str, **kw: object) -> Settings:
    """Computations run on threads unless a test asks for worker processes (each app would
    otherwise start a process of its own)."""
    kw.setdefault("compute_processes", 0)
    return Settings(database_url=url, secret_key=SECRET, **kw)  # type: ignore[arg-type]


@pytest.fixture
def client(db_url: str, engine: Engine) -> Iterator[TestClient]:
    app = create_app(settings_for(db_url))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
