"""What the portal shows a patient. Every function starts from ``access_own_patient`` (or a
selector built on it), so a patient login reaches only its own record, and each page view
leaves one read entry in the audit trail."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone

from ketacare.accounts.models import User
from ketacare.careplans.models import CarePlan
from ketacare.careplans.selectors import access_own_plan
from ketacare.clinical.scales import Instrument, get_instrument
from ketacare.consent.selectors import PatientConsentDocument, list_consent_documents_for_patient
from ketacare.measures.selectors import assessments_due, trajectory_for
from ketacare.patients.models import Patient
from ketacare.patients.selectors import access_own_patient
from ketacare.treatment.models import TreatmentSession

# Offered in the portal because their response labels are public and shippable; QIDS-SR16
# and others ship only neutral labels, which a patient cannot answer from, so they stay with
# the clinic's own forms.
PORTAL_INSTRUMENTS = ("phq9", "gad7")


@dataclass
class PortalHome:
    patient: Patient
    crisis_text: str
    plan: CarePlan | None
    assessments_due: list[Any] = field(default_factory=list)
    upcoming_sessions: list[Any] = field(default_factory=list)
    trajectory: dict[str, Any] | None = None


def portal_instrument(code: str) -> Instrument | None:
    """The instrument spec for a portal self-report, or ``None`` if not offered here."""
    if code not in PORTAL_INSTRUMENTS:
        return None
    return get_instrument(code)


@dataclass(frozen=True, slots=True)
class DueQuestionnaire:
    instrument: str
    label: str
    due_until: datetime | None
    in_portal: bool  # PHQ-9 and GAD-7 are answered here; others with the clinic


@dataclass(frozen=True, slots=True)
class UpcomingSession:
    scheduled_at: datetime
    label: str
    esketamine: bool  # the fasting instructions on the education page apply


UPCOMING_SESSIONS_SHOWN = 5


def upcoming_sessions(patient: Patient, as_of: datetime) -> list[UpcomingSession]:
    """The patient's next booked dosing sessions. Read-only and scoped to this patient; the
    treatment app has no patient-facing list selector yet, so the portal reads its rows here."""
    rows = (
        TreatmentSession.objects.filter(patient=patient, state="scheduled", scheduled_at__gte=as_of)
        .select_related("course")
        .order_by("scheduled_at", "id")[:UPCOMING_SESSIONS_SHOWN]
    )
    return [
        UpcomingSession(
            scheduled_at=row.scheduled_at,
            label=f"{row.course.drug.capitalize()} session {row.number}",
            esketamine=row.course.drug == "esketamine",
        )
        for row in rows
    ]


def portal_home(actor: User, *, as_of: datetime | None = None) -> PortalHome:
    now = as_of or timezone.now()
    patient, plan = access_own_plan(actor)
    due = [
        DueQuestionnaire(
            instrument=d.instrument,
            label=get_instrument(d.instrument).short_name,
            due_until=d.due_until,
            in_portal=d.instrument in PORTAL_INSTRUMENTS,
        )
        for d in assessments_due(patient, now)
    ]
    return PortalHome(
        patient=patient,
        crisis_text=patient.clinic.crisis_text,
        plan=plan,
        assessments_due=due,
        upcoming_sessions=upcoming_sessions(patient, now),
        trajectory=trajectory_for(patient, as_of=now).get("phq9"),
    )


def own_plan(actor: User) -> tuple[Patient, CarePlan | None]:
    return access_own_plan(actor)


def own_consent_documents(
    actor: User, *, as_of: datetime | None = None
) -> tuple[Patient, list[PatientConsentDocument]]:
    patient = access_own_patient(actor)
    return patient, list_consent_documents_for_patient(patient, as_of=as_of or timezone.now())


def invited_login(uidb64: str, token: str) -> User | None:
    """The portal login an activation link names, if the link is still valid (not used,
    not expired, not replaced by a newer invitation); ``None`` otherwise."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_str
    from django.utils.http import urlsafe_base64_decode

    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (ValueError, TypeError, OverflowError):
        return None
    user = User.objects.filter(pk=pk, role="patient", is_active=True).first()
    if user is None or not default_token_generator.check_token(user, token):
        return None
    return user
