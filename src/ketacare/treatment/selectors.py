"""Reads of courses, sessions and their records. ``access_session`` is the only way a view or
handler gets a session: permission, the actor's clinic, the same ``NotFound`` for absent and
not-yours, and a read audit entry. ``list_dose_events`` serves the outcomes engine."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Prefetch

from ketacare.access import NotFound
from ketacare.accounts.models import User
from ketacare.accounts.permissions import Permission, require_permission
from ketacare.audit.services import record_read
from ketacare.clinical.outcomes.definitions import DoseEvent
from ketacare.clinical.session.rems import rems_form_overdue
from ketacare.patients.models import Patient
from ketacare.treatment.models import (
    Course,
    DoseAdministration,
    RemsForm,
    RemsPatientEnrollment,
    SessionObservation,
    TreatmentSession,
    VitalsReading,
)


def list_dose_events(patient: Patient) -> list[DoseEvent]:
    """Every dose the patient was given, oldest first, as the outcomes engine's ``DoseEvent``.
    No permission check or audit: call it from a service or selector that accessed the
    patient."""
    rows = DoseAdministration.objects.filter(session__patient=patient).order_by("started_at", "id")
    return [DoseEvent(given_at=row.started_at, dose_id=str(row.pk)) for row in rows]


def _session_queryset():
    return TreatmentSession.objects.select_related(
        "course", "course__protocol_version", "patient", "clinic", "prescriber_on_site"
    ).prefetch_related(
        Prefetch("vitals", queryset=VitalsReading.objects.order_by("taken_at", "id")),
        Prefetch("observations", queryset=SessionObservation.objects.order_by("observed_at", "id")),
        "adverse_events",
        "overrides",
    )


def access_session(actor: User, session_id: int, *, purpose: str = "session") -> TreatmentSession:
    require_permission(actor, Permission.VIEW_PATIENT)
    session = _session_queryset().filter(pk=session_id).filter(clinic_id=actor.clinic_id).first()
    if session is None:
        raise NotFound("session")
    record_read(actor=actor, target=session, patient_id=session.patient_id, summary=purpose)
    return session


def load_session_for_update(session_id: int) -> TreatmentSession:
    """The session row locked for a service's transition (relations loaded)."""
    TreatmentSession.objects.select_for_update().filter(pk=session_id).first()
    return _session_queryset().get(pk=session_id)


def dose_of(session: TreatmentSession) -> DoseAdministration | None:
    return DoseAdministration.objects.filter(session=session).first()


def list_course_sessions(course: Course) -> list[TreatmentSession]:
    return list(course.sessions.order_by("number"))


def rems_enrolled(patient: Patient, as_of: datetime) -> bool:
    return RemsPatientEnrollment.objects.filter(patient=patient, enrolled_at__lte=as_of).exists()


def access_rems_form(actor: User, session_id: int) -> RemsForm:
    session = access_session(actor, session_id, purpose="REMS monitoring form")
    form = RemsForm.objects.filter(session=session).first()
    if form is None:
        raise NotFound("REMS monitoring form")
    return form


def rems_form_status(form: RemsForm, as_of: datetime) -> dict[str, Any]:
    return {
        "due_at": form.due_at,
        "submitted_at": form.submitted_at,
        "overdue": rems_form_overdue(form.session_completed_at, form.submitted_at, as_of),
    }


def list_pending_rems_forms(actor: User) -> list[RemsForm]:
    """The clinic's REMS monitoring forms not yet marked submitted, oldest first."""
    require_permission(actor, Permission.VIEW_PATIENT)
    forms = list(
        RemsForm.objects.filter(clinic_id=actor.clinic_id, submitted_at__isnull=True)
        .select_related("session", "session__patient")
        .order_by("due_at", "id")
    )
    record_read(
        actor=actor,
        target=("treatment.RemsForm", "pending"),
        summary=f"pending REMS forms: {len(forms)}",
    )
    return forms
