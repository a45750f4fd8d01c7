"""Second factor for sign-in: TOTP (RFC 6238) with single-use recovery codes, or a passkey
(WebAuthn: ``passkeys.py``).

The one-time-password work is django-otp's (``TOTPDevice``: SHA-1, 6 digits, 30-second
steps, a code is accepted once, a step of clock drift either way; ``StaticDevice``: recovery
codes that are deleted when used; both throttle repeated failures). This module decides who
needs it (the clinic's ``SecurityPolicy``), enrols, verifies, resets and audits.

A failed code counts toward the same django-axes lockout as a wrong password: the failure is
reported through Django's ``user_login_failed`` signal, with the username and never the code.
"""

from __future__ import annotations

import contextvars
from base64 import b32encode
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp import devices_for_user, match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketacare.accounts.models import (
    DEFAULT_STEP_UP_MINUTES,
    ApiToken,
    Passkey,
    SecurityPolicy,
    User,
    _default_second_factor_roles,
)
from ketacare.accounts.permissions import Permission, PermissionDenied, require_permission
from ketacare.audit.models import AuditAction
from ketacare.audit.services import record_write
from ketacare.clinical.errors import InvalidClinicalInput

RECOVERY_CODE_COUNT = 10
TOTP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"

# What a session or token still owes before it is fully signed in.
VERIFY = "verify"  # has a second factor: enter a code
ENROL = "enrol"  # the clinic requires one and none is enrolled: enrol now
NONE = "none"  # optional for this role and none enrolled


class SecondFactorRequired(PermissionDenied):
    """The action needs a second-factor check newer than the clinic's step-up limit."""

    def __init__(self, max_age_minutes: int) -> None:
        super().__init__(
            f"Confirm it is you: enter a current one-time code or use your passkey (the last "
            f"check is older than "
            f"{max_age_minutes} minutes).",
            code="second_factor_required",
        )
        self.max_age_minutes = max_age_minutes


@dataclass(frozen=True, slots=True)
class ClinicSecurity:
    second_factor_roles: frozenset[str]
    step_up_minutes: int


def clinic_security(clinic_id: int) -> ClinicSecurity:
    policy = SecurityPolicy.objects.filter(clinic_id=clinic_id).first()
    if policy is None:
        return ClinicSecurity(frozenset(_default_second_factor_roles()), DEFAULT_STEP_UP_MINUTES)
    return ClinicSecurity(frozenset(policy.second_factor_roles), policy.step_up_minutes)


@transaction.atomic
def record_security_policy(
    *, actor: User, second_factor_roles: list[str], step_up_minutes: int
) -> SecurityPolicy:
    """A clinic admin sets which roles must use a second factor and the step-up limit."""
    from django.core.exceptions import ValidationError

    from ketacare.accounts.models import Role

    require_permission(actor, Permission.MANAGE_USERS)
    unknown = sorted(set(second_factor_roles) - set(Role.values))
    if unknown:
        raise InvalidClinicalInput("unknown_role", f"Unknown roles: {', '.join(unknown)}.")
    policy = SecurityPolicy.objects.select_for_update().filter(clinic_id=actor.clinic_id).first()
    before = (
        {
            "second_factor_roles": policy.second_factor_roles,
            "step_up_minutes": policy.step_up_minutes,
        }
        if policy
        else None
    )
    policy = policy or SecurityPolicy(clinic_id=actor.clinic_id)
    policy.second_factor_roles = sorted(set(second_factor_roles))
    policy.step_up_minutes = step_up_minutes
    policy.updated_at, policy.updated_by = timezone.now(), actor
    try:
        policy.full_clean(exclude=["clinic"])
    except ValidationError as exc:
        raise InvalidClinicalInput(
            "invalid_security_policy", "The step-up limit is 1 to 720 minutes.",
            {"fields": exc.message_dict},
        ) from exc  # fmt: skip
    policy.save()
    record_write(
        actor=actor,
        action=AuditAction.UPDATE if before else AuditAction.CREATE,
        target=policy,
        before=before,
        after={"second_factor_roles": policy.second_factor_roles,
               "step_up_minutes": step_up_minutes},
        summary="clinic security policy set",
    )  # fmt: skip
    return policy


def has_totp(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def has_second_factor(user: User) -> bool:
    """An authenticator app or at least one passkey."""
    return has_totp(user) or Passkey.objects.filter(user=user).exists()


def second_factor_state(user: User) -> str:
    """``VERIFY``, ``ENROL`` or ``NONE``: what this user owes after their password."""
    if has_second_factor(user):
        return VERIFY
    if user.role in clinic_security(user.clinic_id).second_factor_roles:
        return ENROL
    return NONE


def _audit(
    *, actor: Any, action: str, user: User, summary: str, after: dict | None = None, reason=""
):
    return record_write(
        actor=actor,
        action=action,
        target=user,
        after=after,
        reason=reason,
        summary=summary,
        clinic_id=user.clinic_id,
    )


@transaction.atomic
def start_totp_enrolment(*, user: User) -> TOTPDevice:
    """The user's pending (unconfirmed) authenticator key, made once and kept until confirmed,
    so reloading the enrolment page shows the same key."""
    pending = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if pending is not None:
        return pending
    return TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)


