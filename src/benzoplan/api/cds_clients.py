"""The CDS clients (EHRs) benzoplan trusts, and the signed JWTs they call CDS Hooks with.

CDS Hooks 2.0 ("Trusting CDS Clients"): every call carries ``Authorization: Bearer <JWT>``
signed with the client's private key (ES384 or RS384), with ``kid`` in the header and the
claims ``iss``, ``sub``, ``aud`` (the CDS Service endpoint called), ``exp``, ``iat`` and
``jti`` (a nonce against replay). The service trusts only the issuers it is configured with.

The clinic configures them in a JSON file named by ``BENZOPLAN_CDS_CLIENTS``::

    {"clients": [{"iss": "https://ehr.example.org", "sub": "benzoplan-client",
                  "account": "ehr.example", "jwks": {"keys": [<public JWK with "kid">]}}]}

``account`` is a benzoplan user (role clinician or pharmacist) that the clinic's admin
created for the EHR: the client acts as that account, so its cards and feedback are recorded
for that account's clinic. The public keys are read from the file, never fetched from a
``jku`` address.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from benzoplan.errors import InputError, Unauthorized

__all__ = ["ALGORITHMS", "CdsClients", "TrustedClient", "load_clients"]

# what CDS Hooks 2.0 requires a CDS Service to accept
ALGORITHMS = ("ES384", "RS384")
_LEEWAY_S = 30  # clock skew allowed between the EHR and this service
_MAX_LIFETIME_S = 3600  # a token that claims to live longer than this is refused


class _ClientFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    iss: str = Field(min_length=1)
    sub: str = Field(min_length=1)
    account: str = Field(min_length=1)
    jwks: dict[str, Any]


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    clients: list[_ClientFile] = Field(min_length=1)


@dataclass(frozen=True)
class TrustedClient:
    iss: str
    sub: str
    account: str
    keys: dict[str, jwt.PyJWK]  # by kid


@dataclass
class CdsClients:
    """The trusted clients, by issuer, and the token ids seen (replay protection: kept in
    this process until the token expires)."""

    by_iss: dict[str, TrustedClient]
    _seen: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @staticmethod
    def is_client_token(token: str) -> bool:
        """Whether ``token`` is signed the way a CDS client signs (not a benzoplan token)."""
        try:
            return jwt.get_unverified_header(token).get("alg") in ALGORITHMS
        except jwt.PyJWTError:
            return False

    def verify(self, token: str, audience: str) -> TrustedClient:
        """The client that signed ``token`` for ``audience``; Unauthorized otherwise."""
        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise _refuse(f"not a valid JWT ({exc})") from exc
        client = self.by_iss.get(str(claims.get("iss")))
        if client is None:
            raise _refuse(f"issuer {claims.get('iss')!r} is not a trusted CDS client")
        key = client.keys.get(str(header.get("kid")))
        if key is None:
            raise _refuse(f"no key '{header.get('kid')}' is configured for {client.iss}")
        try:
            verified: dict[str, Any] = jwt.decode(
                token, key, algorithms=list(ALGORITHMS), audience=audience, issuer=client.iss,
                leeway=_LEEWAY_S,
                options={"require": ["iss", "sub", "aud", "exp", "iat", "jti"]})
        except jwt.ExpiredSignatureError as exc:
            raise _refuse("the JWT has expired") from exc
        except jwt.InvalidAudienceError as exc:
            raise _refuse(f"the JWT's aud is not this endpoint ({audience})") from exc
        except jwt.PyJWTError as exc:
            raise _refuse(f"the JWT does not verify: {exc}") from exc
        if verified["sub"] != client.sub:
            raise _refuse(f"sub {verified['sub']!r} is not the configured client id")
        exp, iat = float(verified["exp"]), float(verified["iat"])
        if exp - iat > _MAX_LIFETIME_S:
            raise _refuse(f"the JWT lives longer than {_MAX_LIFETIME_S} s")
        self._once(f"{client.iss} {verified['jti']}", exp)
        return client

    def _once(self, key: str, exp: float) -> None:
        now = time.time()
        with self._lock:
            for k in [k for k, e in self._seen.items() if e + _LEEWAY_S < now]:
                del self._seen[k]
            if key in self._seen:
                raise _refuse("this JWT (jti) was already used")
            self._seen[key] = exp


def _refuse(why: str) -> Unauthorized:
    return Unauthorized(f"CDS client not authenticated: {why}", field="Authorization")


def load_clients(path: str | Path | None) -> CdsClients:
    """The trusted clients in ``path`` (none when ``path`` is None); InputError names what is
    wrong with the file."""
    if path is None:
        return CdsClients({})
    where = "cds_clients"
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        spec = _File.model_validate(raw)
    except OSError as exc:
        raise InputError(f"cannot read the CDS clients file {path}: {exc.strerror}",
                         field=where) from exc
    except (ValueError, ValidationError) as exc:
        raise InputError(f"the CDS clients file {path} is not valid: "
                         f"{str(exc).splitlines()[0]}", field=where) from exc
    out: dict[str, TrustedClient] = {}
    for c in spec.clients:
        try:
            keyset = jwt.PyJWKSet.from_dict(c.jwks)
        except jwt.PyJWTError as exc:
            raise InputError(f"CDS client {c.iss}: its jwks is not a usable JWK Set ({exc})",
                             field=where) from exc
        keys = {str(k.key_id): k for k in keyset.keys if k.key_id}
        if not keys or any(k.algorithm_name not in ALGORITHMS for k in keys.values()):
            raise InputError(f"CDS client {c.iss}: every key needs a 'kid' and an 'alg' of "
                             f"{' or '.join(ALGORITHMS)}", field=where)
        if c.iss in out:
            raise InputError(f"CDS client {c.iss} is listed twice", field=where)
        out[c.iss] = TrustedClient(c.iss, c.sub, c.account, keys)
    return CdsClients(out)
