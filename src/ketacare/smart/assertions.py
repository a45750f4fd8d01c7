"""The client assertion of a SMART Backend Services token request (SMART App Launch 2.x,
"Client Authentication: Asymmetric (public key)"; RFC 7523 JWT client authentication).

The client posts ``client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer``
and ``client_assertion=<JWT>``. Verified by the shared verifier (``ketacare.signed_jwt``,
PyJWT[crypto], no hand-written JOSE) with these rules:

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

from ketacare.signed_jwt import JwtRefused, JwtRules, remember_jti, verify_signed_jwt

log = logging.getLogger(__name__)

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHMS = ("RS384", "ES384")
MAX_FUTURE_SECONDS = 300  # SMART: exp "no more than five minutes in the future"
LEEWAY_SECONDS = 30  # clock skew
MAX_ASSERTION_BYTES = 8192
MAX_JTI_CHARS = 256

RULES = JwtRules(
    algorithms=ALGORITHMS,
    required_claims=("iss", "sub", "aud", "exp", "jti"),
    leeway_seconds=LEEWAY_SECONDS,
    max_token_bytes=MAX_ASSERTION_BYTES,
    max_jti_chars=MAX_JTI_CHARS,
    max_exp_ahead_seconds=MAX_FUTURE_SECONDS,
    subject_is_issuer=True,  # iss and sub are both the client_id
)


class AssertionRefused(JwtRefused):
    """Not accepted; ``reason`` is for the log, never for the client."""


def _remember_jti(client_id: str, jti: str, exp: float) -> None:
    from ketacare.smart.models import ClientAssertionSeen

    remember_jti(
        ClientAssertionSeen,
        jti=jti,
        exp=exp,
        leeway_seconds=LEEWAY_SECONDS,
        refused=AssertionRefused,
        client_id=client_id,
    )


def verify_client_assertion(assertion: str, *, token_url: str, client_id: str | None = None):
    """The backend client (``BackendClient``) the assertion proves, or ``AssertionRefused``."""
    from ketacare.smart.models import BackendClient

    def backend_for(iss: str) -> BackendClient:
        if client_id and client_id != iss:
            raise AssertionRefused("client_id is not the assertion's iss")
        backend = (
            BackendClient.objects.select_related("application", "application__user")
            .filter(application__client_id=iss)
            .first()
        )
        if backend is None:
            raise AssertionRefused("no backend client with that client_id")
        return backend

    backend, _claims = verify_signed_jwt(
        assertion,
        rules=RULES,
        audience=token_url,
        refused=AssertionRefused,
        trusted=backend_for,
        remember=_remember_jti,
    )
    return backend