def base32_secret(device: TOTPDevice) -> str:
    """The key as the authenticator apps take it typed in (RFC 4648 base32, in groups)."""
    key = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def key_from_base32(secret: str) -> str:
    """A base32 key (as authenticator apps show it) in django-otp's hex form; refuses a
    malformed or too-short one (RFC 4226 asks for at least 128 bits)."""
    from base64 import b32decode
    from binascii import Error as Base32Error

    cleaned = "".join(secret.split()).upper()
    try:
        raw = b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except (Base32Error, ValueError) as exc:
        raise InvalidClinicalInput("invalid_totp_secret", "Not a base32 key.") from exc
    if len(raw) < 16:
        raise InvalidClinicalInput("invalid_totp_secret", "A key needs at least 128 bits.")
    return raw.hex()


@transaction.atomic
def provision_totp_device(*, user: User, base32_key: str | None = None) -> TOTPDevice:
    """Enrol a confirmed authenticator for a login created on the command line (the demo's
    logins; a scripted test run's), with the given key or a new random one. The web's
    enrolment (``confirm_totp_enrolment``) is the path for people."""
    TOTPDevice.objects.filter(user=user).delete()
    fields = {"key": key_from_base32(base32_key)} if base32_key else {}
    device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=True, **fields)
    _audit(
        actor=None,
        action=AuditAction.MFA_ENROLLED,
        user=user,
        summary="authenticator key provisioned on the command line",
        after={"method": "totp", "provisioned": True},
    )
    return device


def authenticator_code(device: TOTPDevice) -> str:
    """The code an authenticator app holding this device's key shows now, or the next
    step's when this step's code was already used (accepted within the one step of drift
    django-otp allows). For the demo's ``demo-code``, scripted tests and benchmarks."""
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if totp.t() <= device.last_t:
        totp.time = totp.time + device.step
    return f"{totp.token():0{device.digits}d}"


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def _normalise(code: str) -> str:
    return "".join(code.split()).lower()


@transaction.atomic
def confirm_totp_enrolment(*, user: User, code: str) -> list[str]:
    """Confirm the pending key with a code from the app; returns new recovery codes (shown
    once). A wrong code is refused (422 ``invalid_otp``) and nothing is enrolled."""
    if has_second_factor(user):  # adding to a factor already there: a fresh check first
        require_recent_second_factor(user)
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, confirmed=False)
        .order_by("id")
        .first()
    )
    if device is None:
        raise InvalidClinicalInput("enrolment_not_started", "Start enrolment first.")
    if not device.verify_token(_normalise(code)):
        raise InvalidClinicalInput(
            "invalid_otp", "That code is not right: enter the code your app shows now."
        )
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_recovery_codes(user)
    now = timezone.now()
    user.second_factor_at = now
    user.save(update_fields=["second_factor_at"])
    _audit(
        actor=user,
        action=AuditAction.MFA_ENROLLED,
        user=user,
        summary="authenticator app enrolled with recovery codes",
        after={"method": "totp", "recovery_codes": RECOVERY_CODE_COUNT},
    )
    return codes


@transaction.atomic
def renew_recovery_codes(*, actor: User) -> list[str]:
    """New recovery codes for the signed-in user (the old ones stop working)."""
    if not has_second_factor(actor):
        raise InvalidClinicalInput("second_factor_not_enrolled", "Enrol an authenticator first.")
    require_recent_second_factor(actor)
    codes = _new_recovery_codes(actor)
    _audit(
        actor=actor,
        action=AuditAction.MFA_CODES_RENEWED,
        user=actor,
        summary="recovery codes renewed",
        after={"recovery_codes": RECOVERY_CODE_COUNT},
    )
    return codes


def verify_second_factor(
    *, user: User, code: str, request: HttpRequest | None, purpose: str = "sign-in"
) -> bool:
    """Check a code (authenticator or recovery code) for ``user``; audit either way. A refused
    code also counts as a failed sign-in for the lockout."""
    code = _normalise(code)[:64]
    device = match_token(user, code) if code else None
    if device is None:
        _audit(
            actor=user,
            action=AuditAction.MFA_FAILED,
            user=user,
            summary=f"one-time code refused ({purpose})",
            after={"purpose": purpose},
        )
        user_login_failed.send(
            sender=__name__,
            credentials={"username": user.get_username(), "second_factor": True},
            request=request,
        )
        return False
    now = timezone.now()
    User.objects.filter(pk=user.pk).update(second_factor_at=now)
    user.second_factor_at = now
    method = "recovery_code" if isinstance(device, StaticDevice) else "totp"
    _audit(
        actor=user,
        action=AuditAction.MFA_VERIFIED,
        user=user,
        summary=f"second factor verified ({purpose}, {method.replace('_', ' ')})",
        after={"purpose": purpose, "method": method},
    )
    return True


