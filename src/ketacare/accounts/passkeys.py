"""Passkeys and security keys (WebAuthn) as a second factor, beside the authenticator app.

Every WebAuthn step is py_webauthn's (Duo Labs' ``webauthn`` package): the options the
browser's ``navigator.credentials.create()`` / ``get()`` take, and the verification of what
comes back (client data, origin, RP ID hash, attestation, COSE public key, signature,
signature counter). This module keeps the challenge, stores the credential, applies the
clinic's policy and audits every enrolment, removal, success and failure.

A challenge is made server-side, kept in the user's session with its ceremony, user and
expiry (``WEBAUTHN_CHALLENGE_SECONDS``), and taken out on the first answer, good or bad: it
is single use. A refused passkey at sign-in or step-up counts toward the same django-axes
lockout as a wrong code. A counter that does not move forward (a cloned authenticator) is
refused and audited with both counts. Nothing is written for a refused answer but its
audit entry.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url, parse_authenticator_data
from webauthn.helpers.base64url_to_bytes import base64url_to_bytes
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.parse_authentication_credential_json import (
    parse_authentication_credential_json,
)
from webauthn.helpers.parse_registration_credential_json import (
    parse_registration_credential_json,
)
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from ketacare.access import NotFound
from ketacare.accounts import second_factor as sf
from ketacare.accounts.models import Passkey, User
from ketacare.audit.models import AuditAction
from ketacare.clinical.errors import InvalidClinicalInput

log = logging.getLogger(__name__)

CHALLENGE_KEY = "ketacare_webauthn_challenge"
REGISTER, AUTHENTICATE = "register", "authenticate"
MAX_CREDENTIAL_JSON = 64 * 1024  # a real answer is a few kilobytes
NAME_MAX = Passkey._meta.get_field("name").max_length
TIMEOUT_MS = 120_000


@dataclass(frozen=True, slots=True)
class PasskeyCheck:
    """The outcome of a passkey answer at sign-in or step-up: ``code`` names a refusal
    (``passkey_refused``, ``passkey_challenge_expired``, ``passkey_unknown``,
    ``passkey_cloned``) and ``message`` says it to the person."""

    ok: bool
    code: str = ""
    message: str = ""


REFUSED = "This passkey could not be checked. Try again, or use a code."
MESSAGES = {
    "passkey_refused": REFUSED,
    "passkey_malformed": REFUSED,
    "passkey_challenge_expired": "The passkey request timed out or was already used: try again.",
    "passkey_unknown": "That passkey is not one of yours on this account.",
    "passkey_cloned": (
        "This passkey's use counter went backwards, a sign it may have been copied: it was "
        "refused. Tell a clinic admin."
    ),
}


def expected_origins(request: HttpRequest) -> list[str]:
    """``WEBAUTHN_ORIGINS``, or the origin this request came to (scheme and the host that
    Django has checked against ``ALLOWED_HOSTS``)."""
    configured = list(settings.WEBAUTHN_ORIGINS)
    return configured or [f"{request.scheme}://{request.get_host()}"]


def user_handle(user: User) -> bytes:
    """The WebAuthn user id: stable per login, and neither its name nor its row id."""
    return salted_hmac("ketacare.accounts.passkeys.user_handle", str(user.pk)).digest()


def has_passkey(user: User) -> bool:
    return Passkey.objects.filter(user=user).exists()


def _descriptors(user: User) -> list[PublicKeyCredentialDescriptor]:
    out = []
    for key in Passkey.objects.filter(user=user).only("credential_id", "transports"):
        transports = [AuthenticatorTransport(t) for t in key.transports
                      if t in AuthenticatorTransport._value2member_map_]  # fmt: skip
        out.append(
            PublicKeyCredentialDescriptor(
                id=base64url_to_bytes(key.credential_id), transports=transports or None
            )
        )
    return out


def _keep_challenge(session, ceremony: str, user: User, challenge: bytes) -> None:
    expires = int(timezone.now().timestamp()) + int(settings.WEBAUTHN_CHALLENGE_SECONDS)
    session[CHALLENGE_KEY] = {
        "ceremony": ceremony,
        "user": user.pk,
        "challenge": bytes_to_base64url(challenge),
        "expires": expires,
    }


def _take_challenge(session, ceremony: str, user: User) -> bytes | None:
    """The pending challenge of this ceremony for this user, removed from the session
    whatever it was (single use); None when absent, expired or made for something else."""
    held = session.pop(CHALLENGE_KEY, None)
    if not isinstance(held, dict):
        return None
    if held.get("ceremony") != ceremony or held.get("user") != user.pk:
        return None
    if int(held.get("expires") or 0) < timezone.now().timestamp():
        return None
    try:
        return base64url_to_bytes(str(held["challenge"]))
    except (KeyError, ValueError):
        return None


def _loads(credential: str) -> dict[str, Any] | None:
    if not credential or len(credential) > MAX_CREDENTIAL_JSON:
        return None
    try:
        value = json.loads(credential)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


# --- enrolment -------------------------------------------------------------------------


def _require_step_up_to_add(user: User) -> None:
    # Adding a factor to an account that has one is as sensitive as removing one: a
    # borrowed session must not be enough to plant the borrower's own key.
    if sf.has_second_factor(user):
        sf.require_recent_second_factor(user)


def registration_options(*, user: User, session) -> str:
    """Options for ``navigator.credentials.create()`` (JSON), the challenge kept in the
    session. A passkey or a security key; attestation is not asked for (``none``)."""
    _require_step_up_to_add(user)
    options = generate_registration_options(
        rp_id=settings.WEBAUTHN_RP_ID,
        rp_name=settings.WEBAUTHN_RP_NAME,
        user_id=user_handle(user),
        user_name=user.get_username(),
        user_display_name=user.get_full_name() or user.get_username(),
        timeout=TIMEOUT_MS,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=_descriptors(user),
    )
    _keep_challenge(session, REGISTER, user, options.challenge)
    return options_to_json(options)


def _audit(user: User, action: AuditAction, summary: str, **after: Any) -> None:
    """The audit entry of a passkey event by the user on their own account."""
    sf._audit(
        actor=user, action=action, user=user, summary=summary, after={"method": "passkey", **after}
    )


def _audit_refusal(user: User, code: str, purpose: str, summary: str, **after: Any) -> None:
    """The one shape of a refused passkey ceremony's audit entry (enrolment, sign-in or
    step-up): why (``reason``, a stable code) and, when the library said, its ``detail``."""
    if "detail" in after:
        after["detail"] = after["detail"][:200]
    _audit(user, AuditAction.MFA_FAILED, summary, purpose=purpose, reason=code, **after)


def _enrol_refused(user: User, code: str, message: str, detail: str = "") -> InvalidClinicalInput:
    said = {"detail": detail} if detail else {}
    _audit_refusal(user, code, "passkey enrolment", "passkey enrolment refused", **said)
    return InvalidClinicalInput(code, message)


def register_passkey(
    *, user: User, session, credential: str, name: str, origins: list[str]
) -> tuple[Passkey, list[str] | None]:
    """Verify the browser's answer to ``registration_options`` and store the passkey.
    Returns it, and new recovery codes when the user had none (a first second factor),
    to be shown once. A refused answer (422: ``passkey_malformed``,
    ``passkey_challenge_expired``, ``passkey_refused``, ``passkey_exists``,
    ``invalid_passkey_name``) stores nothing but its audit entry."""
    _require_step_up_to_add(user)
    name = " ".join((name or "").split())
    challenge = _take_challenge(session, REGISTER, user)
    if not name or len(name) > NAME_MAX:
        raise InvalidClinicalInput(
            "invalid_passkey_name", f"Name the passkey (1 to {NAME_MAX} characters)."
        )
    if Passkey.objects.filter(user=user, name=name).exists():
        raise InvalidClinicalInput("invalid_passkey_name", "You have a passkey of that name.")
    payload = _loads(credential)
    if payload is None:
        raise _enrol_refused(user, "passkey_malformed", MESSAGES["passkey_malformed"])
    if challenge is None:
        raise _enrol_refused(
            user, "passkey_challenge_expired", MESSAGES["passkey_challenge_expired"]
        )
    try:
        parsed = parse_registration_credential_json(payload)
        verified = verify_registration_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=settings.WEBAUTHN_RP_ID,
            expected_origin=origins,
        )
    except WebAuthnException as exc:
        raise _enrol_refused(user, "passkey_refused", REFUSED, str(exc)) from exc
    except Exception as exc:  # anything the library did not wrap: malformed all the same
        log.info("passkey registration answer not understood: %r", exc)
        raise _enrol_refused(user, "passkey_malformed", REFUSED, type(exc).__name__) from exc
    credential_id = bytes_to_base64url(verified.credential_id)
    transports = [str(t.value) for t in (parsed.response.transports or [])]
    try:
        with transaction.atomic():
            passkey = Passkey.objects.create(
                user=user,
                name=name,
                credential_id=credential_id,
                public_key=verified.credential_public_key,
                sign_count=verified.sign_count,
                transports=transports,
                aaguid=str(verified.aaguid or ""),
                backed_up=bool(verified.credential_backed_up),
                created_at=timezone.now(),
            )
            first = not StaticToken.objects.filter(device__user=user).exists()
            codes = sf._new_recovery_codes(user) if first else None
            now = timezone.now()
            User.objects.filter(pk=user.pk).update(second_factor_at=now)
            user.second_factor_at = now
            _audit(
                user,
                AuditAction.MFA_ENROLLED,
                f"passkey {name!r} enrolled",
                passkey=name,
                aaguid=passkey.aaguid,
                recovery_codes=sf.RECOVERY_CODE_COUNT if codes else 0,
            )
    except IntegrityError as exc:
        raise _enrol_refused(
            user, "passkey_exists", "That passkey is already registered.", "duplicate id"
        ) from exc
    return passkey, codes


# --- sign-in and step-up ---------------------------------------------------------------


def authentication_options(*, user: User, session) -> str | None:
    """Options for ``navigator.credentials.get()`` (JSON) naming the user's passkeys, the
    challenge kept in the session; None when the user has none."""
    allowed = _descriptors(user)
    if not allowed:
        return None
    options = generate_authentication_options(
        rp_id=settings.WEBAUTHN_RP_ID,
        timeout=TIMEOUT_MS,
        allow_credentials=allowed,
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    _keep_challenge(session, AUTHENTICATE, user, options.challenge)
    return options_to_json(options)


def _refuse(
    user: User, code: str, request: HttpRequest | None, purpose: str, **after: Any
) -> PasskeyCheck:
    why = code.removeprefix("passkey_").replace("_", " ")
    _audit_refusal(user, code, purpose, f"passkey refused ({purpose}: {why})", **after)
    user_login_failed.send(
        sender=__name__,
        credentials={"username": user.get_username(), "second_factor": True},
        request=request,
    )
    return PasskeyCheck(False, code, MESSAGES[code])


def _only_the_counter_failed(parsed, challenge: bytes, origins: list[str], passkey) -> int | None:
    """When the library refused an answer whose counter does not move past the stored one,
    whether it would have passed with the counter alone excused: then it is a genuine
    signature from a copy of the key (a cloned authenticator), not a forgery. Returns the
    answer's counter in that case, else None. The library does the verifying again."""
    try:
        received = parse_authenticator_data(bytes(parsed.response.authenticator_data)).sign_count
    except Exception:
        return None
    stored = passkey.sign_count
    if not ((received > 0 or stored > 0) and received <= stored):
        return None
    try:
        verify_authentication_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=settings.WEBAUTHN_RP_ID,
            expected_origin=origins,
            credential_public_key=bytes(passkey.public_key),
            credential_current_sign_count=max(received - 1, 0),
        )
    except Exception:
        return None
    return received


