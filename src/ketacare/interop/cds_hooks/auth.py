"""The EHR's bearer JWT on CDS service calls (CDS Hooks 2.0, "Trusting CDS Clients").

The specification has the CDS Client sign a JWT (``iss``, ``sub``, ``aud`` = the service URL,
``exp``, ``iat``, ``jti``) with its private key (asymmetric algorithms, keys published at a
JWKS URL). KetaCare implements the **shared-secret variant (HS256)** only: each trusted EHR is
configured with an issuer and a secret in ``KETACARE_CDS_HOOKS_CLIENTS`` (Django setting or
environment variable, JSON ``{"<iss>": "<secret>"}``; use ``..._FILE`` for a secret file).
Asymmetric keys and JWKS fetching are not implemented (no JOSE library is installed; see the
report). No configured clients means every service call is refused.

Checked: three-part compact JWT, header ``alg`` = HS256 (no ``none``), signature, known
``iss``, ``aud`` equal to the called URL, ``exp`` in the future, ``iat`` and ``jti`` present.
Not checked: ``jti`` replay (no store yet).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from django.conf import settings

from ketacare.env import env_str


class CdsAuthError(Exception):
    pass


def _clients() -> dict[str, str]:
    configured = getattr(settings, "KETACARE_CDS_HOOKS_CLIENTS", None)
    if configured is None:
        raw = env_str("CDS_HOOKS_CLIENTS")
        configured = json.loads(raw) if raw else {}
    if not isinstance(configured, dict):
        raise CdsAuthError("CDS Hooks clients are misconfigured.")
    return {str(k): str(v) for k, v in configured.items()}


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def sign_hs256(claims: dict[str, Any], secret: str) -> str:
    """Build an HS256 JWT (used by tests and by integrators to check their setup)."""
    header = _b64encode(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64encode(json.dumps(claims).encode())
    signing_input = f"{header}.{body}".encode()
    sig = hmac.new(secret.encode(), signing_input, hashlib.sha256).digest()
    return f"{header}.{body}.{_b64encode(sig)}"


def verify_request_jwt(authorization: str | None, audience: str) -> dict[str, Any]:
    """Return the verified claims, or raise ``CdsAuthError``."""
    if not authorization or not authorization.startswith("Bearer "):
        raise CdsAuthError("A bearer JWT is required.")
    token = authorization[len("Bearer ") :].strip()
    parts = token.split(".")
    if len(parts) != 3:
        raise CdsAuthError("The JWT is malformed.")
    try:
        header = json.loads(_b64decode(parts[0]))
        claims = json.loads(_b64decode(parts[1]))
        signature = _b64decode(parts[2])
    except (ValueError, UnicodeDecodeError) as exc:
        raise CdsAuthError("The JWT is malformed.") from exc
    if not isinstance(header, dict) or header.get("alg") != "HS256":
        raise CdsAuthError("Only HS256 JWTs from configured clients are accepted.")
    if not isinstance(claims, dict):
        raise CdsAuthError("The JWT is malformed.")
    secret = _clients().get(str(claims.get("iss")))
    if secret is None:
        raise CdsAuthError("Unknown CDS client.")
    expected = hmac.new(secret.encode(), f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, signature):
        raise CdsAuthError("The JWT signature is invalid.")
    aud = claims.get("aud")
    if aud != audience and not (isinstance(aud, list) and audience in aud):
        raise CdsAuthError("The JWT audience is not this service.")
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or exp <= time.time():
        raise CdsAuthError("The JWT has expired.")
    if "iat" not in claims or not claims.get("jti"):
        raise CdsAuthError("The JWT needs iat and jti.")
    return claims
