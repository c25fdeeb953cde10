"""The pages' client of the JSON API: every read and write goes through ``/api/v1``.

The web layer holds no store or core logic of its own. Each page request calls the API
in-process (over ASGI, so no network hop) with the signed-in user's token, exactly as any other
API client would; the API does the access checks, validation and audit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import Request

__all__ = ["API_PREFIX", "Api", "ApiError", "SignInRequired"]

API_PREFIX = "/api/v1"


class SignInRequired(Exception):
    """No token, or the API refused it (expired or revoked): the user must sign in again."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class ApiError(Exception):
    """A problem+json answer from the API (4xx/5xx)."""

    status: int
    detail: str
    field: str | None = None
    problem: dict[str, Any] | None = None

    def __str__(self) -> str:
        return self.detail


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any


class Api:
    """Calls the API of the app serving ``request`` with ``token`` as the bearer."""

    def __init__(self, request: Request, token: str | None) -> None:
        self._request = request
        self._token = token

    def _client(self) -> httpx.AsyncClient:
        peer = self._request.client
        transport = httpx.ASGITransport(
            app=self._request.app,
            client=(peer.host, peer.port) if peer else ("127.0.0.1", 0),
        )
        headers = {"Accept": "application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        return httpx.AsyncClient(transport=transport, base_url="http://benzoplan.web",
                                 headers=headers, timeout=30.0)

    async def call(self, method: str, path: str, *, json: Any = None,
                   params: dict[str, Any] | None = None, signed_in: bool = True) -> Reply:
        if signed_in and not self._token:
            raise SignInRequired("Please sign in.")
        async with self._client() as client:
            resp = await client.request(method, API_PREFIX + path, json=json, params=params)
        body: Any = None
        if resp.content:
            try:
                body = resp.json()
            except ValueError:
                body = {"detail": resp.text}
        if resp.status_code == 401 and signed_in:
            raise SignInRequired("Your sign-in has expired. Please sign in again.")
        if resp.status_code >= 400:
            problem = body if isinstance(body, dict) else {}
            raise ApiError(resp.status_code, str(problem.get("detail") or resp.reason_phrase),
                           problem.get("field"), problem)
        return Reply(resp.status_code, body)

    async def get(self, path: str, **params: Any) -> Any:
        return (await self.call("GET", path, params=params or None)).body

    async def items(self, path: str, **params: Any) -> list[Any]:
        """The ``items`` of a paginated list (one page, ``limit`` as given)."""
        body = await self.get(path, **params)
        items: list[Any] = body["items"]
        return items

    async def post(self, path: str, body: Any) -> Reply:
        return await self.call("POST", path, json=body)
