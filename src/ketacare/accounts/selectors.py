"""Reads of accounts: the user's own tokens, and the clinic's logins for its admin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketacare.access import NotFound
from ketacare.accounts.models import ApiToken, Passkey, User
from ketacare.accounts.permissions import Permission, require_permission


@dataclass(frozen=True, slots=True)
class TokenRow:
    pk: int
    created_at: datetime
    created_ip: str | None
    last_used_at: datetime | None
    expires_at: datetime
    revoked_at: datetime | None
    status: str  # active | expired | idle | revoked


def _status(token: ApiToken, now: datetime) -> str:
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at <= now:
        return "expired"
    idle = timedelta(minutes=settings.API_TOKEN_IDLE_MINUTES)
    if now - (token.last_used_at or token.created_at) > idle:
        return "idle"
    return "active"


def list_own_tokens(user: User, *, limit: int = 50) -> list[TokenRow]:
    """The signed-in user's tokens, newest first, with their last use."""
    now = timezone.now()
    rows = ApiToken.objects.filter(user=user).order_by("-created_at", "-id")[:limit]
    return [
        TokenRow(t.pk, t.created_at, t.created_ip, t.last_used_at, t.expires_at, t.revoked_at,
                 _status(t, now))
        for t in rows
    ]  # fmt: skip


def list_own_passkeys(user: User) -> list[Passkey]:
    """The signed-in user's passkeys, oldest first: name, counter, when added and last used."""
    return list(
        Passkey.objects.filter(user=user).only(
            "id", "name", "sign_count", "created_at", "last_used_at", "backed_up", "user_id"
        )
    )


def list_clinic_users(actor: User):
    """The actor's clinic's logins for its admin, with live tokens and second factor."""
    require_permission(actor, Permission.MANAGE_USERS)
    now = timezone.now()
    return (
        User.objects.filter(clinic_id=actor.clinic_id)
        .annotate(
            live_tokens=Count(
                "api_tokens",
                filter=Q(api_tokens__revoked_at__isnull=True, api_tokens__expires_at__gt=now),
                distinct=True,
            ),
            has_totp=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
            passkey_count=Count("passkeys", distinct=True),  # distinct: two joins
        )
        .order_by("role", "username")
    )


def access_clinic_user(actor: User, user_id: int) -> User:
    require_permission(actor, Permission.MANAGE_USERS)
    user = User.objects.filter(pk=user_id, clinic_id=actor.clinic_id).first()
    if user is None:
        raise NotFound("user")
    return user
