"""Writes for a patient's portal login: the invitation (a login with no password yet and a
one-time activation link) and its activation (the patient chooses the password).

The link's token is Django's password-reset token (``default_token_generator``): it is
derived from the login's password hash and last sign-in, so it stops working the moment
the password is set (one use), after ``PASSWORD_RESET_TIMEOUT`` (three days by default),
and when a new invitation replaces it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from ketacare.access import NotFound
from ketacare.accounts.models import Role, User
from ketacare.accounts.permissions import Permission, require_permission
from ketacare.accounts.services import create_user
from ketacare.audit.models import AuditAction
from ketacare.audit.services import record_write
from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.patients.models import Patient


@dataclass(frozen=True, slots=True)
class PortalInvitation:
    user: User
    activation_path: str  # site-relative; the caller adds the clinic's address
    valid_for_days: int


@transaction.atomic
def invite_patient(
    *, actor: User | None, patient: Patient, username: str | None = None
) -> PortalInvitation:
    """Create the patient's portal login (or renew the link of one not yet activated) and
    return the one-time activation path. ``actor`` None means the command line."""
    if actor is not None:
        require_permission(actor, Permission.MANAGE_USERS)
        if actor.clinic_id != patient.clinic_id:
            raise NotFound("patient")
    user = User.objects.select_for_update().filter(patient=patient).first()
    if user is None:
        user = create_user(
            actor=actor,
            clinic=patient.clinic,
            username=username or patient.mrn.lower(),
            # Replaced at once by an unusable password: nobody can sign in before activation.
            password="",
            role=Role.PATIENT,
            first_name=patient.given_name,
            last_name=patient.family_name,
            patient=patient,
            validate=False,
        )
        summary = "portal login created; activation link issued"
    elif user.has_usable_password():
        raise InvalidClinicalInput(
            "portal_login_active",
            f"This patient already has an activated portal login ({user.username}).",
        )
    elif username and username != user.username:
        raise InvalidClinicalInput(
            "portal_login_exists",
            f"This patient's portal login is {user.username!r}; its link was renewed instead.",
        )
    else:
        summary = "portal activation link renewed; earlier links no longer work"
    # A fresh unusable password also invalidates every earlier link for this login.
    user.set_unusable_password()
    user.save(update_fields=["password"])
    record_write(
        actor=actor,
        action=AuditAction.UPDATE,
        target=user,
        clinic_id=patient.clinic_id,
        patient_id=patient.pk,
        summary=summary,
    )
    from django.conf import settings

    return PortalInvitation(
        user=user,
        activation_path=reverse(
            "portal:activate",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        ),
        valid_for_days=max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
    )


@transaction.atomic
def activate_portal_login(*, user: User, token: str, password: str) -> User:
    """Set the patient's first password from a valid activation token (the token is the
    authority: the patient is not signed in yet)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.role != Role.PATIENT or not default_token_generator.check_token(user, token):
        raise InvalidClinicalInput(
            "activation_link_invalid",
            "This activation link has expired or was already used; ask your clinic for a new one.",
        )
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidClinicalInput("weak_password", " ".join(exc.messages)) from exc
    user.set_password(password)
    user.save(update_fields=["password"])
    record_write(
        actor=user,
        action=AuditAction.UPDATE,
        target=user,
        clinic_id=user.clinic_id,
        patient_id=user.patient_id,
        summary="portal login activated; password set by the patient",
    )
    return user
