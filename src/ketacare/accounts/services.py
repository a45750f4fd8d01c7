"""Writes for staff and portal accounts, and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from ketacare.access import NotFound
from ketacare.accounts.models import ApiToken, Clinic, Role, User
from ketacare.accounts.permissions import Permission, PermissionDenied, require_permission
from ketacare.audit import context as audit_context
from ketacare.audit.models import AuditAction
from ketacare.audit.services import record_write
from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.compiled_reads import CompiledRead, Slot


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@transaction.atomic
def create_user(
    *,
    actor: User | None,
    clinic: Clinic,
    username: str,
    password: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    license_number: str = "",
    license_expiry: date | None = None,
    patient=None,
    validate: bool = True,
) -> User:
    """Create a login. ``actor`` None means the command line (``ketacare createuser``)."""
    if actor is not None:
        require_permission(actor, Permission.MANAGE_USERS)
    if role not in Role.values:
        raise InvalidClinicalInput(
            "unknown_role", f"Unknown role {role!r}.", {"roles": Role.values}
        )
    if role == Role.PRESCRIBER and (not license_number or license_expiry is None):
        raise InvalidClinicalInput(
            "license_required", "A prescriber needs a licence number and its expiry date."
        )
    if role == Role.PATIENT and patient is None:
        raise InvalidClinicalInput("patient_required", "A portal login must name its patient.")
    if User.objects.filter(username=username).exists():
        raise InvalidClinicalInput("username_taken", f"The username {username!r} is taken.")
    user = User(
        username=username,
        role=role,
        clinic=clinic,
        first_name=first_name,
        last_name=last_name,
        email=email,
        license_number=license_number,
        license_expiry=license_expiry,
        patient=patient,
    )
    if validate:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise InvalidClinicalInput("weak_password", " ".join(exc.messages)) from exc
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    record_write(
        actor=actor,
        action=AuditAction.CREATE,
        target=user,
        after={"username": username, "role": role},
        clinic_id=clinic.pk,
        patient_id=getattr(patient, "pk", None),
        summary=f"account created for role {role}",
    )
    return user


def issue_api_token(
    *, user: User, second_factor_at: datetime | None = None, request: HttpRequest | None = None
) -> str:
    """Return a new bearer token; only its digest is stored. ``second_factor_at`` is when the
    holder proved their second factor for it (None when they have none)."""
    raw = secrets.token_urlsafe(32)
    now = timezone.now()
    ctx = audit_context.current()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            digest=_digest(raw),
            created_at=now,
            expires_at=now + timedelta(hours=settings.API_TOKEN_HOURS),
            second_factor_at=second_factor_at,
            created_ip=ctx.ip_address,
            user_agent=ctx.user_agent,
        )
        record_write(
            actor=user,
            action=AuditAction.TOKEN_ISSUED,
            target=token,
            after={"expires_at": token.expires_at, "second_factor": second_factor_at is not None},
            summary="API token issued",
            clinic_id=user.clinic_id,
        )
    return raw


# Saving a token's last use at most this often keeps each API call free of a write.
_LAST_USED_STEP = timedelta(minutes=1)


# Every API request reads this: compiled to SQL once per connection (compiled_reads.py).
_LIVE_TOKEN = CompiledRead(
    lambda: (
        ApiToken.objects.select_related("user", "user__clinic")
        .filter(
            digest=Slot("digest", ApiToken._meta.get_field("digest")),
            revoked_at__isnull=True,
            expires_at__gt=Slot("now", ApiToken._meta.get_field("expires_at")),
        )
        .order_by("pk")[:1]
    )
)


def token_for_bearer(raw: str) -> ApiToken | None:
    """The live token for ``raw``: not revoked, not expired, not idle past
    ``API_TOKEN_IDLE_MINUTES``, of an active user. Marks its last use (at most once a minute)."""
    now = timezone.now()
    token = _LIVE_TOKEN.first(digest=_digest(raw), now=now)
    if token is None or not token.user.is_active:
        return None
    idle_limit = timedelta(minutes=settings.API_TOKEN_IDLE_MINUTES)
    if now - (token.last_used_at or token.created_at) > idle_limit:
        return None
    if token.last_used_at is None or now - token.last_used_at >= _LAST_USED_STEP:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def user_for_token(raw: str) -> User | None:
    token = token_for_bearer(raw)
    return None if token is None else token.user


def _revoke(tokens, *, actor: User, reason: str) -> int:
    now = timezone.now()
    rows = list(tokens.select_for_update().filter(revoked_at__isnull=True))
    for token in rows:
        token.revoked_at = now
        token.revoked_reason = reason
        token.save(update_fields=["revoked_at", "revoked_reason"])
        record_write(
            actor=actor,
            action=AuditAction.TOKEN_REVOKED,
            target=token,
            before={"revoked_at": None},
            after={"revoked_at": now, "reason": reason},
            summary=f"API token revoked ({reason.replace('_', ' ')})",
            clinic_id=token.user.clinic_id,
        )
    return len(rows)


@transaction.atomic
def revoke_token(*, actor: User, token_id: int, reason: str = "revoked_by_owner") -> None:
    """End one of the actor's own tokens (sign-out of an integration, or from their page)."""
    tokens = ApiToken.objects.select_related("user").filter(pk=token_id, user=actor)
    if not tokens.exists():
        raise NotFound("token")
    _revoke(tokens, actor=actor, reason=reason)


@transaction.atomic
def revoke_user_tokens(
    *, actor: User, user: User, reason: str = "revoked_by_admin", _checked: bool = False
) -> int:
    """A clinic admin ends every live token of a user of their clinic; returns how many."""
    if not _checked:
        require_permission(actor, Permission.MANAGE_USERS)
        if user.clinic_id != actor.clinic_id:
            raise NotFound("user")
    return _revoke(
        ApiToken.objects.select_related("user").filter(user=user), actor=actor, reason=reason
    )


@transaction.atomic
def withdraw_user_access(*, actor: User, user: User, reason: str) -> None:
    """Deactivate a login: it can no longer sign in, its sessions end at their next request
    and every token it holds is revoked. The account and its history stay."""
    require_permission(actor, Permission.MANAGE_USERS)
    if user.clinic_id != actor.clinic_id:
        raise NotFound("user")
    if user.pk == actor.pk:
        raise PermissionDenied("You cannot deactivate your own login.", code="not_self_service")
    if not reason.strip():
        raise InvalidClinicalInput("reason_required", "Give the reason.")
    if not user.is_active:
        raise InvalidClinicalInput("already_inactive", "This login is already deactivated.")
    user.is_active = False
    user.save(update_fields=["is_active"])
    revoke_user_tokens(actor=actor, user=user, reason="user_deactivated", _checked=True)
    record_write(
        actor=actor,
        action=AuditAction.UPDATE,
        target=user,
        before={"is_active": True},
        after={"is_active": False},
        reason=reason.strip(),
        summary=f"login {user.username} deactivated",
        clinic_id=user.clinic_id,
    )
