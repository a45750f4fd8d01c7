"""The CDS client's bearer JWT on every CDS service call (CDS Hooks 2.0, "Trusting CDS Clients").

Verified by the shared verifier (``ketacare.signed_jwt``, PyJWT[crypto], a maintained JOSE
library; no hand-written crypto) with these rules:

- header: ``alg`` one of the asymmetric JWS algorithms (RFC 7518: ES256/384/512, RS256/384/512,
  PS256/384/512, EdDSA; ES384 and RS384 are the specification's recommendation). ``none`` and
  every symmetric (HMAC) algorithm are refused: the specification says JWTs "SHALL NOT" be
  signed with them. ``kid`` is required (it selects the key); ``typ`` must be ``JWT``.
- trusted clients: ``KETACARE_CDS_HOOKS_CLIENTS`` (Django setting or environment variable), JSON
  ``{"<iss>": {"jwks_url": "https://..."}}`` or ``{"<iss>": {"jwks": {"keys": [...]}}}``. The
  ``iss`` must be configured; a ``jku`` header is honoured only when it equals the configured
  ``jwks_url`` (an allowlist, as the specification asks), and refused otherwise.
- keys: a JWKS URL is fetched with a bounded timeout and cached (``signed_jwt.JWKS_CACHE``); an
  unknown ``kid`` triggers one refresh, at most once per ``JWKS_MIN_REFRESH_SECONDS`` per URL (so
  a stream of bad tokens cannot make KetaCare hammer the EHR).
- claims: ``iss``, ``aud`` (the called URL; string or list), ``exp``, ``iat`` and ``jti`` are
  required; ``exp`` in the future and at most ``MAX_LIFETIME_SECONDS`` after ``iat``; ``iat``
  not in the future; both with ``LEEWAY_SECONDS`` of clock skew.
- replay: each ``(iss, jti)`` is stored until ``exp`` (``CdsJwtSeen``, in the database so every
  worker process sees it); a second use is refused.

Every refusal answers the same message (``REFUSAL``); the reason is logged for operators only,
so a caller learns nothing about which check failed.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from ketacare.env import env_str
from ketacare.signed_jwt import JWKS_CACHE as JWKS_CACHE
from ketacare.signed_jwt import JWKS_MIN_REFRESH_SECONDS as JWKS_MIN_REFRESH_SECONDS
from ketacare.signed_jwt import JwtRefused, JwtRules, remember_jti, verify_signed_jwt

log = logging.getLogger(__name__)

REFUSAL = "The request's JWT was not accepted."
ALLOWED_ALGORITHMS = (
    "ES256",
    "ES384",
    "ES512",
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "EdDSA",
)
# Operational bounds (not clinical numbers).
MAX_LIFETIME_SECONDS = 300  # the bound: exp at most 5 minutes after iat
LEEWAY_SECONDS = 30  # clock skew accepted on exp and iat
MAX_TOKEN_BYTES = 8192
MAX_JTI_CHARS = 256

RULES = JwtRules(
    algorithms=ALLOWED_ALGORITHMS,
    required_claims=("iss", "aud", "exp", "iat", "jti"),
    leeway_seconds=LEEWAY_SECONDS,
    max_token_bytes=MAX_TOKEN_BYTES,
    max_jti_chars=MAX_JTI_CHARS,
    max_lifetime_seconds=MAX_LIFETIME_SECONDS,
)


class CdsAuthError(JwtRefused):
    """Refused; ``reason`` is for the log, never for the response (whose message is always
    ``REFUSAL``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, message=REFUSAL)


@dataclass(frozen=True)
class Client:
    iss: str
    jwks_url: str | None
    jwks: dict[str, Any] | None
    fhir_servers: tuple[str, ...] = ()


def _clients() -> dict[str, Client]:
    configured = getattr(settings, "KETACARE_CDS_HOOKS_CLIENTS", None)
    if configured is None:
        raw = env_str("CDS_HOOKS_CLIENTS")
        try:
            configured = json.loads(raw) if raw else {}
        except ValueError as exc:
            raise CdsAuthError("KETACARE_CDS_HOOKS_CLIENTS is not JSON") from exc
    if not isinstance(configured, dict):
        raise CdsAuthError("KETACARE_CDS_HOOKS_CLIENTS is not an object")
    out = {}
    for iss, conf in configured.items():
        if not isinstance(conf, dict):
            log.error("CDS client %s: configure jwks_url or jwks (shared secrets are refused)", iss)
            continue
        url, jwks = conf.get("jwks_url"), conf.get("jwks")
        if (url is None) == (jwks is None):
            log.error("CDS client %s: configure exactly one of jwks_url and jwks", iss)
            continue
        # http:// only when KETACARE_CDS_HOOKS_ALLOW_HTTP_JWKS is set (tests, a local server).
        https = isinstance(url, str) and url.startswith("https://")
        local_http = isinstance(url, str) and url.startswith("http://") and _allow_http()
        if url is not None and not (https or local_http):
            log.error("CDS client %s: jwks_url must be https", iss)
            continue
        servers = conf.get("fhir_servers") or ()
        out[str(iss)] = Client(
            str(iss),
            url,
            jwks if isinstance(jwks, dict) else None,
            tuple(str(x) for x in servers) if isinstance(servers, list) else (),
        )
    return out


def _allow_http() -> bool:
    return bool(getattr(settings, "KETACARE_CDS_HOOKS_ALLOW_HTTP_JWKS", False))


def _trusted(iss: str) -> Client:
    client = _clients().get(iss)
    if client is None:
        raise CdsAuthError(f"issuer {iss!r} not configured")
    return client


def _remember_jti(iss: str, jti: str, exp: float) -> None:
    from ketacare.interop.models import CdsJwtSeen

    remember_jti(
        CdsJwtSeen,
        jti=jti,
        exp=exp,
        leeway_seconds=LEEWAY_SECONDS,
        refused=CdsAuthError,
        iss=iss[:300],
    )


def _verify(authorization: str | None, audience: str) -> dict[str, Any]:
    if not authorization or not authorization.startswith("Bearer "):
        raise CdsAuthError("no bearer token")
    token = authorization[len("Bearer ") :].strip()
    _client, claims = verify_signed_jwt(
        token,
        rules=RULES,
        audience=audience,
        refused=CdsAuthError,
        trusted=_trusted,
        remember=_remember_jti,
    )
    return claims


def fhir_servers(iss: str) -> list[str]:
    """The FHIR base URLs this client may send as ``fhirServer`` (empty: any https URL)."""
    client = _clients().get(iss)
    return list(client.fhir_servers) if client else []


def verify_request_jwt(authorization: str | None, audience: str) -> dict[str, Any]:
    """Return the verified claims, or raise ``CdsAuthError`` (message always ``REFUSAL``)."""
    try:
        return _verify(authorization, audience)
    except CdsAuthError as exc:
        log.info("CDS JWT refused: %s", exc.reason)
        raise