def remaining_recovery_codes(user: User) -> int:
    return StaticToken.objects.filter(device__user=user).count()


@transaction.atomic
def reset_second_factor(*, actor: User, user: User, reason: str) -> None:
    """A lost or replaced device: a clinic admin removes the user's authenticator, passkeys
    and recovery codes, ends their sessions and tokens; they enrol again at next sign-in. Never
    the user alone (a stolen password must not be enough to move the second factor)."""
    require_permission(actor, Permission.MANAGE_USERS)
    if user.clinic_id != actor.clinic_id:
        from ketacare.access import NotFound

        raise NotFound("user")
    if user.pk == actor.pk:
        raise PermissionDenied(
            "Another clinic admin must reset your own second factor.", code="not_self_service"
        )
    require_recent_second_factor(actor)
    if not reason.strip():
        raise InvalidClinicalInput("reason_required", "Give the reason for the reset.")
    removed = sum(1 for _ in devices_for_user(user, confirmed=None))
    removed += Passkey.objects.filter(user=user).delete()[0]
    for model in (TOTPDevice, StaticDevice):
        model.objects.filter(user=user).delete()
    user.sign_in_epoch += 1
    user.second_factor_at = None
    user.save(update_fields=["sign_in_epoch", "second_factor_at"])
    from ketacare.accounts.services import revoke_user_tokens

    revoke_user_tokens(actor=actor, user=user, reason="second_factor_reset", _checked=True)
    _audit(
        actor=actor,
        action=AuditAction.MFA_RESET,
        user=user,
        summary=f"second factor reset for {user.username}",
        after={"devices_removed": removed},
        reason=reason.strip(),
    )


# --- step-up: how recent is the current request's second-factor check -------------------


@dataclass(slots=True)
class Freshness:
    """The current request's proof of second factor, set by the web middleware (from the
    session) or by the API's bearer authentication (from the token)."""

    user_id: int | None = None
    second_factor_at: datetime | None = None
    session: Any = None  # a web session, updated by a step-up
    token: ApiToken | None = None


_freshness: contextvars.ContextVar[Freshness | None] = contextvars.ContextVar(
    "ketacare_second_factor_freshness", default=None
)


def set_freshness(value: Freshness | None) -> contextvars.Token:
    return _freshness.set(value)


def reset_freshness(token: contextvars.Token) -> None:
    _freshness.reset(token)


def current_freshness() -> Freshness | None:
    return _freshness.get()


def require_recent_second_factor(actor: User, *, as_of: datetime | None = None) -> None:
    """Refuse (``second_factor_required``) when this request's last second-factor check is
    older than the clinic's step-up limit. Outside a request (the command line, seeding)
    there is no session to check. A user with no second factor enrolled whose role does
    not require one has nothing to step up with."""
    fresh = current_freshness()
    if fresh is None:
        return
    security = clinic_security(actor.clinic_id)
    if fresh.user_id != actor.pk:
        raise SecondFactorRequired(security.step_up_minutes)
    if fresh.second_factor_at is None and second_factor_state(actor) == NONE:
        return
    now = as_of or timezone.now()
    limit = timedelta(minutes=security.step_up_minutes)
    if fresh.second_factor_at is None or now - fresh.second_factor_at > limit:
        raise SecondFactorRequired(security.step_up_minutes)


def record_step_up(fresh: Freshness, at: datetime) -> None:
    """A code was just verified for the current request's user: make the session or token
    fresh for later requests."""
    fresh.second_factor_at = at
    if fresh.session is not None:
        from ketacare.accounts.middleware import mark_session_verified

        mark_session_verified(fresh.session, at)
    if fresh.token is not None:
        ApiToken.objects.filter(pk=fresh.token.pk).update(second_factor_at=at)


def require_witness_second_factor(
    witness: User, code: str, *, request: HttpRequest | None = None
) -> bool:
    """A waste witness at someone else's workstation: their own latest second-factor check
    (any channel) must be within the step-up limit, or they give a code now. Returns True
    when the witness is confirmed. Outside a request (seeding, the command line) there is no
    one at a workstation to ask."""
    if current_freshness() is None or second_factor_state(witness) == NONE:
        return True
    limit = timedelta(minutes=clinic_security(witness.clinic_id).step_up_minutes)
    if witness.second_factor_at is not None and timezone.now() - witness.second_factor_at <= limit:
        return True
    if not code:
        return False
    return verify_second_factor(user=witness, code=code, request=request, purpose="waste witness")
