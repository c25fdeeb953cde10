"""The demo clinic that ``benzoplan serve --demo`` (``make run``) starts with.

A clinician, a pharmacist, an admin and a patient on clonazepam 1 mg twice daily (08:00 and
20:00, panic disorder, since 2019) with a safety check, a taper plan that began 13 days ago and
two weeks of diary (doses taken, withdrawal symptoms rising in the second week). Passwords
are random on every run (re-running resets them) and returned so the caller can print them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from benzoplan.monitoring import PlanView
from benzoplan.safety import PatientRecord, check
from benzoplan.store import diary, patients, plans
from benzoplan.store.common import Actor
from benzoplan.store.models import Clinic, Patient, User
from benzoplan.store.passwords import hash_password
from benzoplan.store.users import create_clinic, create_user
from benzoplan.taper import ScheduledDose, TaperRequest, plan_taper
from benzoplan.taper._model import parse_time
from benzoplan.units import Dose

__all__ = ["DEMO_CLINIC", "DemoSignIn", "seed_demo"]

DEMO_CLINIC = "Demo Clinic"
_USERS = (
    ("dr.demo", "Dr Demo (clinician)", "clinician"),
    ("pharm.demo", "Pat Pharmacist (pharmacist)", "pharmacist"),
    ("admin.demo", "Ada Admin (admin)", "admin"),
    ("alex.demo", "Alex Example (patient)", "patient"),
)
# Withdrawal-symptom ratings (0–3) over the two weeks: mild and steady, a rise in week 2.
_ANXIETY = (1, 1, 1, 1, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3)
_INSOMNIA = (1, 1, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 3, 3)


@dataclass(frozen=True)
class DemoSignIn:
    username: str
    password: str
    role: str


def _password() -> str:
    return secrets.token_urlsafe(12)


def seed_demo(session: Session, *, today: date | None = None) -> tuple[str, list[DemoSignIn]]:
    """Create the demo clinic once (or reset its passwords); returns the patient id and
    the sign-ins."""
    today = today or date.today()
    clinic = session.scalar(select(Clinic).where(Clinic.name == DEMO_CLINIC))
    signins: list[DemoSignIn] = []
    if clinic is not None:
        for username, _name, role in _USERS:
            user = session.scalar(select(User).where(User.username == username))
            if user is not None:
                pw = _password()
                user.password_hash = hash_password(pw)
                user.active = True
                signins.append(DemoSignIn(username, pw, role))
        patient = session.scalar(select(Patient).where(Patient.clinic_id == clinic.id))
        session.commit()
        return (patient.id if patient else ""), signins

    clinic = create_clinic(session, DEMO_CLINIC)
    # The clinician exists first so that the records below name their author.
    pw = _password()
    clinician = create_user(session, clinic_id=clinic.id, username=_USERS[0][0], password=pw,
                            role="clinician", display_name=_USERS[0][1])
    signins.append(DemoSignIn(_USERS[0][0], pw, "clinician"))
    doctor = Actor(clinician.id, "clinician", clinic.id)
    patient = patients.create_patient(
        session, doctor, name="Alex Example", birth_date=date(1980, 4, 2), sex="female",
        record=_record(),
    )
    patients.add_regimen(
        session, doctor, patient, drug="clonazepam",
        schedule=[{"time": "08:00", "dose": {"value": 1, "unit": "mg"}},
                  {"time": "20:00", "dose": {"value": 1, "unit": "mg"}}],
        indication="panic disorder", start=date(2019, 3, 1),
    )
    for username, name, role in _USERS[1:]:
        pw = _password()
        create_user(session, clinic_id=clinic.id, username=username, password=pw, role=role,
                    display_name=name, patient_id=patient.id if role == "patient" else None)
        signins.append(DemoSignIn(username, pw, role))
    me = session.scalar(select(User).where(User.username == "alex.demo"))
    assert me is not None
    self_actor = Actor(me.id, "patient", clinic.id, patient.id)
    patients.add_safety_check(session, doctor, patient,
                              check(PatientRecord.model_validate(_record()),
                                    today=today).to_json())
    start = today - timedelta(days=13)
    plan = plan_taper(TaperRequest(
        drug="clonazepam", start=start, years_of_use=7.0, indication="panic disorder",
        doses=(ScheduledDose(parse_time("08:00"), Dose("1 mg")),
               ScheduledDose(parse_time("20:00"), Dose("1 mg")))))
    plans.create_plan(session, doctor, patient, plan.to_json(), "initial plan")
    view = PlanView.of(plan)
    for i in range(14):
        day = start + timedelta(days=i)
        entries: list[tuple[str, dict[str, Any]]] = [
            (f"dose-{slot}", {"slot": slot, "status": "taken"}) for slot in view.slots_on(day)
        ]
        entries.append(("symptoms", {"ratings": {"anxiety": _ANXIETY[i],
                                                 "insomnia": _INSOMNIA[i]}}))
        for name, data in entries:
            kind = "dose" if name.startswith("dose") else name
            diary.put_entry(session, self_actor, patient, client_id=f"demo-{day}-{name}",
                            entry_date=day, kind=kind, data=data)
    session.commit()
    return patient.id, signins


def _record() -> dict[str, Any]:
    """The safety engine's PatientRecord JSON for the demo patient."""
    return {"age_years": 46, "sex": "female", "weight": {"value": 70, "unit": "kg"},
            "conditions": ["panic-disorder"], "alcohol_use": "occasional", "drives": True,
            "regimen": {"drug": "clonazepam", "indication": "panic-disorder",
                        "start_date": "2019-03-01",
                        "schedule": [{"time": "08:00", "dose": "1 mg"},
                                     {"time": "20:00", "dose": "1 mg"}]}}
