"""The clinician UI and the patient diary: server-rendered pages over the JSON API.

:func:`install` adds the pages (``/``, ``/signin``, ``/clinic``, ``/diary``) and the packaged
static files (``/static``) to the API app. The pages hold no clinical or store logic: they call
``/api/v1`` with the signed-in user's token and show what it returns.
"""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from benzoplan.web._api import ApiError, SignInRequired
from benzoplan.web.pages import ROUTES, on_api_error, on_signin_required

__all__ = ["install"]


def install(app: FastAPI) -> None:
    """Serve the pages and ``/static`` from ``app`` (the API app whose routes they call)."""
    app.router.routes.extend(ROUTES)
    app.mount("/static", StaticFiles(directory=str(resources.files("benzoplan.web") / "static")),
              name="static")
    app.add_exception_handler(SignInRequired, on_signin_required)
    app.add_exception_handler(ApiError, on_api_error)
