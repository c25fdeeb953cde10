"""Clinics and users."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from benzoplan.errors import Conflict, InputError, NotFound
from benzoplan.store import audit
from benzoplan.store.common import Actor, Page, paginate
from benzoplan.store.models import ROLES, Clinic, Patient, User
from benzoplan.store.passwords import hash_password

__all__ = [
    "create_clinic",
    "create_user",
    "get_clinic",
    "get_user",
    "get_user_by_username",
    "list_users",
    "update_user",
]


def create_clinic(session: Session, name: str) -> Clinic:
    if session.scalar(select(Clinic).where(Clinic.name == name)) is not None:
        raise Conflict(f"a clinic named '{name}' already exists", field="name")
    clinic = Clinic(name=name)
    session.add(clinic)
    session.flush()
    return clinic


def get_clinic(session: Session, clinic_id: str) -> Clinic:
    clinic = session.get(Clinic, clinic_id)
    if clinic is None:
        raise NotFound(f"no clinic {clinic_id}", field="clinic_id")
    return clinic


def _check_role(role: str, patient_id: str | None, clinic_id: str, session: Session) -> None:
    if role not in ROLES:
        raise InputError(f"role must be one of {', '.join(ROLES)}, got '{role}'", field="role")
    if role == "patient":
        if patient_id is None:
            raise InputError("a user with role 'patient' needs the patient_id it signs in as",
                             field="patient_id")
        p = session.get(Patient, patient_id)
        if p is None or p.clinic_id != clinic_id:
            raise NotFound(f"no patient {patient_id} in this clinic", field="patient_id")
    elif patient_id is not None:
        raise InputError("only a user with role 'patient' has a patient_id", field="patient_id")


def create_user(
    session: Session,
    *,
    clinic_id: str,
    username: str,
    password: str,
    role: str,
    display_name: str,
    patient_id: str | None = None,
    actor: Actor | None = None,
) -> User:
    _check_role(role, patient_id, clinic_id, session)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"username '{username}' is taken", field="username")
    if patient_id is not None and session.scalar(
        select(User.id).where(User.patient_id == patient_id)
    ) is not None:
        raise Conflict(f"patient {patient_id} already has a user", field="patient_id")
    user = User(clinic_id=clinic_id, username=username, display_name=display_name, role=role,
                password_hash=hash_password(password), patient_id=patient_id)
    session.add(user)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(f"username '{username}' is taken", field="username") from exc
    audit.record(session, actor_id=actor.id if actor else None, action="create", entity="user",
                 entity_id=user.id, clinic_id=clinic_id, patient_id=patient_id,
                 detail={"role": role, "username": username})
    return user


def get_user(session: Session, user_id: str, *, clinic_id: str | None = None) -> User:
    user = session.get(User, user_id)
    if user is None or (clinic_id is not None and user.clinic_id != clinic_id):
        raise NotFound(f"no user {user_id} in this clinic", field="user_id")
    return user


def get_user_by_username(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def list_users(session: Session, clinic_id: str, *, limit: int, offset: int) -> Page[User]:
    stmt = select(User).where(User.clinic_id == clinic_id).order_by(User.username, User.id)
    return paginate(session, stmt, limit=limit, offset=offset)


def update_user(session: Session, actor: Actor, user: User, changes: dict[str, Any]) -> User:
    """Apply ``display_name``, ``active``, ``role`` or ``password`` changes."""
    detail: dict[str, Any] = {}
    if "role" in changes and changes["role"] is not None:
        role = changes["role"]
        _check_role(role, user.patient_id if role == "patient" else None, user.clinic_id, session)
        if user.patient_id is not None and role != "patient":
            raise InputError("a patient's user cannot take another role", field="role")
        user.role = role
        detail["role"] = role
    if changes.get("display_name") is not None:
        user.display_name = changes["display_name"]
        detail["display_name"] = True
    if changes.get("active") is not None:
        if user.id == actor.id and not changes["active"]:
            raise InputError("an admin cannot deactivate their own account", field="active")
        user.active = bool(changes["active"])
        detail["active"] = user.active
    if changes.get("password") is not None:
        user.password_hash = hash_password(changes["password"])
        detail["password"] = "reset"
    session.flush()
    audit.record(session, actor_id=actor.id, action="update", entity="user", entity_id=user.id,
                 clinic_id=user.clinic_id, detail=detail)
    return user
