"""Argon2id password hashes (argon2-cffi defaults: the RFC 9106 low-memory profile).

:func:`configure_hasher` changes the cost of new hashes (a slower machine, or fast tests);
existing hashes keep verifying with the parameters stored inside them.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from benzoplan.errors import InputError

__all__ = ["MIN_PASSWORD_LENGTH", "configure_hasher", "hash_password", "verify_password"]

MIN_PASSWORD_LENGTH = 10
_hasher = PasswordHasher()


def configure_hasher(*, time_cost: int, memory_cost: int, parallelism: int) -> None:
    """Use these argon2id parameters (``memory_cost`` in KiB) for new hashes."""
    global _hasher
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost,
                             parallelism=parallelism)
    _dummy.cache_clear()


@cache
def _dummy() -> str:
    # Verifying against this when a user does not exist keeps sign-in timing uniform.
    return _hasher.hash("benzoplan-no-such-user")


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(f"password must have at least {MIN_PASSWORD_LENGTH} characters",
                         field="password")
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
