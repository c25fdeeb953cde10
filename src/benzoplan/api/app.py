"""The FastAPI app factory."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import APIRouter, FastAPI

from benzoplan import __version__, web
from benzoplan.api import problems
from benzoplan.api.cds_clients import load_clients
from benzoplan.api.compute import Computer
from benzoplan.api.deps import Services
from benzoplan.api.routes import (
    alerts,
    audit,
    auth,
    cds_hooks,
    diary,
    fhir,
    health,
    instruments,
    monitoring,
    operations,
    patients,
    plans,
    safety,
    users,
)
from benzoplan.api.security import SigninLimiter, TokenService
from benzoplan.api.settings import Settings
from benzoplan.clinical_data import load_all
from benzoplan.errors import InputError
from benzoplan.store import is_sqlite, make_engine, make_sessionmaker

__all__ = ["API_PREFIX", "create_app"]

API_PREFIX = "/api/v1"

DESCRIPTION = """
benzoplan's clinic service: patients, regimens, taper plans with immutable versions, the
patient diary, alerts, and the pure operations (convert, …) of the benzoplan library.

Sign in with `POST /api/v1/auth/token` and send the token as `Authorization: Bearer <token>`.
Errors are RFC 9457 `application/problem+json` with `detail` and the offending `field`.

Decision support only: every output is for a clinician to review.
"""


def api_router() -> APIRouter:
    """Every ``/api/v1`` route, by topic."""
    api = APIRouter(prefix=API_PREFIX)
    for module in (auth, users, patients, plans, diary, safety, instruments, monitoring, alerts,
                   operations, audit):
        api.include_router(module.router)
    return api


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for ``settings`` (default: from the environment).

    The database must already be at the current schema (``benzoplan db upgrade``).
    """
    settings = settings or Settings()
    load_all()  # an invalid clinical data file stops the service here, not at a request
    if settings.secret_key is None or len(settings.secret_key.get_secret_value()) < 32:
        raise InputError("BENZOPLAN_SECRET_KEY must be set to a random string of at least 32 "
                         "characters (e.g. `python -c 'import secrets; "
                         "print(secrets.token_urlsafe(48))'`)", field="secret_key")
    engine = make_engine(settings.database_url)
    reader = make_engine(settings.database_url, reads_only=True, pool_size=5)
    services = Services(
        settings=settings,
        engine=engine,
        reader=reader,
        sessions=make_sessionmaker(engine),
        read_sessions=make_sessionmaker(reader),
        gate=anyio.Lock() if is_sqlite(engine) else None,
        computer=Computer(settings.compute_processes, settings.compute_threads),
        tokens=TokenService(settings.secret_key.get_secret_value(), settings.token_minutes),
        limiter=SigninLimiter(settings.signin_max_failures, settings.signin_window_seconds),
        cds_clients=load_clients(settings.cds_clients),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await anyio.to_thread.run_sync(services.computer.start)
        # What start-up built (clinical data, models, routes) lives as long as the process:
        # keep it out of the garbage collector's full passes, which otherwise walk all of it
        # and pause every request for ~100 ms now and then.
        gc.collect()
        gc.freeze()
        yield
        services.computer.close()
        engine.dispose()
        reader.dispose()

    app = FastAPI(title="benzoplan", version=__version__, description=DESCRIPTION,
                  lifespan=lifespan, docs_url="/docs", openapi_url="/openapi.json")
    app.state.services = services
    problems.install(app)
    app.include_router(health.router)
    app.include_router(api_router())
    app.include_router(fhir.router)
    app.include_router(cds_hooks.router)
    app.add_middleware(problems.BodyLimit, limit=settings.max_body_bytes)
    web.install(app)
    return app
