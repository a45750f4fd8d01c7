"""Staff and portal users, their clinic, and API tokens.

Roles are fixed by the clinic's work: only prescribers (licensed, with a recorded licence
number and expiry) order doses or override clinical gates. A patient user reaches only their
own record, through the portal. What each role may do lives in ``permissions.py``.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q


class Clinic(models.Model):
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=300, blank=True)
    dea_registration = models.CharField(max_length=20, blank=True)
    # Esketamine may only be given in a REMS-certified setting (SPRAVATO REMS, S4/S6).
    rems_certified = models.BooleanField(default=False)
    rems_setting_id = models.CharField(max_length=40, blank=True)
    crisis_text = models.TextField(
        default=(
            "If you are thinking about harming yourself, call or text 988 (Suicide & Crisis "
            "Lifeline) now, or call 911 or go to the nearest emergency department."
        ),
        help_text="Shown to a patient at once when a self-report raises a safety alert.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    PRESCRIBER = "prescriber", "Prescriber"
    NURSE = "nurse", "Nurse"
    THERAPIST = "therapist", "Therapist"
    FRONT_DESK = "frontdesk", "Front desk"
    CLINIC_ADMIN = "admin", "Clinic admin"
    RESEARCHER = "researcher", "Researcher"
    PATIENT = "patient", "Patient"


class User(AbstractUser):
    role = models.CharField(max_length=20, choices=Role.choices)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="users")
    license_number = models.CharField(max_length=40, blank=True)
    license_expiry = models.DateField(null=True, blank=True)
    # A portal user is tied to exactly one patient record.
    patient = models.OneToOneField(
        "patients.Patient",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="portal_user",
    )

    REQUIRED_FIELDS = ["email"]

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="prescriber_has_license",
                condition=~Q(role="prescriber")
                | (~Q(license_number="") & Q(license_expiry__isnull=False)),
            ),
            models.CheckConstraint(
                name="patient_role_has_patient",
                condition=(Q(role="patient") & Q(patient__isnull=False))
                | (~Q(role="patient") & Q(patient__isnull=True)),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_full_name() or self.username} ({self.get_role_display()})"


class ApiToken(models.Model):
    """A bearer token for the JSON API; only its SHA-256 digest is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"API token of {self.user_id} (expires {self.expires_at:%Y-%m-%d %H:%M})"
