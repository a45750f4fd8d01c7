"""The CDS client's bearer JWT on every CDS service call (CDS Hooks 2.0, "Trusting CDS Clients").

Verified with PyJWT[crypto] (a maintained JOSE library; no hand-written crypto):

- header: ``alg`` one of the asymmetric JWS algorithms (RFC 7518: ES256/384/512, RS256/384/512,
  PS256/384/512, EdDSA; ES384 and RS384 are the specification's recommendation). ``none`` and
  every symmetric (HMAC) algorithm are refused: the specification says JWTs "SHALL NOT" be
  signed with them. ``kid`` is required (it selects the key); ``typ`` must be ``JWT``.
- trusted clients: ``KETACARE_CDS_HOOKS_CLIENTS`` (Django setting or environment variable), JSON
  ``{"<iss>": {"jwks_url": "https://..."}}`` or ``{"<iss>": {"jwks": {"keys": [...]}}}``. The
  ``iss`` must be configured; a ``jku`` header is honoured only when it equals the configured
  ``jwks_url`` (an allowlist, as the specification asks), and refused otherwise.
- keys: a JWKS URL is fetched with a bounded timeout and cached (``JWKS_CACHE_SECONDS``); an
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
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
from django.conf import settings
from django.db import IntegrityError, transaction

from ketacare.env import env_str

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
JWKS_TIMEOUT_SECONDS = 5
JWKS_CACHE_SECONDS = 300
JWKS_MIN_REFRESH_SECONDS = 10
MAX_TOKEN_BYTES = 8192
MAX_JTI_CHARS = 256


class CdsAuthError(Exception):
    """Refused; ``reason`` is for the log, never for the response."""

    def __init__(self, reason: str) -> None:
        super().__init__(REFUSAL)
        self.reason = reason


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


class _JwksCache:
    """JWK Sets by URL, fetched through PyJWT's client (bounded timeout), refreshed on an
    unknown kid no more often than ``JWKS_MIN_REFRESH_SECONDS``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[str, jwt.PyJWKClient] = {}
        self._refreshed: dict[str, float] = {}

    def key(self, url: str, kid: str) -> jwt.PyJWK:
        with self._lock:
            client = self._clients.get(url)
            if client is None:
                client = jwt.PyJWKClient(
                    url,
                    cache_jwk_set=True,
                    lifespan=JWKS_CACHE_SECONDS,
                    timeout=JWKS_TIMEOUT_SECONDS,
                    cooldown_duration=0,  # our own throttle below, per URL
                )
                self._clients[url] = client
        try:
            found = _find(client.get_jwk_set(), kid)
            if found is not None:
                return found
            now = time.monotonic()
            with self._lock:
                last = self._refreshed.get(url, 0.0)
                if now - last < JWKS_MIN_REFRESH_SECONDS:
                    raise CdsAuthError(f"unknown kid {kid!r} (refresh throttled)")
                self._refreshed[url] = now
            found = _find(client.get_jwk_set(refresh=True), kid)
        except jwt.PyJWKClientError as exc:
            raise CdsAuthError(f"JWKS fetch failed: {exc}") from exc
        if found is None:
            raise CdsAuthError(f"unknown kid {kid!r}")
        return found

    def clear(self) -> None:
        with self._lock:
            self._clients.clear()
            self._refreshed.clear()


JWKS_CACHE = _JwksCache()


def _find(jwk_set: jwt.PyJWKSet, kid: str) -> jwt.PyJWK | None:
    for key in jwk_set.keys:
        if key.key_id == kid:
            return key
    return None


def _inline_key(jwks: dict[str, Any], kid: str) -> jwt.PyJWK:
    try:
        found = _find(jwt.PyJWKSet.from_dict(jwks), kid)
    except jwt.PyJWTError as exc:
        raise CdsAuthError(f"configured JWKS unusable: {exc}") from exc
    if found is None:
        raise CdsAuthError(f"unknown kid {kid!r}")
    return found


def _header(token: str) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise CdsAuthError(f"malformed header: {exc}") from exc
    alg, kid, typ = header.get("alg"), header.get("kid"), header.get("typ")
    if alg not in ALLOWED_ALGORITHMS:
        raise CdsAuthError(f"algorithm {alg!r} refused")
    if not isinstance(kid, str) or not kid:
        raise CdsAuthError("kid missing")
    if not isinstance(typ, str) or typ.upper() != "JWT":
        raise CdsAuthError("typ is not JWT")
    return header


def _unverified_iss(token: str) -> str:
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise CdsAuthError(f"malformed payload: {exc}") from exc
    iss = claims.get("iss")
    if not isinstance(iss, str):
        raise CdsAuthError("iss missing")
    return iss


def _remember_jti(iss: str, jti: str, exp: float) -> None:
    from ketacare.interop.models import CdsJwtSeen

    now = datetime.now(UTC)
    CdsJwtSeen.objects.filter(expires_at__lt=now).delete()
    try:
        with transaction.atomic():
            CdsJwtSeen.objects.create(
                iss=iss[:300], jti=jti, expires_at=datetime.fromtimestamp(exp + LEEWAY_SECONDS, UTC)
            )
    except IntegrityError as exc:
        raise CdsAuthError("jti replayed") from exc


def _verify(authorization: str | None, audience: str) -> dict[str, Any]:
    if not authorization or not authorization.startswith("Bearer "):
        raise CdsAuthError("no bearer token")
    token = authorization[len("Bearer ") :].strip()
    if len(token) > MAX_TOKEN_BYTES:
        raise CdsAuthError("token too long")
    header = _header(token)
    iss = _unverified_iss(token)
    client = _clients().get(iss)
    if client is None:
        raise CdsAuthError(f"issuer {iss!r} not configured")
    jku = header.get("jku")
    if jku is not None and jku != client.jwks_url:
        raise CdsAuthError(f"jku {jku!r} is not the configured JWKS URL")
    kid = header["kid"]
    key = (
        JWKS_CACHE.key(client.jwks_url, kid)
        if client.jwks_url is not None
        else _inline_key(client.jwks or {}, kid)
    )
    if getattr(key, "_jwk_data", {}).get("alg") not in (None, header["alg"]):
        raise CdsAuthError("the key's alg is not the token's alg")
    try:
        claims = jwt.decode(
            token,
            key=key.key,
            algorithms=[header["alg"]],
            audience=audience,
            issuer=iss,
            leeway=LEEWAY_SECONDS,
            options={"require": ["iss", "aud", "exp", "iat", "jti"]},
        )
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise CdsAuthError(f"verification failed: {exc}") from exc
    exp, iat, jti = claims["exp"], claims["iat"], claims["jti"]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (exp, iat)):
        raise CdsAuthError("exp/iat not numbers")
    if iat > time.time() + LEEWAY_SECONDS:
        raise CdsAuthError("iat in the future")
    if exp - iat > MAX_LIFETIME_SECONDS:
        raise CdsAuthError("exp more than 5 minutes after iat")
    if not isinstance(jti, str) or not jti or len(jti) > MAX_JTI_CHARS:
        raise CdsAuthError("jti missing or too long")
    _remember_jti(iss, jti, float(exp))
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
