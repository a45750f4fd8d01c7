"""The client assertion of a SMART Backend Services token request (SMART App Launch 2.x,
"Client Authentication: Asymmetric (public key)"; RFC 7523 JWT client authentication).

The client posts ``client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer``
and ``client_assertion=<JWT>``. Verified with PyJWT[crypto] (no hand-written JOSE):

- header: ``alg`` RS384 or ES384 (the algorithms SMART requires servers to support; ``none``,
  HMAC and everything else refused), ``kid`` (selects the key), ``typ`` ``JWT``; a ``jku``
  only when it is the client's registered JWKS URL;
- key: from the client's registered JWK Set, or fetched from its registered ``jwks_url``
  (bounded timeout, cached, refetched at most every few seconds on an unknown ``kid``: the
  CDS Hooks client's cache);
- claims: ``iss`` and ``sub`` both the client_id, ``aud`` this server's token URL, ``exp`` in
  the future and no more than five minutes ahead, ``jti`` never seen before (kept in the
  database until ``exp``, so every worker refuses a replay).

Any failure is ``AssertionRefused``, which the token endpoint answers as ``invalid_client``
(401, RFC 6749 5.2); the reason goes to the log only.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

import jwt
from django.db import IntegrityError, transaction

log = logging.getLogger(__name__)

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHMS = ("RS384", "ES384")
MAX_FUTURE_SECONDS = 300  # SMART: exp "no more than five minutes in the future"
LEEWAY_SECONDS = 30  # clock skew
MAX_ASSERTION_BYTES = 8192
MAX_JTI_CHARS = 256


class AssertionRefused(Exception):
    """Not accepted; ``reason`` is for the log, never for the client."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _header(assertion: str) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError as exc:
        raise AssertionRefused(f"malformed header: {exc}") from exc
    if header.get("alg") not in ALGORITHMS:
        raise AssertionRefused(f"algorithm {header.get('alg')!r} refused")
    if not isinstance(header.get("kid"), str) or not header["kid"]:
        raise AssertionRefused("kid missing")
    typ = header.get("typ")
    if not isinstance(typ, str) or typ.upper() != "JWT":
        raise AssertionRefused("typ is not JWT")
    return header


def _unverified_claims(assertion: str) -> dict[str, Any]:
    try:
        return jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise AssertionRefused(f"malformed payload: {exc}") from exc


def _key(backend, header: dict[str, Any]) -> jwt.PyJWK:
    kid = header["kid"]
    jku = header.get("jku")
    if jku is not None and jku != backend.jwks_url:
        raise AssertionRefused("jku is not the registered JWKS URL")
    if backend.jwks_url:
        from ketacare.interop.cds_hooks.auth import JWKS_CACHE, CdsAuthError

        try:
            return JWKS_CACHE.key(backend.jwks_url, kid)
        except CdsAuthError as exc:
            raise AssertionRefused(exc.reason) from exc
    try:
        keys = jwt.PyJWKSet.from_dict(backend.jwks or {}).keys
    except jwt.PyJWTError as exc:
        raise AssertionRefused(f"registered JWKS unusable: {exc}") from exc
    for key in keys:
        if key.key_id == kid:
            return key
    raise AssertionRefused(f"unknown kid {kid!r}")


def _remember_jti(client_id: str, jti: str, exp: float) -> None:
    from ketacare.smart.models import ClientAssertionSeen

    now = datetime.now(UTC)
    ClientAssertionSeen.objects.filter(expires_at__lt=now).delete()
    try:
        with transaction.atomic():
            ClientAssertionSeen.objects.create(
                client_id=client_id,
                jti=jti,
                expires_at=datetime.fromtimestamp(exp + LEEWAY_SECONDS, UTC),
            )
    except IntegrityError as exc:
        raise AssertionRefused("jti replayed") from exc


def verify_client_assertion(assertion: str, *, token_url: str, client_id: str | None = None):
    """The backend client (``BackendClient``) the assertion proves, or ``AssertionRefused``."""
    from ketacare.smart.models import BackendClient

    if not assertion or len(assertion) > MAX_ASSERTION_BYTES:
        raise AssertionRefused("assertion missing or too long")
    header = _header(assertion)
    iss = _unverified_claims(assertion).get("iss")
    if not isinstance(iss, str) or not iss:
        raise AssertionRefused("iss missing")
    if client_id and client_id != iss:
        raise AssertionRefused("client_id is not the assertion's iss")
    backend = (
        BackendClient.objects.select_related("application", "application__user")
        .filter(application__client_id=iss)
        .first()
    )
    if backend is None:
        raise AssertionRefused("no backend client with that client_id")
    key = _key(backend, header)
    if key._jwk_data.get("alg") not in (None, header["alg"]):
        raise AssertionRefused("the key's alg is not the assertion's alg")
    try:
        claims = jwt.decode(
            assertion,
            key=key.key,
            algorithms=[header["alg"]],
            audience=token_url,
            issuer=iss,
            leeway=LEEWAY_SECONDS,
            options={"require": ["iss", "sub", "aud", "exp", "jti"]},
        )
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise AssertionRefused(f"verification failed: {exc}") from exc
    if claims["sub"] != iss:
        raise AssertionRefused("sub is not the client_id")
    exp, jti = claims["exp"], claims["jti"]
    if not isinstance(exp, (int, float)) or isinstance(exp, bool):
        raise AssertionRefused("exp not a number")
    if exp > time.time() + MAX_FUTURE_SECONDS + LEEWAY_SECONDS:
        raise AssertionRefused("exp more than five minutes in the future")
    if not isinstance(jti, str) or not jti or len(jti) > MAX_JTI_CHARS:
        raise AssertionRefused("jti missing or too long")
    _remember_jti(iss, jti, float(exp))
    return backend