def verify_passkey(
    *,
    user: User,
    session,
    credential: str,
    origins: list[str],
    request: HttpRequest | None,
    purpose: str = "sign-in",
) -> PasskeyCheck:
    """Check the browser's answer to ``authentication_options`` for ``user``; audit either
    way. On success the passkey's counter and last use, and the user's latest second-factor
    check, move forward; a refusal changes nothing and counts toward the lockout."""
    challenge = _take_challenge(session, AUTHENTICATE, user)
    payload = _loads(credential)
    if payload is None:
        return _refuse(user, "passkey_malformed", request, purpose)
    if challenge is None:
        return _refuse(user, "passkey_challenge_expired", request, purpose)
    try:
        parsed = parse_authentication_credential_json(payload)
    except Exception:
        return _refuse(user, "passkey_malformed", request, purpose)
    with transaction.atomic():
        passkey = (
            Passkey.objects.select_for_update().filter(user=user, credential_id=parsed.id).first()
        )
        if passkey is None:
            unknown = True
        else:
            unknown = False
            try:
                verified = verify_authentication_response(
                    credential=parsed,
                    expected_challenge=challenge,
                    expected_rp_id=settings.WEBAUTHN_RP_ID,
                    expected_origin=origins,
                    credential_public_key=bytes(passkey.public_key),
                    credential_current_sign_count=passkey.sign_count,
                )
            except Exception as exc:  # WebAuthnException, or a malformed part
                received = _only_the_counter_failed(parsed, challenge, origins, passkey)
                failure = (passkey.name, passkey.sign_count, received, str(exc))
            else:
                failure = None
                now = timezone.now()
                passkey.sign_count, passkey.last_used_at = verified.new_sign_count, now
                passkey.save(update_fields=["sign_count", "last_used_at"])
                User.objects.filter(pk=user.pk).update(second_factor_at=now)
                user.second_factor_at = now
                _audit(
                    user,
                    AuditAction.MFA_VERIFIED,
                    f"second factor verified ({purpose}, passkey {passkey.name!r})",
                    purpose=purpose,
                    passkey=passkey.name,
                )
                return PasskeyCheck(True)
    if unknown:
        return _refuse(user, "passkey_unknown", request, purpose)
    name, stored, received, detail = failure
    if received is not None:
        return _refuse(user, "passkey_cloned", request, purpose, passkey=name,
                       stored_sign_count=stored, received_sign_count=received)  # fmt: skip
    return _refuse(user, "passkey_refused", request, purpose, passkey=name, detail=detail)


