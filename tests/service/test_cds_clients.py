"""CDS Hooks 2.0 client authentication: an EHR calls with a JWT signed by its own key (ES384 or
RS384), for the endpoint it calls, once; anything else is 401 and records nothing."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from benzoplan.api import create_app
from benzoplan.errors import InputError
from benzoplan.store import make_sessionmaker
from benzoplan.store.cds import CdsCard
from benzoplan.store.models import User
from benzoplan.store.users import create_user

from .conftest import PASSWORD, World, settings_for
from .test_interop_api import SIGN, hook, problem

ISS, SUB, ACCOUNT = "https://ehr.example.org", "benzoplan-client", "ehr.a"
BASE = "http://testserver"


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """The verification does not depend on the backend: SQLite only."""
    return f"sqlite:///{tmp_path / 'cds.db'}"


def _jwk(key: Any, kid: str, alg: str) -> dict[str, Any]:
    algo = jwt.algorithms.ECAlgorithm if alg.startswith("ES") else jwt.algorithms.RSAAlgorithm
    doc: dict[str, Any] = json.loads(algo.to_jwk(key.public_key()))
    return {**doc, "kid": kid, "alg": alg, "use": "sig"}


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP384R1())


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def clients_file(tmp_path: Path, ec_key: Any, rsa_key: Any) -> Path:
    path = tmp_path / "cds-clients.json"
    path.write_text(json.dumps({"clients": [{
        "iss": ISS, "sub": SUB, "account": ACCOUNT,
        "jwks": {"keys": [_jwk(ec_key, "ec-1", "ES384"), _jwk(rsa_key, "rsa-1", "RS384")]}}]}))
    return path


@pytest.fixture
def ehr(db_url: str, engine: Engine, world: World, clients_file: Path) -> Iterator[TestClient]:
    with make_sessionmaker(engine)() as s:
        create_user(s, clinic_id=world.a.clinic_id, username=ACCOUNT, password=PASSWORD,
                    role="clinician", display_name="EHR of clinic a")
        s.commit()
    app = create_app(settings_for(db_url, cds_clients=str(clients_file)))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def token(key: Any, path: str, *, kid: str = "ec-1", alg: str = "ES384",
          **claims: Any) -> dict[str, str]:
    now = int(time.time())
    body = {"iss": ISS, "sub": SUB, "aud": BASE + path, "iat": now, "exp": now + 300,
            "jti": str(uuid.uuid4()), **claims}
    body = {k: v for k, v in body.items() if v is not None}
    signed = jwt.encode(body, key, algorithm=alg, headers={"kid": kid, "typ": "JWT"})
    return {"Authorization": f"Bearer {signed}"}


def test_a_trusted_client_calls_discovery_and_a_service(ehr: TestClient, engine: Engine,
                                                         world: World, ec_key: Any,
                                                         rsa_key: Any) -> None:
    r = ehr.get("/cds-services", headers=token(ec_key, "/cds-services"))
    assert r.status_code == 200, r.text
    path = f"/cds-services/{SIGN}"
    r = ehr.post(path, json=hook("order-sign"), headers=token(rsa_key, path, kid="rsa-1",
                                                                   alg="RS384"))
    assert r.status_code == 200, r.text
    cards = r.json()["cards"]
    assert cards
    with make_sessionmaker(engine)() as s:
        account = s.scalar(select(User).where(User.username == ACCOUNT))
        assert account is not None
        stored = list(s.scalars(select(CdsCard)))
    assert {c.card_uuid for c in stored} == {c["uuid"] for c in cards}
    assert {c.clinic_id for c in stored} == {world.a.clinic_id}


@pytest.mark.parametrize(("why", "kw"), [
    ("wrong endpoint", {"aud": BASE + "/cds-services/benzoplan-order-select"}),
    ("expired", {"exp": int(time.time()) - 120, "iat": int(time.time()) - 400}),
    ("unknown issuer", {"iss": "https://other-ehr.example.org"}),
    ("other client id", {"sub": "someone-else"}),
    ("no nonce", {"jti": None}),
    ("lives too long", {"exp": int(time.time()) + 7200}),
])
def test_bad_client_tokens_are_401_and_record_nothing(ehr: TestClient, engine: Engine,
                                                       ec_key: Any, why: str,
                                                       kw: dict[str, Any]) -> None:
    path = f"/cds-services/{SIGN}"
    body = problem(ehr.post(path, json=hook("order-sign"), headers=token(ec_key, path, **kw)),
                   401, "Authorization")
    assert "CDS client" in body["detail"], why
    with make_sessionmaker(engine)() as s:
        assert s.scalars(select(CdsCard)).first() is None


def test_a_key_the_client_does_not_hold_or_an_unknown_kid_is_401(ehr: TestClient) -> None:
    path = f"/cds-services/{SIGN}"
    stranger = ec.generate_private_key(ec.SECP384R1())
    problem(ehr.post(path, json=hook("order-sign"), headers=token(stranger, path)), 401)
    problem(ehr.post(path, json=hook("order-sign"),
                     headers=token(stranger, path, kid="ec-2")), 401)


def test_a_replayed_token_is_401(ehr: TestClient, ec_key: Any) -> None:
    h = token(ec_key, "/cds-services")
    assert ehr.get("/cds-services", headers=h).status_code == 200
    body = problem(ehr.get("/cds-services", headers=h), 401)
    assert "already used" in body["detail"]


def test_the_client_account_deactivated_is_401(ehr: TestClient, engine: Engine,
                                                ec_key: Any) -> None:
    with make_sessionmaker(engine)() as s:
        account = s.scalar(select(User).where(User.username == ACCOUNT))
        assert account is not None
        account.active = False
        s.commit()
    body = problem(ehr.get("/cds-services", headers=token(ec_key, "/cds-services")), 401)
    assert ACCOUNT in body["detail"]


def test_a_client_token_opens_only_cds_hooks(ehr: TestClient, ec_key: Any) -> None:
    problem(ehr.get("/api/v1/patients", headers=token(ec_key, "/api/v1/patients")), 401)


def test_signed_in_staff_still_call_cds_hooks(ehr: TestClient, world: World) -> None:
    r = ehr.get("/cds-services", headers=world.headers(world.a.users["pharmacist"]))
    assert r.status_code == 200


@pytest.mark.parametrize(("content", "match"), [
    ("{", "not valid"),
    ('{"clients": []}', "not valid"),
    ('{"clients": [{"iss": "x", "sub": "y", "account": "z", "jwks": {"keys": []}}]}', "jwks"),
])
def test_a_bad_clients_file_stops_the_service(tmp_path: Path, db_url: str, content: str,
                                              match: str) -> None:
    path = tmp_path / "clients.json"
    path.write_text(content)
    with pytest.raises(InputError, match=match):
        create_app(settings_for(db_url, cds_clients=str(path)))
    with pytest.raises(InputError, match="cannot read"):
        create_app(settings_for(db_url, cds_clients=str(tmp_path / "missing.json")))
