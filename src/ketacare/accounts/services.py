"""Writes for staff and portal accounts, and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketacare.accounts.models import ApiToken, Clinic, Role, User
from ketacare.accounts.permissions import Permission, require_permission
from ketacare.audit.models import AuditAction
from ketacare.audit.services import record_write
from ketacare.clinical.errors import InvalidClinicalInput


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


def issue_api_token(*, user: User) -> str:
    """Return a new bearer token; only its digest is stored."""
    raw = secrets.token_urlsafe(32)
    now = timezone.now()
    ApiToken.objects.create(
        user=user,
        digest=_digest(raw),
        created_at=now,
        expires_at=now + timedelta(hours=settings.API_TOKEN_HOURS),
    )
    return raw


def user_for_token(raw: str) -> User | None:
    token = (
        ApiToken.objects.select_related("user", "user__clinic")
        .filter(digest=_digest(raw), revoked_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    return token.user