# --- the user's own passkeys -----------------------------------------------------------


@transaction.atomic
def remove_passkey(*, actor: User, passkey_id: int) -> None:
    """The user removes one of their passkeys (after a step-up). Their last second factor
    stays while the clinic requires one for their role: a lost one is a clinic admin's
    reset (``second_factor.reset_second_factor``). When no factor is left, the recovery
    codes go too."""
    sf.require_recent_second_factor(actor)
    passkey = Passkey.objects.select_for_update().filter(pk=passkey_id, user=actor).first()
    if passkey is None:
        raise NotFound("passkey")
    others = (
        Passkey.objects.filter(user=actor).exclude(pk=passkey.pk).exists()
        or TOTPDevice.objects.filter(user=actor, confirmed=True).exists()
    )
    if not others and actor.role in sf.clinic_security(actor.clinic_id).second_factor_roles:
        raise InvalidClinicalInput(
            "last_second_factor",
            "Your clinic requires a second factor for your role: add another passkey or an "
            "authenticator app before removing this one (a lost one is reset by a clinic admin).",
        )
    name = passkey.name
    passkey.delete()
    if not others:
        StaticDevice.objects.filter(user=actor).delete()
    _audit(
        actor,
        AuditAction.MFA_REMOVED,
        f"passkey {name!r} removed by its owner",
        passkey=name,
        factors_left=bool(others),
    )
