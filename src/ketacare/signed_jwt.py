"""One verifier for a JWT signed by a trusted party's key, found in its JWK Set.

Used by the SMART Backend Services client assertion (``smart.assertions``; SMART App Launch
2.x, RFC 7523) and the CDS Hooks client's bearer JWT (``interop.cds_hooks.auth``; CDS Hooks
2.0, "Trusting CDS Clients"). Verified with PyJWT[crypto] (no hand-written JOSE):

- header: ``alg`` one of the caller's asymmetric algorithms (``none`` and HMAC never), ``kid``
  required (it selects the key), ``typ`` ``JWT``; a ``jku`` only when it equals the issuer's
  configured JWKS URL (an allowlist);
- key: from the issuer's inline JWK Set, or from its JWKS URL through ``JWKS_CACHE`` (bounded
  timeout, cached, one refresh on an unknown ``kid`` at most every ``JWKS_MIN_REFRESH_SECONDS``
  per URL, so a stream of bad tokens cannot make KetaCare hammer the issuer); a key that names
  its own ``alg`` must name the token's;
- claims: the caller's required claims, ``aud`` and ``iss`` checked by PyJWT with
  ``leeway_seconds`` of clock skew; then the caller's bounds (``JwtRules``): ``exp`` at most so
  far ahead of now (SMART), or at most so long after ``iat`` with ``iat`` not in the future
  (CDS Hooks); ``sub`` equal to ``iss`` where the caller asks; ``jti`` present and short;
- replay: the caller's ``remember`` stores ``(iss, jti)`` until ``exp`` (in the database, so every
  worker sees it; ``remember_jti``) and refuses a second use.

Every failure raises the caller's ``JwtRefused`` subclass with a ``reason`` for the log only;
what the client is told is the caller's choice (SMART: ``invalid_client``; CDS Hooks: one
message whatever the cause).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

import jwt
from django.db import IntegrityError, transaction

# Operational bounds (not clinical numbers).
JWKS_TIMEOUT_SECONDS = 5
JWKS_CACHE_SECONDS = 300
JWKS_MIN_REFRESH_SECONDS = 10


class JwtRefused(Exception):
    """Not accepted; ``reason`` is for the log, never for the caller's client."""

    def __init__(self, reason: str, *, message: str | None = None) -> None:
        super().__init__(message or reason)
        self.reason = reason


class TrustedIssuer(Protocol):
    """Where an issuer's keys are: exactly one of a JWKS URL and an inline JWK Set."""

    jwks_url: str | None
    jwks: dict[str, Any] | None


Issuer = TypeVar("Issuer", bound=TrustedIssuer)


@dataclass(frozen=True, slots=True)
class JwtRules:
    """One caller's rules for the tokens it accepts."""

    algorithms: tuple[str, ...]
    required_claims: tuple[str, ...]
    leeway_seconds: int  # clock skew accepted on exp (and iat)
    max_token_bytes: int
    max_jti_chars: int
    max_exp_ahead_seconds: int | None = None  # exp at most this far after now
    max_lifetime_seconds: int | None = None  # exp at most this far after iat; iat not ahead
    subject_is_issuer: bool = False  # sub must equal iss


class JwksCache:
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
                    raise JwtRefused(f"unknown kid {kid!r} (refresh throttled)")
                self._refreshed[url] = now
            found = _find(client.get_jwk_set(refresh=True), kid)
        except jwt.PyJWKClientError as exc:
            raise JwtRefused(f"JWKS fetch failed: {exc}") from exc
        if found is None:
            raise JwtRefused(f"unknown kid {kid!r}")
        return found

    def clear(self) -> None:
        with self._lock:
            self._clients.clear()
            self._refreshed.clear()


JWKS_CACHE = JwksCache()


def _find(jwk_set: jwt.PyJWKSet, kid: str) -> jwt.PyJWK | None:
    for key in jwk_set.keys:
        if key.key_id == kid:
            return key
    return None


def _header(token: str, rules: JwtRules, refused: type[JwtRefused]) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise refused(f"malformed header: {exc}") from exc
    alg, kid, typ = header.get("alg"), header.get("kid"), header.get("typ")
    if alg not in rules.algorithms:
        raise refused(f"algorithm {alg!r} refused")
    if not isinstance(kid, str) or not kid:
        raise refused("kid missing")
    if not isinstance(typ, str) or typ.upper() != "JWT":
        raise refused("typ is not JWT")
    return header


