"""SMART Backend Services (issue 12.4): a data warehouse registered for clinic A gets an access
token with the client-credentials grant by a client assertion signed with its private key,
and with nothing else; every bad assertion is ``invalid_client`` (401, RFC 6749 5.2)."""

from __future__ import annotations

import time

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from oauth2_provider.models import AccessToken
from tests.support.backend_client import register_backend

from ketacare.audit.models import AuditAction, AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def warehouse(prescriber, tmp_path):
    return register_backend(tmp_path, prescriber.username)


def _invalid_client(response) -> None:
    assert response.status_code == 401, response.content
    assert response.json()["error"] == "invalid_client"
    assert not AccessToken.objects.exists()


def test_discovery_advertises_backend_services():
    config = Client().get("/fhir/.well-known/smart-configuration").json()
    assert "private_key_jwt" in config["token_endpoint_auth_methods_supported"]
    assert config["token_endpoint_auth_signing_alg_values_supported"] == ["RS384", "ES384"]
    assert "client-confidential-asymmetric" in config["capabilities"]
    assert "client_credentials" in config["grant_types_supported"]
    assert "system/*.read" in config["scopes_supported"]


@pytest.mark.parametrize("alg", ["ES384", "RS384"])
def test_a_warehouse_signs_an_assertion_and_gets_a_system_token(prescriber, tmp_path, alg):
    client = register_backend(tmp_path, prescriber.username, alg=alg)
    response = client.token_response("system/*.read")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "system/*.read"
    assert "refresh_token" not in body
    # SMART Backend Services: "The recommended value is 300, for a five-minute token lifetime."
    assert body["expires_in"] == 300
    token = AccessToken.objects.get()
    assert 295 <= (token.expires - token.created).total_seconds() <= 301
    assert token.user is None
    assert token.application.user == prescriber
    issued = AuditEntry.objects.filter(action=AuditAction.TOKEN_ISSUED).latest("pk")
    assert issued.actor_username == prescriber.username
    assert issued.clinic_id_snapshot == prescriber.clinic_id


def test_a_narrower_system_scope_is_granted_as_asked(warehouse):
    assert warehouse.token_response("system/Patient.read").json()["scope"] == "system/Patient.read"


@pytest.mark.parametrize(
    "scope", ["user/*.read", "patient/*.read", "system/*.write", "system/Spaceship.read", "openid"]
)
def test_a_warehouse_gets_only_system_read_scopes(warehouse, scope):
    response = warehouse.token_response(scope)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_a_replayed_assertion_is_refused(warehouse):
    assertion = warehouse.assertion()
    assert warehouse.token_response(assertion=assertion).status_code == 200
    AccessToken.objects.all().delete()
    _invalid_client(warehouse.token_response(assertion=assertion))


@pytest.mark.parametrize(
    ("case", "overrides"),
    [
        # Times are offsets from the moment the test runs (a value computed at collection
        # would drift by the minutes the suite takes to reach the test).
        ("expired", {"exp": -120}),
        ("exp more than five minutes ahead", {"exp": 600}),
        ("aud another URL", {"aud": "http://testserver/oauth2/authorize"}),
        ("aud missing", {"aud": None}),
        ("jti missing", {"jti": None}),
        ("sub not the client", {"sub": "someone-else"}),
        ("iss unknown", {"iss": "no-such-client", "sub": "no-such-client"}),
        ("unknown kid", {"headers": {"kid": "other-key"}}),
        ("typ not JWT", {"headers": {"typ": "at+jwt"}}),
        ("jku not registered", {"headers": {"jku": "https://evil.example/jwks"}}),
        ("alg none", {"alg": "none", "key": None}),
    ],
)
def test_a_bad_assertion_is_invalid_client(warehouse, case, overrides):
    if "exp" in overrides:
        overrides = {**overrides, "exp": int(time.time()) + overrides["exp"]}
    _invalid_client(warehouse.token_response(assertion=warehouse.assertion(**overrides)))


def test_an_assertion_signed_by_another_key_is_invalid_client(warehouse, prescriber, tmp_path):
    impostor = register_backend(tmp_path, prescriber.username, name="Impostor")
    forged = warehouse.assertion(key=impostor.key)
    AccessToken.objects.all().delete()
    _invalid_client(warehouse.token_response(assertion=forged))


def test_hs256_with_a_guessable_secret_is_invalid_client(warehouse):
    _invalid_client(
        warehouse.token_response(assertion=warehouse.assertion(alg="HS256", key="k" * 32))
    )


def test_a_wrong_assertion_type_or_no_assertion_is_invalid_client(warehouse):
    _invalid_client(warehouse.token_response(client_assertion_type="urn:other"))
    response = Client().post(
        "/oauth2/token",
        {"grant_type": "client_credentials", "scope": "system/*.read",
         "client_id": warehouse.client_id},
    )  # fmt: skip
    _invalid_client(response)


def test_a_client_id_other_than_the_assertions_is_invalid_client(warehouse):
    _invalid_client(warehouse.token_response(client_id="another-client"))


def test_an_inactive_login_stops_its_backend_client(warehouse, prescriber):
    prescriber.is_active = False
    prescriber.save(update_fields=["is_active"])
    _invalid_client(warehouse.token_response())


def test_registration_refuses_a_private_key_and_a_patient_login(prescriber, patient_user, tmp_path):
    import json

    import jwt
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP384R1())
    private = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key))
    path = tmp_path / "private.json"
    path.write_text(json.dumps({"keys": [{**private, "kid": "k1"}]}))
    with pytest.raises(CommandError, match="private key"):
        call_command("smart_register_backend", name="x", user=prescriber.username,
                     jwks_file=str(path))  # fmt: skip
    with pytest.raises(CommandError, match="no active staff login"):
        call_command("smart_register_backend", name="x", user=patient_user.username,
                     jwks_url="https://x.example/jwks")  # fmt: skip
    with pytest.raises(CommandError, match="https"):
        call_command("smart_register_backend", name="x", user=prescriber.username,
                     jwks_url="http://x.example/jwks")  # fmt: skip


def test_a_client_publishing_its_keys_at_a_jwks_url_is_checked_against_them(
    prescriber, tmp_path, monkeypatch
):
    import jwt
    from tests.support.backend_client import public_jwks

    from ketacare.interop.cds_hooks import auth
    from ketacare.smart.models import BackendClient

    client = register_backend(tmp_path, prescriber.username)
    published = public_jwks(client.key, client.kid, client.alg)
    BackendClient.objects.update(jwks=None, jwks_url="https://warehouse.example/jwks")
    fetched = []

    def fetch(url, kid):
        fetched.append((url, kid))
        return next(k for k in jwt.PyJWKSet.from_dict(published).keys if k.key_id == kid)

    monkeypatch.setattr(auth.JWKS_CACHE, "key", fetch)
    assert client.token_response().status_code == 200
    assert fetched == [("https://warehouse.example/jwks", client.kid)]
    # A jku naming that URL is fine; any other is refused before anything is fetched.
    jku = client.assertion(headers={"jku": "https://warehouse.example/jwks"})
    assert client.token_response(assertion=jku).status_code == 200
    refused = client.token_response(
        assertion=client.assertion(headers={"jku": "https://evil.example/jwks"})
    )
    assert refused.status_code == 401
    assert len(fetched) == 2
