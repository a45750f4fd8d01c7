"""A trusted EHR for the CDS Hooks tests (see ``CdsClient``)."""

from __future__ import annotations

import json


class CdsClient:
    """A trusted EHR for the CDS Hooks tests: an ES384 (P-384) key pair, configured in
    ``KETACARE_CDS_HOOKS_CLIENTS`` by its public JWKS, that signs request JWTs."""

    iss = "https://ehr.example"
    kid = "ehr-key-1"

    def __init__(self, settings, *, alg: str = "ES384") -> None:
        import jwt

        from ketacare.interop.cds_hooks.auth import JWKS_CACHE

        JWKS_CACHE.clear()
        self.alg = alg
        self.private_key = _test_key(alg)
        public = json.loads(
            jwt.algorithms.get_default_algorithms()[alg].to_jwk(self.private_key.public_key())
        )
        public.update({"kid": self.kid, "use": "sig", "alg": alg})
        self.jwks = {"keys": [public]}
        settings.KETACARE_CDS_HOOKS_CLIENTS = {self.iss: {"jwks": self.jwks}}

    def claims(self, aud: str, **changes) -> dict:
        import time
        import uuid

        now = int(time.time())
        claims = {
            "iss": self.iss,
            "sub": "ehr-client",
            "aud": aud,
            "iat": now,
            "exp": now + 300,
            "jti": str(uuid.uuid4()),
        }
        claims.update(changes)
        return {k: v for k, v in claims.items() if v is not None}

    def token(self, aud: str, *, headers: dict | None = None, key=None, alg=None, **changes):
        import jwt

        head = {"kid": self.kid, "typ": "JWT", **(headers or {})}
        return jwt.encode(
            self.claims(aud, **changes),
            key or self.private_key,
            algorithm=alg or self.alg,
            headers=head,
        )

    def headers(self, aud: str, **changes) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(aud, **changes)}"}


_KEYS: dict = {}


def _test_key(alg: str):
    """One key per algorithm family for the whole run (RSA generation is slow)."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    if alg not in _KEYS:
        if alg.startswith("ES"):
            curve = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1(), "ES512": ec.SECP521R1()}
            _KEYS[alg] = ec.generate_private_key(curve[alg])
        else:
            _KEYS[alg] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return _KEYS[alg]
