"""Typed dependencies: the database session, the signed-in actor and access to a patient.

Access is denied by default: each route names the roles it serves, and a record outside the
actor's reach (another clinic's patient, another patient's diary) is reported as not found,
so ids from elsewhere reveal nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Annotated

import anyio
from fastapi import Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from benzoplan.api.cds_clients import CdsClients
from benzoplan.api.compute import Computer
from benzoplan.api.security import SigninLimiter, TokenService
from benzoplan.api.settings import Settings
from benzoplan.errors import Forbidden, NotFound, Unauthorized
from benzoplan.store import MAX_PAGE, Actor
from benzoplan.store.models import Alert, Patient, TaperPlanRecord, User
from benzoplan.store.patients import get_alert, load_patient
from benzoplan.store.plans import load_plan

__all__ = [
    "DB",
    "AlertAccess",
    "CdsActor",
    "CurrentActor",
    "Paging",
    "PatientAccess",
    "PlanAccess",
    "Services",
    "Svc",
    "alert_access",
    "patient_access",
    "plan_access",
    "require_roles",
]


@dataclass(frozen=True)
class Services:
    """What the app holds for its lifetime (``app.state.services``)."""

    settings: Settings
    engine: Engine
    # the same database for plain reads: on SQLite its transactions never take the write lock
    reader: Engine
    sessions: sessionmaker[Session]
    # plain reads outside the request's transaction (who is signing in)
    read_sessions: sessionmaker[Session]
    tokens: TokenService
    limiter: SigninLimiter
    cds_clients: CdsClients
    # SQLite has one writer: requests that use the database take turns here, waiting in the
    # event loop rather than in worker threads (a waiting thread could starve the request
    # that holds the database lock of the thread it needs to commit).
    gate: anyio.Lock | None
    # pure computations (planning a taper, a safety check) run here, off the request threads
    computer: Computer


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


Svc = Annotated[Services, Depends(get_services)]


async def get_session(
    services: Annotated[Services, Depends(get_services)],
) -> AsyncIterator[Session]:
    """One transaction per request, committed when the route returns (before the response)."""
    async with services.gate if services.gate is not None else nullcontext():
        session = services.sessions()
        try:
            yield session
        except BaseException:
            await run_in_threadpool(_end, session, commit=False)
            raise
        await run_in_threadpool(_end, session, commit=True)


def _end(session: Session, *, commit: bool) -> None:
    """Commit (or roll back) and close in one worker-thread call."""
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


DB = Annotated[Session, Depends(get_session, scope="function")]
_bearer = HTTPBearer(auto_error=False, description="A token from POST /api/v1/auth/token")


def current_actor(
    services: Annotated[Services, Depends(get_services)],
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    if creds is None or creds.scheme.lower() != "bearer":
        raise Unauthorized("sign in first and send 'Authorization: Bearer <token>'",
                           field="Authorization")
    subject = services.tokens.subject(creds.credentials)
    with services.read_sessions() as s:
        user = s.get(User, subject)
    if user is None or not user.active:
        raise Unauthorized("this account no longer exists or was deactivated",
                           field="Authorization")
    return Actor(id=user.id, role=user.role, clinic_id=user.clinic_id,
                 patient_id=user.patient_id)


CurrentActor = Annotated[Actor, Depends(current_actor)]


def cds_actor(
    request: Request,
    services: Annotated[Services, Depends(get_services)],
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    """Who calls a CDS Hooks endpoint: a trusted CDS client (an EHR's signed JWT, acting as
    the account configured for it) or a signed-in clinician or pharmacist."""
    staff = ("clinician", "pharmacist")
    if creds is None or not services.cds_clients.is_client_token(creds.credentials):
        actor = current_actor(services, creds)
        if actor.role not in staff:
            raise _refuse(actor, staff)
        return actor
    base = services.settings.public_url or str(request.base_url)
    client = services.cds_clients.verify(creds.credentials,
                                         audience=base.rstrip("/") + request.url.path)
    with services.read_sessions() as s:
        user = s.scalar(select(User).where(User.username == client.account))
    if user is None or not user.active or user.role not in staff:
        raise Unauthorized(f"the account '{client.account}' configured for CDS client "
                           f"{client.iss} is missing, deactivated or not a clinician or "
                           "pharmacist", field="Authorization")
    return Actor(id=user.id, role=user.role, clinic_id=user.clinic_id)


CdsActor = Annotated[Actor, Depends(cds_actor)]


def _refuse(actor: Actor, allowed: tuple[str, ...]) -> Forbidden:
    return Forbidden(f"role '{actor.role}' may not use this route "
                     f"(allowed: {', '.join(allowed)})")


def require_roles(*allowed: str) -> Callable[[Actor], Actor]:
    def dep(actor: CurrentActor) -> Actor:
        if actor.role not in allowed:
            raise _refuse(actor, allowed)
        return actor

    return dep


@dataclass(frozen=True)
class PatientAccess:
    actor: Actor
    patient: Patient


def _reach(actor: Actor, patient: Patient, staff: tuple[str, ...], self_service: bool) -> None:
    hidden = NotFound(f"no patient {patient.id} in your reach", field="path.patient_id")
    if actor.role == "patient":
        if not self_service:
            raise _refuse(actor, staff)
        if actor.patient_id != patient.id:
            raise hidden
    elif actor.role not in staff:
        raise _refuse(actor, staff + (("patient (own record)",) if self_service else ()))
    if patient.clinic_id != actor.clinic_id:
        raise hidden


def _early_role_check(actor: Actor, staff: tuple[str, ...], self_service: bool) -> None:
    if actor.role == "patient" and self_service:
        return
    if actor.role not in staff:
        raise _refuse(actor, staff + (("patient (own record)",) if self_service else ()))


def patient_access(*staff: str, self_service: bool = False) -> Callable[..., PatientAccess]:
    """Access to the patient in the path for ``staff`` roles of the patient's clinic, and for
    the patient themself when ``self_service``."""

    def dep(patient_id: Annotated[str, Path(max_length=64)], actor: CurrentActor,
            db: DB) -> PatientAccess:
        _early_role_check(actor, staff, self_service)
        try:
            patient = load_patient(db, patient_id)
        except NotFound:
            raise NotFound(f"no patient {patient_id} in your reach",
                           field="path.patient_id") from None
        _reach(actor, patient, staff, self_service)
        return PatientAccess(actor, patient)

    return dep


@dataclass(frozen=True)
class PlanAccess:
    actor: Actor
    patient: Patient
    plan: TaperPlanRecord


def plan_access(*staff: str, self_service: bool = False) -> Callable[..., PlanAccess]:
    def dep(plan_id: Annotated[str, Path(max_length=64)], actor: CurrentActor,
            db: DB) -> PlanAccess:
        _early_role_check(actor, staff, self_service)
        hidden = NotFound(f"no taper plan {plan_id} in your reach", field="path.plan_id")
        try:
            plan = load_plan(db, plan_id)
        except NotFound:
            raise hidden from None
        patient = load_patient(db, plan.patient_id)
        try:
            _reach(actor, patient, staff, self_service)
        except NotFound:
            raise hidden from None
        return PlanAccess(actor, patient, plan)

    return dep


@dataclass(frozen=True)
class AlertAccess:
    actor: Actor
    patient: Patient
    alert: Alert


def alert_access(*staff: str) -> Callable[..., AlertAccess]:
    def dep(alert_id: Annotated[str, Path(max_length=64)], actor: CurrentActor,
            db: DB) -> AlertAccess:
        _early_role_check(actor, staff, False)
        hidden = NotFound(f"no alert {alert_id} in your reach", field="path.alert_id")
        try:
            alert = get_alert(db, alert_id)
        except NotFound:
            raise hidden from None
        patient = load_patient(db, alert.patient_id)
        if patient.clinic_id != actor.clinic_id:
            raise hidden
        return AlertAccess(actor, patient, alert)

    return dep


@dataclass(frozen=True)
class Paging:
    limit: int
    offset: int


def paging(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="page size")] = 50,
    # bounded: a database refuses an offset beyond 64 bits, and no list is this long
    offset: Annotated[int, Query(ge=0, le=1_000_000_000, description="items to skip")] = 0,
) -> Paging:
    return Paging(limit, offset)


PageParams = Annotated[Paging, Depends(paging)]
__all__ += ["PageParams"]
