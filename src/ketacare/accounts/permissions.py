"""What each role may do. One table, read by services, selectors, the API and the pages.

Only prescribers order courses and doses and override clinical gates, and only while their
recorded licence is unexpired. Researchers see de-identified data only. A patient reaches
only their own record, through the portal.

Reading is split by what a job needs (HIPAA's minimum necessary, 45 CFR 164.502(b) and
164.514(d)): ``VIEW_PATIENT`` opens the record's demographics, appointments, check-in and
consent status; scale answers and scores (``VIEW_MEASURES``), the care plan and therapy notes
(``VIEW_CARE_PLAN``), the clinical history (``VIEW_CLINICAL_HISTORY``) and the treatment
record (evaluations, sessions, doses, REMS forms, PK, recommendation: ``VIEW_TREATMENT``) each
need their own permission. Front desk holds only the first; a therapist holds what therapy
needs but not the treatment record. ``docs/roles.md`` is generated from this module
(``ketacare manage roles_doc``); a test fails when it is stale.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from ketacare.accounts.models import Role


class Permission(StrEnum):
    VIEW_PATIENT = "view_patient"  # demographics, appointments, check-in and consent status
    VIEW_CLINICAL_HISTORY = "view_clinical_history"
    VIEW_MEASURES = "view_measures"
    VIEW_CARE_PLAN = "view_care_plan"
    VIEW_TREATMENT = "view_treatment"
    REGISTER_PATIENT = "register_patient"
    EDIT_DEMOGRAPHICS = "edit_demographics"
    RECORD_CLINICAL_HISTORY = "record_clinical_history"  # weights, diagnoses, medication trials
    RECORD_EVALUATION = "record_evaluation"
    RECORD_CONSENT = "record_consent"
    MANAGE_CONSENT_DOCUMENTS = "manage_consent_documents"
    ORDER_TREATMENT = "order_treatment"  # courses and doses
    OVERRIDE_CLINICAL_GATE = "override_clinical_gate"
    # Acknowledge a guidance-grade warning with a reason (issue 16.2): licensed clinicians.
    ACKNOWLEDGE_CLINICAL_WARNING = "acknowledge_clinical_warning"
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


# What each permission lets its holder do: docs/roles.md is generated from this.
DESCRIPTIONS: dict[Permission, str] = {
    Permission.VIEW_PATIENT: (
        "Find a patient and read their demographics, appointments (the clinic-day board), "
        "check-in state and consent status; the clinic's protocol library and policies"
    ),
    Permission.VIEW_CLINICAL_HISTORY: (
        "Read diagnoses, medicines, antidepressant trials, weights, prior treatments and "
        "treatment preferences"
    ),
    Permission.VIEW_MEASURES: (
        "Read scale answers and totals (PHQ-9 items, C-SSRS, ...), trajectories, outcome "
        "status, safety alerts, assessments due and maintenance"
    ),
    Permission.VIEW_CARE_PLAN: "Read the care plan, its components and therapy-session notes",
    Permission.VIEW_TREATMENT: (
        "Read evaluations, courses, session records (vitals, observations, adverse events), "
        "doses, REMS forms, the PK curve and the treatment recommendation"
    ),
    Permission.REGISTER_PATIENT: "Register a new patient",
    Permission.EDIT_DEMOGRAPHICS: "Correct a patient's demographics",
    Permission.RECORD_CLINICAL_HISTORY: (
        "Record weights, diagnoses, medicines, antidepressant trials, prior treatments and "
        "preferences"
    ),
    Permission.RECORD_EVALUATION: "Record a screening and eligibility evaluation",
    Permission.RECORD_CONSENT: "Record a patient's consent signature or its withdrawal",
    Permission.MANAGE_CONSENT_DOCUMENTS: "Publish consent document versions",
    Permission.ORDER_TREATMENT: "Order courses and doses, enrol in REMS, adopt a recommendation",
    Permission.OVERRIDE_CLINICAL_GATE: "Override an overridable clinical gate",
    Permission.ACKNOWLEDGE_CLINICAL_WARNING: (
        "Acknowledge a clinical warning (e.g. a pre-dose blood pressure above the warning "
        "threshold) with a reason, so the session may proceed; needs a current licence"
    ),
    Permission.CHECK_IN: "Check a patient in for a session, or cancel a scheduled one",
    Permission.RECORD_SESSION_OBSERVATIONS: (
        "Record vitals, MOAA/S, CADSS, adverse events and REMS monitoring forms"
    ),
    Permission.ADMINISTER_DOSE: "Record a dose given and draw stock for it",
    Permission.DISCHARGE: "Discharge a patient after observation",
    Permission.RECORD_ASSESSMENT: (
        "Record a scale assessment or safety assessment; send a self-report link"
    ),
    Permission.MANAGE_PLAN: "Write the care plan and record therapy sessions",
    Permission.ACKNOWLEDGE_ALERT: "See and acknowledge the clinic's open safety alerts",
    Permission.MANAGE_INVENTORY: (
        "Controlled-substance stock: receive, return, correct, count, read the ledger, "
        "resolve discrepancies"
    ),
    Permission.WITNESS_WASTE: "Witness controlled-substance waste",
    Permission.MANAGE_PROTOCOLS: "Publish protocol versions and clinic policy",
    Permission.MANAGE_USERS: "List users, revoke their tokens, reset second factors, deactivate",
    Permission.VIEW_AUDIT: "Read the audit trail",
    Permission.EXPORT_DEIDENTIFIED: "Export and summarise de-identified research data",
    Permission.USE_CLINICAL_TOOLS: (
        "Stateless tools holding no patient data: scale scoring, PK simulation"
    ),
    Permission.USE_PORTAL: "The patient's own portal: their self-reports, plan and consents",
}

# Every clinician reads the record and the history and may use the stateless tools.
_CLINICAL_READ = {
    Permission.VIEW_PATIENT,
    Permission.VIEW_CLINICAL_HISTORY,
    Permission.VIEW_MEASURES,
    Permission.VIEW_CARE_PLAN,
    Permission.USE_CLINICAL_TOOLS,
}

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
            Permission.ACKNOWLEDGE_CLINICAL_WARNING,
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
            Permission.VIEW_TREATMENT,
        }
    ),
    Role.NURSE: frozenset(
        _CLINICAL_READ
        | {
            Permission.VIEW_TREATMENT,
            Permission.ACKNOWLEDGE_CLINICAL_WARNING,
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
    # Therapy needs scores and trajectories, the plan and its own notes, and the diagnoses
    # and medicines; not the treatment record (doses, sessions, evaluations, PK) nor
    # anything controlled-substance.
    Role.THERAPIST: frozenset(
        _CLINICAL_READ
        | {
            Permission.RECORD_ASSESSMENT,
            Permission.MANAGE_PLAN,
            Permission.ACKNOWLEDGE_ALERT,
        }
    ),
    # Registering and checking in: demographics, appointments, consent status; nothing
    # clinical.
    Role.FRONT_DESK: frozenset(
        {
            Permission.VIEW_PATIENT,
            Permission.REGISTER_PATIENT,
            Permission.EDIT_DEMOGRAPHICS,
            Permission.CHECK_IN,
        }
    ),
    # Running the clinic: users, protocols, consent documents, stock, the audit trail; the
    # record's demographics and consent status, not its clinical content.
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

# Why each role holds what it holds (docs/roles.md).
ROLE_SUMMARIES: dict[str, str] = {
    Role.PRESCRIBER: (
        "Evaluates, orders courses and doses, overrides gates (licence current, recent second "
        "factor); reads the whole record and the audit trail."
    ),
    Role.NURSE: (
        "Runs the session chair-side (check-in, vitals, dose, observation, discharge), "
        "records history and assessments, keeps the controlled-substance stock; reads the "
        "whole record; orders nothing, overrides nothing."
    ),
    Role.THERAPIST: (
        "Therapy and integration: scale scores and trajectories, safety alerts, the care plan "
        "and its own therapy notes, the diagnoses and medicines. Not the treatment record "
        "(evaluations, session records, doses, PK, recommendation) nor controlled "
        "substances; orders nothing, overrides nothing."
    ),
    Role.FRONT_DESK: (
        "Registers patients, corrects demographics, checks in and cancels: demographics, "
        "appointments, check-in state and consent status only; never scale answers, "
        "evaluations, doses, session records, notes, PK or recommendations."
    ),
    Role.CLINIC_ADMIN: (
        "Runs the clinic: users, protocols and policies, consent documents, stock, the audit "
        "trail; the record's demographics and consent status, not its clinical content."
    ),
    Role.RESEARCHER: "De-identified exports and summaries only; nothing identified.",
    Role.PATIENT: "Their own portal only: self-reports, their plan, their consents.",
}

# What a route or page about one's own sign-in declares (step-up, sign-out, one's own
# tokens and account page): every signed-in user holds it.
SIGNED_IN = "signed_in"


def holds(user, permission: Permission | str) -> bool:
    """``has_permission``, with ``SIGNED_IN`` held by every active signed-in user."""
    if permission == SIGNED_IN:
        return bool(user is not None and getattr(user, "is_authenticated", False))
    return has_permission(user, Permission(permission))


# Permissions that act on a licence: refused when the prescriber's licence has lapsed.
LICENSED_PERMISSIONS = frozenset(
    {
        Permission.ORDER_TREATMENT,
        Permission.OVERRIDE_CLINICAL_GATE,
        Permission.ACKNOWLEDGE_CLINICAL_WARNING,
    }
)


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
        if permission in LICENSED_PERMISSIONS and permission in ROLE_PERMISSIONS.get(
            getattr(user, "role", ""), frozenset()
        ):
            raise PermissionDenied(
                "Acknowledging a clinical warning needs a licence on record as current; "
                "update it on your account first.",
                code="licence_not_current",
            )
        raise PermissionDenied()