def _unverified_iss(token: str, refused: type[JwtRefused]) -> str:
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise refused(f"malformed payload: {exc}") from exc
    iss = claims.get("iss")
    if not isinstance(iss, str) or not iss:
        raise refused("iss missing")
    return iss


def _key(issuer: TrustedIssuer, header: dict[str, Any], refused: type[JwtRefused]) -> jwt.PyJWK:
    jku = header.get("jku")
    if jku is not None and jku != issuer.jwks_url:
        raise refused(f"jku {jku!r} is not the configured JWKS URL")
    kid = header["kid"]
    if issuer.jwks_url:
        try:
            key = JWKS_CACHE.key(issuer.jwks_url, kid)
        except JwtRefused as exc:  # the cache is shared: refuse in the caller's own terms
            raise refused(exc.reason) from exc
    else:
        try:
            found = _find(jwt.PyJWKSet.from_dict(issuer.jwks or {}), kid)
        except jwt.PyJWTError as exc:
            raise refused(f"configured JWKS unusable: {exc}") from exc
        if found is None:
            raise refused(f"unknown kid {kid!r}")
        key = found
    if getattr(key, "_jwk_data", {}).get("alg") not in (None, header["alg"]):
        raise refused("the key's alg is not the token's alg")
    return key


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def verify_signed_jwt(
    token: str,
    *,
    rules: JwtRules,
    audience: str,
    refused: type[JwtRefused],
    trusted: Callable[[str], Issuer],
    remember: Callable[[str, str, float], None],
) -> tuple[Issuer, dict[str, Any]]:
    """The trusted issuer and the verified claims of ``token``, or ``refused``.

    ``trusted(iss)`` returns the issuer's configuration or raises ``refused`` (with its own
    reason); ``remember(iss, jti, exp)`` records the jti or raises ``refused`` on a replay.
    """
    if not token or len(token) > rules.max_token_bytes:
        raise refused("token missing or too long")
    header = _header(token, rules, refused)
    iss = _unverified_iss(token, refused)
    issuer = trusted(iss)
    key = _key(issuer, header, refused)
    try:
        claims = jwt.decode(
            token,
            key=key.key,
            algorithms=[header["alg"]],
            audience=audience,
            issuer=iss,
            leeway=rules.leeway_seconds,
            options={"require": list(rules.required_claims)},
        )
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise refused(f"verification failed: {exc}") from exc
    if rules.subject_is_issuer and claims.get("sub") != iss:
        raise refused("sub is not the issuer")
    exp, jti = claims.get("exp"), claims.get("jti")
    if not _is_number(exp):
        raise refused("exp not a number")
    now = time.time()
    if rules.max_exp_ahead_seconds is not None and (
        exp > now + rules.max_exp_ahead_seconds + rules.leeway_seconds
    ):
        raise refused(f"exp more than {rules.max_exp_ahead_seconds} s in the future")
    if rules.max_lifetime_seconds is not None:
        iat = claims.get("iat")
        if not _is_number(iat):
            raise refused("iat not a number")
        if iat > now + rules.leeway_seconds:
            raise refused("iat in the future")
        if exp - iat > rules.max_lifetime_seconds:
            raise refused(f"exp more than {rules.max_lifetime_seconds} s after iat")
    if not isinstance(jti, str) or not jti or len(jti) > rules.max_jti_chars:
        raise refused("jti missing or too long")
    remember(iss, jti, float(exp))
    return issuer, claims


def remember_jti(
    model: Any,
    *,
    jti: str,
    exp: float,
    leeway_seconds: int,
    refused: type[JwtRefused],
    **issuer: str,
) -> None:
    """Store ``jti`` (with the issuer's fields) until ``exp`` plus leeway in ``model``, whose
    unique constraint refuses a second use; expired rows are dropped first."""
    model.objects.filter(expires_at__lt=datetime.now(UTC)).delete()
    try:
        with transaction.atomic():
            model.objects.create(
                **issuer,
                jti=jti,
                expires_at=datetime.fromtimestamp(exp + leeway_seconds, UTC),
            )
    except IntegrityError as exc:
        raise refused("jti replayed") from exc
