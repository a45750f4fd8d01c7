"""Staff and portal users, their clinic, and API tokens.

Roles are fixed by the clinic's work: only prescribers (licensed, with a recorded licence
number and expiry) order doses or override clinical gates. A patient user reaches only their
own record, through the portal. What each role may do lives in ``permissions.py``.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.crypto import salted_hmac


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

    # Bumped when the user's second factor is reset: every session signed in before it ends
    # at its next request (it is part of the session's auth hash), at no per-request cost.
    sign_in_epoch = models.PositiveIntegerField(default=0)
    # The user's latest successful second-factor check on any channel: a waste witness
    # standing at someone else's workstation is asked for a code when this is stale.
    second_factor_at = models.DateTimeField(null=True, blank=True)

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

    def _get_session_auth_hash(self, secret=None):
        # Django's hash of the password field, plus the sign-in epoch once it has moved (so
        # sessions from before this change stay valid until the first second-factor reset).
        if not self.sign_in_epoch:
            return super()._get_session_auth_hash(secret=secret)
        key_salt = "ketacare.accounts.User.get_session_auth_hash"
        value = f"{self.password}:{self.sign_in_epoch}"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()


class ApiToken(models.Model):
    """A bearer token for the JSON API; only its SHA-256 digest is stored.

    It ends at ``expires_at`` (lifetime from settings), after ``API_TOKEN_IDLE_MINUTES``
    without use, or when revoked (sign-out, ``DELETE /auth/token``, an admin, deactivation).
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=40, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    # When the holder last proved their second factor for this token (at issue, or a
    # step-up); None for a user without one. Gate overrides need it recent.
    second_factor_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"API token of {self.user_id} (expires {self.expires_at:%Y-%m-%d %H:%M})"


# Roles that must use a second factor unless the clinic's policy says otherwise: the roles
# that order or give a Schedule III drug, override a clinical gate, or manage accounts.
DEFAULT_SECOND_FACTOR_ROLES = (Role.PRESCRIBER, Role.NURSE, Role.CLINIC_ADMIN)
# How old the last second-factor check may be before a gate override, a waste witness or a
# count sign-off asks for a fresh code.
DEFAULT_STEP_UP_MINUTES = 15


def _default_second_factor_roles() -> list[str]:
    return [str(role) for role in DEFAULT_SECOND_FACTOR_ROLES]


class SecurityPolicy(models.Model):
    """A clinic's sign-in policy (one row per clinic; absent means the defaults above)."""

    clinic = models.OneToOneField(Clinic, on_delete=models.PROTECT, related_name="security_policy")
    second_factor_roles = models.JSONField(default=_default_second_factor_roles)
    step_up_minutes = models.PositiveSmallIntegerField(
        default=DEFAULT_STEP_UP_MINUTES, validators=[MinValueValidator(1), MaxValueValidator(720)]
    )
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name_plural = "security policies"
        constraints = [
            models.CheckConstraint(
                name="step_up_minutes_in_range",
                condition=Q(step_up_minutes__gte=1) & Q(step_up_minutes__lte=720),
            )
        ]

    def __str__(self) -> str:
        return f"Security policy of clinic {self.clinic_id}"


class Passkey(models.Model):
    """A WebAuthn credential (a passkey, or a security key) a user signs in with as their
    second factor. Only what verification needs is kept: the credential's id and public key
    (COSE, as the authenticator gave it) and its signature counter; py_webauthn checks the
    ceremonies (``accounts/passkeys.py``)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="passkeys")
    name = models.CharField(max_length=60)
    credential_id = models.CharField(max_length=1400, unique=True)  # base64url, unpadded
    public_key = models.BinaryField()
    sign_count = models.PositiveBigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True)
    aaguid = models.CharField(max_length=36, blank=True)
    backed_up = models.BooleanField(default=False)  # a synced (multi-device) passkey
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="passkey_name_unique_per_user")
        ]

    def __str__(self) -> str:
        return f"Passkey {self.name!r} of {self.user_id}"
