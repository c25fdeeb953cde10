"""RFC 9457 problem+json for every error, and the request-size limit.

Each problem has ``type``, ``title``, ``status``, ``detail`` (specific: what was wrong with
which input), ``instance`` (the request path) and, for client errors about one input, ``field``
(``body.dose.unit``, ``query.limit``, ``path.patient_id``). Validation failures list every
problem under ``errors``. Nothing a client sends yields a 500.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from benzoplan.errors import BenzoplanError, UnknownItem

__all__ = ["BodyLimit", "install", "problem"]

log = logging.getLogger("benzoplan.api")
MEDIA_TYPE = "application/problem+json"

_TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found",
           405: "Method not allowed", 409: "Conflict", 413: "Request body too large",
           415: "Unsupported media type", 422: "Invalid input", 429: "Too many requests",
           500: "Internal error", 503: "Service unavailable"}


def _slug(title: str) -> str:
    return "/problems/" + "-".join(title.lower().replace("+", " ").split())


def problem(status: int, detail: str, *, request: Request | None = None,
            title: str | None = None, field: str | None = None,
            headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    t = title or _TITLES.get(status, "Error")
    body: dict[str, Any] = {"type": _slug(t), "title": t, "status": status, "detail": detail}
    if request is not None:
        body["instance"] = request.url.path
    if field is not None:
        body["field"] = field
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _field(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc]
    return ".".join(parts) if parts else "body"


def _describe(err: dict[str, Any]) -> str:
    loc = err.get("loc", ())
    field = _field(loc)
    kind = err.get("type", "")
    name = str(loc[-1]) if loc else "body"
    if kind == "extra_forbidden":
        return f"unknown field '{name}' at {field}; it is not part of this request"
    if kind == "missing":
        return f"required field {field} is missing"
    if kind == "json_invalid":
        ctx = err.get("ctx") or {}
        return f"request body is not valid JSON: {ctx.get('error', err.get('msg'))}"
    msg = str(err.get("msg", "invalid"))
    msg = msg.removeprefix("Value error, ")
    raw = err.get("input")
    shown = ""
    if isinstance(raw, str | int | float) and not isinstance(raw, bool) and len(str(raw)) < 80:
        shown = f" (got {json.dumps(raw)})"
    return f"{field}: {msg}{shown}"


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [dict(e) for e in exc.errors()]
    items = [{"field": "body" if e.get("type") == "json_invalid" else _field(e.get("loc", ())),
              "detail": _describe(e)} for e in errors]
    first = items[0] if items else {"field": "body", "detail": "invalid request"}
    return problem(422, first["detail"], request=request, field=first["field"], errors=items)


async def _benzoplan(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BenzoplanError)
    if exc.http_status >= 500:
        log.error("internal error on %s: %s", request.url.path, exc)
        return problem(500, "internal error; the event was logged", request=request)
    extra: dict[str, Any] = {}
    if isinstance(exc, UnknownItem) and exc.suggestions:
        extra["suggestions"] = list(exc.suggestions)
    headers = getattr(exc, "headers", None)
    return problem(exc.http_status, exc.message, request=request, title=exc.title,
                   field=exc.field, headers=headers, **extra)


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no route {request.method} {request.url.path}"
    elif exc.status_code == 405:
        detail = f"method {request.method} is not allowed on {request.url.path}"
    return problem(exc.status_code, detail, request=request,
                   headers=dict(exc.headers) if exc.headers else None)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(500, "internal error; the event was logged", request=request)


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(BenzoplanError, _benzoplan)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)


class BodyLimit:
    """Refuse request bodies larger than ``limit`` bytes with 413 before the app reads them."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.limit
            except ValueError:
                await self._refuse(scope, receive, send, 400, "Content-Length is not a number")
                return
            if too_big:
                await self._too_big(scope, receive, send)
                return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            body = message.get("body", b"")
            size += len(body)
            if size > self.limit:
                await self._too_big(scope, receive, send)
                return
            chunks.append(body)
            more = message.get("more_body", False)
        whole = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": whole, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_big(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._refuse(scope, receive, send, 413,
                           f"request body exceeds the limit of {self.limit} bytes")

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, status: int,
                      detail: str) -> None:
        response = problem(status, detail, field="body", instance=scope.get("path", ""))
        await response(scope, receive, send)
