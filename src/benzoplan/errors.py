"""The one exception tree of benzoplan.

Every error a user can cause by their input is a subclass of :class:`BenzoplanError`.
The CLI maps any of them to exit status 2 with its message; the API maps them to
RFC 9457 problem+json with ``status`` taken from :attr:`BenzoplanError.http_status`.

    BenzoplanError
    ├── InputError          bad input: malformed, out of range, wrong unit (HTTP 422)
    │   ├── UnitError       a quantity without a unit, an unknown unit, a wrong dimension
    │   ├── UnknownDrug     a drug name that resolves to nothing (with a suggestion)
    │   └── UnknownItem     any other unknown name (instrument, product, strategy, …)
    ├── UnsafePlan          a request that would break a safety limit without an override (422)
    ├── NotFound            a stored record that does not exist or is not visible (404)
    ├── Conflict            a concurrent or duplicate change (409)
    ├── Forbidden           authenticated but not allowed (403)
    ├── Unauthorized        not signed in, bad credentials (401)
    └── DataError           a packaged data file is invalid (a defect, not user input)
"""

from __future__ import annotations

__all__ = [
    "BenzoplanError",
    "Conflict",
    "DataError",
    "Forbidden",
    "InputError",
    "NotFound",
    "Unauthorized",
    "UnitError",
    "UnknownDrug",
    "UnknownItem",
    "UnsafePlan",
]


class BenzoplanError(Exception):
    """Base of every benzoplan error. ``field`` names the offending input where known."""

    http_status = 400
    title = "Bad request"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


class InputError(BenzoplanError):
    http_status = 422
    title = "Invalid input"


class UnitError(InputError):
    title = "Invalid quantity or unit"


class UnknownItem(InputError):
    title = "Unknown name"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        suggestions: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message, field=field)
        self.suggestions = suggestions


class UnknownDrug(UnknownItem):
    title = "Unknown drug"


class UnsafePlan(BenzoplanError):
    http_status = 422
    title = "Unsafe plan"


class NotFound(BenzoplanError):
    http_status = 404
    title = "Not found"


class Conflict(BenzoplanError):
    http_status = 409
    title = "Conflict"


class Forbidden(BenzoplanError):
    http_status = 403
    title = "Forbidden"


class Unauthorized(BenzoplanError):
    http_status = 401
    title = "Unauthorized"


class DataError(BenzoplanError):
    """A packaged data file failed validation: a defect in benzoplan, not in user input."""

    http_status = 500
    title = "Invalid packaged data"
