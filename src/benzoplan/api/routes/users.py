"""User management for a clinic's admin: ``/api/v1/users``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, status
from pydantic import Field

from benzoplan.api.deps import DB, PageParams, require_roles
from benzoplan.api.schemas import Model, Out, PageOf
from benzoplan.store import Actor
from benzoplan.store.passwords import MIN_PASSWORD_LENGTH
from benzoplan.store.users import create_user, get_user, list_users, update_user

router = APIRouter(prefix="/users", tags=["users"])
Admin = Annotated[Actor, Depends(require_roles("admin"))]
Role = Literal["clinician", "pharmacist", "patient", "admin"]
Password = Annotated[str, Field(min_length=MIN_PASSWORD_LENGTH, max_length=200)]


class UserIn(Model):
    username: str = Field(min_length=3, max_length=100, pattern=r"^[A-Za-z0-9._@-]+$")
    display_name: str = Field(min_length=1, max_length=200)
    role: Role
    password: Password
    patient_id: str | None = Field(None, max_length=64,
                                   description="required for role 'patient'")


class UserPatch(Model):
    display_name: str | None = Field(None, min_length=1, max_length=200)
    role: Role | None = None
    active: bool | None = None
    password: Password | None = None


class UserOut(Out):
    id: str
    username: str
    display_name: str
    role: str
    clinic_id: str
    patient_id: str | None
    active: bool
    created_at: datetime


@router.get("", summary="Users of the admin's clinic", response_model=PageOf[UserOut])
def users_list(actor: Admin, db: DB, page: PageParams) -> PageOf[UserOut]:
    p = list_users(db, actor.clinic_id, limit=page.limit, offset=page.offset)
    return PageOf[UserOut].of([UserOut.model_validate(u) for u in p.items], p.total, p.limit,
                              p.offset)


@router.post("", summary="Create a user in the admin's clinic", response_model=UserOut,
             status_code=status.HTTP_201_CREATED)
def users_create(body: UserIn, actor: Admin, db: DB) -> UserOut:
    u = create_user(db, clinic_id=actor.clinic_id, username=body.username,
                    password=body.password, role=body.role, display_name=body.display_name,
                    patient_id=body.patient_id, actor=actor)
    return UserOut.model_validate(u)


UserId = Annotated[str, Path(max_length=64)]


@router.get("/{user_id}", summary="One user of the admin's clinic", response_model=UserOut)
def users_get(user_id: UserId, actor: Admin, db: DB) -> UserOut:
    return UserOut.model_validate(get_user(db, user_id, clinic_id=actor.clinic_id))


@router.patch("/{user_id}", summary="Rename, change role, (de)activate or reset a password",
              response_model=UserOut)
def users_update(user_id: UserId, body: UserPatch, actor: Admin, db: DB) -> UserOut:
    user = get_user(db, user_id, clinic_id=actor.clinic_id)
    return UserOut.model_validate(update_user(db, actor, user, body.model_dump(exclude_none=True)))
