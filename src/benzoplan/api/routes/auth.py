"""Sign-in: ``POST /api/v1/auth/token`` and ``GET /api/v1/auth/me``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from benzoplan.api.deps import DB, CurrentActor, Services, get_services
from benzoplan.api.schemas import Model, Out
from benzoplan.errors import Unauthorized
from benzoplan.store import audit
from benzoplan.store.passwords import verify_password
from benzoplan.store.users import get_user, get_user_by_username

router = APIRouter(prefix="/auth", tags=["auth"])


class SignIn(Model):
    username: str = Field(min_length=1, max_length=100, examples=["dr.demo"])
    password: str = Field(min_length=1, max_length=200)


class Token(Out):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="seconds until the token expires")
    role: str
    user_id: str


class Me(Out):
    id: str
    username: str
    display_name: str
    role: str
    clinic_id: str
    patient_id: str | None


@router.post("/token", summary="Sign in with username and password", response_model=Token)
def sign_in(body: SignIn, request: Request, db: DB,
            services: Annotated[Services, Depends(get_services)]) -> Token:
    address = request.client.host if request.client else "unknown"
    services.limiter.check(body.username, address)
    user = get_user_by_username(db, body.username)
    ok = verify_password(user.password_hash if user else None, body.password)
    if user is None or not ok or not user.active:
        services.limiter.failed(body.username, address)
        raise Unauthorized("wrong username or password", field="password")
    services.limiter.succeeded(body.username)
    audit.record(db, actor_id=user.id, action="sign-in", entity="user", entity_id=user.id,
                 clinic_id=user.clinic_id)
    token, seconds = services.tokens.issue(user)
    return Token(access_token=token, expires_in=seconds, role=user.role, user_id=user.id)


@router.get("/me", summary="The signed-in user", response_model=Me)
def me(actor: CurrentActor, db: DB) -> Me:
    return Me.model_validate(get_user(db, actor.id))
