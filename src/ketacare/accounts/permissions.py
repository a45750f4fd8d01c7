"""What each role may do. One table, read by services, selectors, the API and the pages.

Only prescribers order courses and doses and override clinical gates, and only while their
recorded licence is unexpired. Researchers see de-identified data only. A patient reaches
only their own record, through the portal.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from ketacare.accounts.models import Role


class Permission(StrEnum):
    VIEW_PATIENT = "view_patient"
    REGISTER_PATIENT = "register_patient"
    EDIT_DEMOGRAPHICS = "edit_demographics"
    RECORD_CLINICAL_HISTORY = "record_clinical_history"  # weights, diagnoses, medication trials
    RECORD_EVALUATION = "record_evaluation"
    RECORD_CONSENT = "record_consent"
    MANAGE_CONSENT_DOCUMENTS = "manage_consent_documents"
    ORDER_TREATMENT = "order_treatment"  # courses and doses
    OVERRIDE_CLINICAL_GATE = "override_clinical_gate"
    CHECK_IN = "check_in"
    RECORD_SESSION_OBSERVATIONS = "record_session_observations"  # vitals, CADSS, MOAA/S, AEs
    ADMINISTER_DOSE = "administer_dose"
    DISCHARGE = "discharge"
    RECORD_ASSESSMENT = "record_assessment"
    MANAGE_PLAN = "manage_plan"
    ACKNOWLEDGE_ALERT = "acknowledge_alert"
    MANAGE_INVENTORY = "manage_inventory"
    WITNESS_WASTE = "witness_waste"
    MANAGE_PROTOCOLS = "manage_protocols"
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT = "view_audit"
    EXPORT_DEIDENTIFIED = "export_deidentified"
    USE_CLINICAL_TOOLS = "use_clinical_tools"  # stateless scoring, PK simulation
    USE_PORTAL = "use_portal"


_CLINICAL_READ = {Permission.VIEW_PATIENT, Permission.USE_CLINICAL_TOOLS}

ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    Role.PRESCRIBER: frozenset(
        _CLINICAL_READ
        | {
            Permission.REGISTER_PATIENT,
            Permission.EDIT_DEMOGRAPHICS,
            Permission.RECORD_CLINICAL_HISTORY,
            Permission.RECORD_EVALUATION,
            Permission.RECORD_CONSENT,
            Permission.ORDER_TREATMENT,
            Permission.OVERRIDE_CLINICAL_GATE,
            Permission.CHECK_IN,
            Permission.RECORD_SESSION_OBSERVATIONS,
            Permission.ADMINISTER_DOSE,
            Permission.DISCHARGE,
            Permission.RECORD_ASSESSMENT,
            Permission.MANAGE_PLAN,
            Permission.ACKNOWLEDGE_ALERT,
            Permission.MANAGE_INVENTORY,
            Permission.WITNESS_WASTE,
            Permission.VIEW_AUDIT,
        }
    ),
    Role.NURSE: frozenset(
        _CLINICAL_READ
        | {
            Permission.RECORD_CLINICAL_HISTORY,
            Permission.RECORD_CONSENT,
            Permission.CHECK_IN,
            Permission.RECORD_SESSION_OBSERVATIONS,
            Permission.ADMINISTER_DOSE,
            Permission.DISCHARGE,
            Permission.RECORD_ASSESSMENT,
            Permission.ACKNOWLEDGE_ALERT,
            Permission.MANAGE_INVENTORY,
            Permission.WITNESS_WASTE,
        }
    ),
    Role.THERAPIST: frozenset(
        _CLINICAL_READ
        | {
            Permission.RECORD_ASSESSMENT,
            Permission.MANAGE_PLAN,
            Permission.ACKNOWLEDGE_ALERT,
        }
    ),
    Role.FRONT_DESK: frozenset(
        {
            Permission.VIEW_PATIENT,
            Permission.REGISTER_PATIENT,
            Permission.EDIT_DEMOGRAPHICS,
            Permission.CHECK_IN,
        }
    ),
    Role.CLINIC_ADMIN: frozenset(
        {
            Permission.VIEW_PATIENT,
            Permission.MANAGE_CONSENT_DOCUMENTS,
            Permission.MANAGE_PROTOCOLS,
            Permission.MANAGE_USERS,
            Permission.VIEW_AUDIT,
            Permission.MANAGE_INVENTORY,
        }
    ),
    Role.RESEARCHER: frozenset({Permission.EXPORT_DEIDENTIFIED, Permission.USE_CLINICAL_TOOLS}),
    Role.PATIENT: frozenset({Permission.USE_PORTAL}),
}

# Permissions that act on a licence: refused when the prescriber's licence has lapsed.
LICENSED_PERMISSIONS = frozenset({Permission.ORDER_TREATMENT, Permission.OVERRIDE_CLINICAL_GATE})


class PermissionDenied(Exception):
    code = "permission_denied"

    def __init__(
        self, message: str = "You do not have permission to do this.", code: str | None = None
    ):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


def licence_is_current(user, today: date) -> bool:
    return (
        bool(user.license_number)
        and user.license_expiry is not None
        and user.license_expiry >= today
    )


def has_permission(user, permission: Permission, *, today: date | None = None) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if permission not in ROLE_PERMISSIONS.get(user.role, frozenset()):
        return False
    if permission in LICENSED_PERMISSIONS:
        from django.utils import timezone

        return licence_is_current(user, today or timezone.localdate())
    return True


# Acts that need a recent second-factor check as well (a step-up, issue 14).
STEP_UP_PERMISSIONS = frozenset({Permission.OVERRIDE_CLINICAL_GATE})


def require_permission(user, permission: Permission) -> None:
    """Refuse (``PermissionDenied``) unless ``user`` may do this now; for a gate override,
    also unless their last second-factor check is recent enough."""
    if has_permission(user, permission):
        if permission in STEP_UP_PERMISSIONS:
            from ketacare.accounts.second_factor import require_recent_second_factor

            require_recent_second_factor(user)
        return
    if not has_permission(user, permission):
        is_prescriber = user is not None and getattr(user, "role", "") == Role.PRESCRIBER
        if permission in LICENSED_PERMISSIONS and is_prescriber:
            raise PermissionDenied(
                "Your prescriber licence is not on record as current; update it before ordering "
                "or overriding.",
                code="licence_not_current",
            )
        raise PermissionDenied()
