"""A SMART Backend Services client, as a data warehouse would be: its own key pair (made here
with the cryptography package), registered with ``smart_register_backend``, and the client
assertion it signs with PyJWT for each token request."""

from __future__ import annotations

import io
import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.core.management import call_command
from django.test import Client

TOKEN_URL = "http://testserver/oauth2/token"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@dataclass
class BackendClient:
    client_id: str
    key: Any
    alg: str
    kid: str

    def assertion(self, **overrides: Any) -> str:
        now = int(time.time())
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": TOKEN_URL,
            "exp": now + 240,
            "jti": str(uuid.uuid4()),
        }
        headers = {"kid": self.kid, "typ": "JWT", **overrides.pop("headers", {})}
        alg = overrides.pop("alg", self.alg)
        key = overrides.pop("key", self.key)
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(claims, key, algorithm=alg, headers=headers)

    def token_response(self, scope: str = "system/*.read", assertion: str | None = None, **form):
        body = {
            "grant_type": "client_credentials",
            "scope": scope,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion if assertion is not None else self.assertion(),
            **form,
        }
        return Client().post("/oauth2/token", body)

    def token(self, scope: str = "system/*.read") -> str:
        response = self.token_response(scope)
        assert response.status_code == 200, response.content
        return response.json()["access_token"]


def public_jwks(key: Any, kid: str, alg: str) -> dict:
    if alg == "ES384":
        jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    else:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {"keys": [{**jwk, "kid": kid, "alg": alg, "use": "sig"}]}


def register_backend(tmp_path: Path, username: str, *, alg: str = "ES384",
                     name: str = "Outcomes warehouse") -> BackendClient:  # fmt: skip
    key = (
        ec.generate_private_key(ec.SECP384R1())
        if alg == "ES384"
        else rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    kid = f"{name.lower().replace(' ', '-')}-1"
    jwks_file = tmp_path / f"{kid}-{uuid.uuid4().hex[:6]}.jwks.json"
    jwks_file.write_text(json.dumps(public_jwks(key, kid, alg)))
    out = io.StringIO()
    call_command(
        "smart_register_backend", name=name, user=username, jwks_file=str(jwks_file), stdout=out
    )
    client_id = out.getvalue().split("client_id:", 1)[1].split()[0]
    return BackendClient(client_id, key, alg, kid)
