"""Sign-in tokens (HS256 JWT, short-lived) and the sign-in rate limiter."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import jwt

from benzoplan.errors import BenzoplanError, Unauthorized
from benzoplan.store.models import User, utcnow

__all__ = ["SigninLimiter", "TokenService", "TooManyAttempts"]

_ALGORITHM = "HS256"
_ISSUER = "benzoplan"


class TooManyAttempts(BenzoplanError):
    http_status = 429
    title = "Too many requests"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, field="username")
        self.headers = {"Retry-After": str(retry_after)}


@dataclass(frozen=True)
class TokenService:
    secret: str
    minutes: int

    def issue(self, user: User) -> tuple[str, int]:
        now = utcnow()
        claims = {"sub": user.id, "role": user.role, "clinic": user.clinic_id, "iss": _ISSUER,
                  "iat": now, "exp": now + timedelta(minutes=self.minutes)}
        return jwt.encode(claims, self.secret, algorithm=_ALGORITHM), self.minutes * 60

    def subject(self, token: str) -> str:
        try:
            claims: dict[str, Any] = jwt.decode(
                token, self.secret, algorithms=[_ALGORITHM], issuer=_ISSUER,
                options={"require": ["sub", "exp", "iat", "iss"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("sign-in token has expired; sign in again",
                               field="Authorization") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized("sign-in token is not valid", field="Authorization") from exc
        return str(claims["sub"])


@dataclass
class SigninLimiter:
    """Failed sign-ins per username and per client address within a sliding window.

    After ``max_failures`` failures for one username (or four times as many from one address)
    within ``window`` seconds, further attempts get 429 until the oldest failure leaves the
    window. A successful sign-in clears the username's failures. Kept in process memory: one
    limiter per server process.
    """

    max_failures: int
    window: float
    _fails: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _prune(self, key: str, now: float) -> deque[float]:
        q = self._fails.setdefault(key, deque())
        while q and now - q[0] >= self.window:
            q.popleft()
        return q

    def check(self, username: str, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key, limit in ((f"u:{username.lower()}", self.max_failures),
                               (f"a:{address}", self.max_failures * 4)):
                q = self._prune(key, now)
                if len(q) >= limit:
                    wait = max(1, int(self.window - (now - q[0])) + 1)
                    raise TooManyAttempts(
                        f"too many failed sign-ins; try again in {wait} s", retry_after=wait)

    def failed(self, username: str, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in (f"u:{username.lower()}", f"a:{address}"):
                self._prune(key, now).append(now)

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._fails.pop(f"u:{username.lower()}", None)
