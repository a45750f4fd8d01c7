"""Reads of courses, sessions and their records. ``access_session`` is the only way a view or
handler gets a session: permission, the actor's clinic, the same ``NotFound`` for absent and
not-yours, and a read audit entry. ``list_dose_events`` serves the outcomes engine.

A session is an appointment as well as a treatment record: ``VIEW_PATIENT`` (front desk)
reaches the appointment (time, chair, state, the steps open), ``VIEW_TREATMENT`` its records
(dose, vitals, observations, adverse events, overrides, safety assessments, screening,
blockers). ``session_read`` answers the part the actor may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from ketacare.access import NotFound
from ketacare.accounts.models import User
from ketacare.accounts.permissions import Permission, has_permission, require_permission
from ketacare.audit.services import record_read
from ketacare.clinical.outcomes.definitions import DoseEvent
from ketacare.clinical.session.rems import rems_form_due_at, rems_form_overdue
from ketacare.compiled_reads import CompiledRead, Slot, attach_children, slot
from ketacare.patients.models import Patient
from ketacare.read_scope import shared_read
from ketacare.treatment.models import (
    Course,
    DoseAdministration,
    RemsForm,
    SafetyAssessment,
    SessionObservation,
    TreatmentSession,
    VitalsReading,
)


def _sessions_with_dose():
    return TreatmentSession.objects.select_related("dose").order_by("number")


# The chart's courses and their sessions, compiled to SQL once per connection
# (compiled_reads.py): the sessions are those of the patient's courses, as the prefetch of
# ``Prefetch("sessions", _sessions_with_dose())`` would read them.
_COURSES = CompiledRead(
    lambda: (
        Course.objects.filter(patient_id=slot(Course, "patient"))
        .select_related("protocol_version")
        .order_by("-start_at", "-id")
    )
)
_COURSE_SESSIONS = CompiledRead(
    lambda: _sessions_with_dose().filter(course__patient_id=slot(Course, "patient"))
)


@shared_read
def courses_with_sessions(patient: Patient) -> list[Course]:
    """The patient's courses, newest first, with their protocol version and their sessions in
    order, each with its dose when one was given (``dose_given``): two queries. No permission
    check or audit: callers accessed the patient."""
    courses = _COURSES.rows(patient=patient.pk)
    if courses:
        sessions = _COURSE_SESSIONS.rows(patient=patient.pk)
        attach_children(courses, "sessions", sessions, _sessions_with_dose())
    return courses


def dose_given(session: TreatmentSession) -> DoseAdministration | None:
    """The session's dose from a row loaded with ``select_related("dose")``; None if none."""
    return getattr(session, "dose", None)  # a missing one-to-one raises an AttributeError


_DOSES_OF_PATIENT = CompiledRead(
    lambda: DoseAdministration.objects.filter(
        session__patient_id=slot(TreatmentSession, "patient")
    ).order_by("started_at", "id")
)


@shared_read
def list_dose_events(patient: Patient) -> list[DoseEvent]:
    """Every dose the patient was given, oldest first, as the outcomes engine's ``DoseEvent``.
    No permission check or audit: call it from a service or selector that accessed the
    patient."""
    rows = _DOSES_OF_PATIENT.rows(patient=patient.pk)
    return [DoseEvent(given_at=row.started_at, dose_id=str(row.pk)) for row in rows]


def _session_queryset():
    return TreatmentSession.objects.select_related(
        "course", "course__protocol_version", "patient", "clinic", "prescriber_on_site"
    ).prefetch_related(
        Prefetch("vitals", queryset=VitalsReading.objects.current().order_by("taken_at", "id")),
        Prefetch("observations", queryset=SessionObservation.objects.order_by("observed_at", "id")),
        "adverse_events",
        "overrides",
        Prefetch(
            "safety_assessments",
            queryset=SafetyAssessment.objects.select_related("created_by").order_by(
                "assessed_at", "id"
            ),
        ),
    )


def current_vitals(session: TreatmentSession) -> list[VitalsReading]:
    """The session's readings that no correction superseded, oldest first: the ones every
    gate, the due checks, the discharge and the REMS form read. Uses the rows
    ``access_session`` prefetched (already only the current ones) when present."""
    cached = getattr(session, "_prefetched_objects_cache", {}).get("vitals")
    if cached is not None:
        return list(cached)
    return list(session.vitals.current().order_by("taken_at", "id"))


def superseded_vitals(session: TreatmentSession) -> list[VitalsReading]:
    """The session's readings taken back as mistyped, with their corrections (shown struck
    through on the run sheet, never to a gate)."""
    return list(
        VitalsReading.objects.filter(session=session, correction__isnull=False)
        .select_related("correction", "correction__created_by")
        .order_by("taken_at", "id")
    )


def access_session(actor: User, session_id: int, *, purpose: str = "session") -> TreatmentSession:
    """The session as an appointment (``VIEW_PATIENT``); what of its record the actor sees is
    ``session_read``'s business, and every write's service checks its own permission."""
    require_permission(actor, Permission.VIEW_PATIENT)
    session = _session_queryset().filter(pk=session_id).filter(clinic_id=actor.clinic_id).first()
    if session is None:
        raise NotFound("session")
    record_read(actor=actor, target=session, patient_id=session.patient_id, summary=purpose)
    return session


def access_course(actor: User, course_id: int, *, purpose: str = "course") -> Course:
    require_permission(actor, Permission.VIEW_TREATMENT)
    course = (
        Course.objects.select_related("protocol_version", "patient")
        .filter(pk=course_id)
        .filter(clinic_id=actor.clinic_id)
        .first()
    )
    if course is None:
        raise NotFound("course")
    record_read(actor=actor, target=course, patient_id=course.patient_id, summary=purpose)
    return course


# What a vitals write reads: the session's state, clinic and patient, and the protocol
# version's parameters (the thresholds). Fewer columns is less SQL to build and fewer values
# to convert on the clinic day's busiest write.
_VITALS_WRITE_FIELDS = (
    "state",
    "clinic_id",
    "patient_id",
    "patient__created_at",  # a reading cannot predate the patient's registration
    "course__protocol_version__clinic_id",
    "course__protocol_version__parameters",
)


# The busiest write's read: compiled to SQL once per connection (compiled_reads.py).
_LOCK_FOR_VITALS = CompiledRead(
    lambda: (
        TreatmentSession.objects.select_for_update(of=("self",))
        .select_related("course__protocol_version", "patient")
        .only(*_VITALS_WRITE_FIELDS)
        .filter(pk=Slot("id", TreatmentSession._meta.pk))
        .filter(clinic_id=Slot("clinic", TreatmentSession._meta.get_field("clinic").target_field))
        .order_by("pk")[:1]
    )
)


def lock_session_for_vitals(actor: User, session_id: int) -> TreatmentSession:
    """The session row locked for a vitals write, with its course and protocol version (the
    clinic's alert thresholds) and nothing else: ``assess_vitals`` needs no earlier readings.

    The same permission, clinic filter and ``NotFound`` as ``access_session``, but no read
    entry: the write's own audit entry records the request. ``of=("self",)`` locks only the
    session row on PostgreSQL, not the course and protocol rows joined in (SQLite ignores
    row locks: its writes are serialised by the database lock)."""
    require_permission(actor, Permission.VIEW_PATIENT)
    session = _LOCK_FOR_VITALS.first(id=session_id, clinic=actor.clinic_id)
    if session is None:
        raise NotFound("session")
    return session


def load_session_for_update(session_id: int) -> TreatmentSession:
    """The session row locked for a service's transition (relations loaded)."""
    TreatmentSession.objects.select_for_update().filter(pk=session_id).first()
    return _session_queryset().get(pk=session_id)


@shared_read
def dose_of(session: TreatmentSession) -> DoseAdministration | None:
    return DoseAdministration.objects.filter(session=session).first()


def list_course_sessions(course: Course) -> list[TreatmentSession]:
    return list(course.sessions.order_by("number"))


def access_rems_form(actor: User, session_id: int) -> RemsForm:
    require_permission(actor, Permission.VIEW_TREATMENT)
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


@dataclass(frozen=True, slots=True)
class PendingRemsForm:
    """One REMS monitoring form waiting to be submitted: ``status`` is ``incomplete`` (answers
    missing, listed in ``missing``) or ``ready_to_submit`` (complete, not yet submitted);
    ``overdue`` after the 7-day deadline (S6b)."""

    form: RemsForm
    session_id: int
    patient_id: int
    patient_name: str
    treatment_date: date
    due_at: datetime
    overdue: bool
    days_overdue: int
    complete: bool
    missing: tuple[str, ...]
    version: int

    @property
    def pk(self) -> int:
        return self.form.pk

    @property
    def status(self) -> str:
        return "ready_to_submit" if self.complete else "incomplete"


_PENDING_REMS_FORMS = CompiledRead(
    lambda: (
        RemsForm.objects.filter(clinic_id=slot(RemsForm, "clinic"), submitted_at__isnull=True)
        .select_related("session__patient")
        .order_by("due_at", "id")
    )
)


def pending_rems_forms(clinic: Any, as_of: datetime) -> list[PendingRemsForm]:
    """The clinic's REMS monitoring forms not yet marked submitted, oldest deadline first,
    each with its status and lateness at ``as_of`` (one query; no permission check or audit:
    call it from a view or selector that has checked the actor, e.g.
    ``list_pending_rems_forms``)."""
    clinic_id = getattr(clinic, "pk", clinic)
    rows = _PENDING_REMS_FORMS.rows(clinic=clinic_id)
    pending = []
    for form in rows:
        patient = form.session.patient
        overdue = rems_form_overdue(form.session_completed_at, None, as_of)
        late = as_of - rems_form_due_at(form.session_completed_at)
        pending.append(
            PendingRemsForm(
                form=form,
                session_id=form.session_id,
                patient_id=patient.pk,
                patient_name=f"{patient.family_name}, {patient.given_name}",
                treatment_date=timezone.localtime(form.session_completed_at).date(),
                due_at=form.due_at,
                overdue=overdue,
                # Started days past the deadline: one second late is one day overdue.
                days_overdue=-(-late // timedelta(days=1)) if overdue else 0,
                complete=bool(form.data.get("complete")),
                missing=tuple(form.data.get("missing", ())),
                version=form.version,
            )
        )
    return pending


def list_pending_rems_forms(actor: User, *, as_of: datetime | None = None) -> list[PendingRemsForm]:
    """The actor's clinic's pending REMS monitoring forms (the read is audited once)."""
    require_permission(actor, Permission.VIEW_TREATMENT)
    forms = pending_rems_forms(actor.clinic_id, as_of or timezone.now())
    record_read(
        actor=actor,
        target=("treatment.RemsForm", "pending"),
        summary=f"pending REMS forms: {len(forms)}",
    )
    return forms


def _finding_dicts(findings) -> list[dict[str, Any]]:
    return [f.as_dict() for f in findings]


def session_status(session: TreatmentSession, as_of: datetime) -> dict[str, Any]:
    """What stands before the session's next step now (the same core gates the services run),
    the vital-sign checks due since the dose, and the session's timeline.

    Before clearance and dosing: the clearance gate. In observation: discharge readiness
    except the clinician's readiness, which the discharge request itself records. Missing
    set-up (no clinic policy, no pre-dose MOAA/S) is reported as a non-overridable item."""
    from ketacare.clinical.errors import InvalidClinicalInput
    from ketacare.clinical.session.checks import check_clear
    from ketacare.clinical.session.discharge import assess_discharge_readiness
    from ketacare.clinical.session.monitoring import esketamine_schedule, vitals_due
    from ketacare.clinical.session.states import SessionState, allowed_transitions
    from ketacare.protocols.mappers import session_route
    from ketacare.treatment.context import (
        clearance_for,
        discharge_context,
        observation_anchor_time,
        setup_for,
    )

    blockers: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    acknowledgments: list[dict[str, Any]] = []
    due: list[dict[str, Any]] = []
    dose = dose_of(session)
    try:
        setup = setup_for(session.course.protocol_version)
        policy = setup.session
        if session.state in (SessionState.CHECKED_IN, SessionState.CLEARED):
            decision = check_clear(clearance_for(session, setup, as_of), policy, as_of=as_of)
            blockers, warnings = (
                _finding_dicts(decision.blockers),
                _finding_dicts(decision.warnings),
            )
            acknowledgments = _finding_dicts(decision.acknowledgments)
        elif session.state == SessionState.OBSERVATION:
            ctx = discharge_context(session, setup, clinician_ready=True)
            decision = assess_discharge_readiness(ctx, policy, as_of=as_of)
            blockers, warnings = (
                _finding_dicts(decision.blockers),
                _finding_dicts(decision.warnings),
            )
        if dose is not None and session.state in (SessionState.DOSING, SessionState.OBSERVATION):
            route = session_route(setup.protocol.route)
            schedule = (
                esketamine_schedule(tolerance_min=policy.vitals_tolerance_min)
                if setup.protocol.device_interval_min is not None
                else policy.schedule_for(route)
            )
            if schedule is not None:
                checks = vitals_due(
                    route,
                    observation_anchor_time(dose, setup)
                    if setup.protocol.device_interval_min is not None
                    else dose.started_at,
                    [v.taken_at for v in current_vitals(session)],
                    schedule,
                    as_of,
                ).checks
                due = [
                    {
                        "minutes_after_start": c.minutes_after_start,
                        "due_at": c.due_at,
                        "status": c.status.value,
                    }
                    for c in checks
                ]
    except InvalidClinicalInput as exc:
        blockers.append(
            {"code": exc.code, "message": exc.message, "source": None, "overridable": False}
        )
    return {
        "allowed_next": sorted(s.value for s in allowed_transitions(session.state)),
        "blockers": blockers,
        "warnings": warnings,
        "acknowledgments": acknowledgments,
        "vitals_due": due,
        "timeline": timeline(session, dose),
    }


def timeline(session: TreatmentSession, dose: DoseAdministration | None) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = [
        {"at": session.scheduled_at, "kind": "scheduled", "summary": "session scheduled"}
    ]
    for field, kind in (
        ("checked_in_at", "checked_in"),
        ("cleared_at", "cleared"),
        ("dosing_started_at", "dosing"),
        ("observation_started_at", "observation"),
        ("discharged_at", "discharged"),
    ):
        when = getattr(session, field)
        if when is not None:
            entries.append({"at": when, "kind": kind, "summary": kind.replace("_", " ")})
    if session.ended_at is not None:
        entries.append(
            {"at": session.ended_at, "kind": session.state, "summary": session.end_reason}
        )
    for v in current_vitals(session):
        alerts = ", ".join(a["code"] for a in v.alerts)
        entries.append(
            {
                "at": v.taken_at,
                "kind": "vitals",
                "summary": f"BP {v.systolic_mmhg}/{v.diastolic_mmhg}, HR {v.heart_rate_bpm}, "
                f"SpO2 {v.spo2_percent}%, RR {v.respiratory_rate_per_min}"
                + (f" (alerts: {alerts})" if alerts else ""),
            }
        )
    for o in session.observations.all():
        entries.append(
            {"at": o.observed_at, "kind": o.scale, "summary": f"{o.scale.upper()} total {o.total}"}
        )
    for e in session.adverse_events.all():
        entries.append(
            {
                "at": e.onset_at,
                "kind": "adverse_event",
                "summary": f"{e.event_type} ({e.severity}): {e.action_taken}; {e.outcome}",
            }
        )
    for o in session.overrides.all():
        entries.append(
            {"at": o.created_at, "kind": "override", "summary": f"{', '.join(o.codes)}: {o.reason}"}
        )
    for a in session.safety_assessments.all():
        entries.append(
            {
                "at": a.assessed_at,
                "kind": "safety_assessment",
                "summary": f"safety assessment ({a.get_outcome_display()}): {a.notes}",
            }
        )
    if dose is not None:
        entries.append(
            {"at": dose.started_at, "kind": "dose", "summary": f"{dose.dose_mg} mg {dose.route}"}
        )
    return sorted(entries, key=lambda e: e["at"])


def may_read_treatment(actor: User) -> bool:
    """Whether ``actor`` sees a session's records, not only the appointment."""
    return has_permission(actor, Permission.VIEW_TREATMENT)


def session_read(session: TreatmentSession, as_of: datetime, *, actor: User) -> dict[str, Any]:
    """The session as the API and pages show it (records, state, blockers, timeline); for an
    actor without ``VIEW_TREATMENT`` the appointment only (``view`` says which): when, which
    chair, the state and the steps open, with every record left empty."""
    if not may_read_treatment(actor):
        return appointment_read(session)
    status = session_status(session, as_of)
    return {
        "view": "full",
        "id": session.pk,
        "course_id": session.course_id,
        "patient_id": session.patient_id,
        "number": session.number,
        "course_week": session.course_week,
        "protocol_code": session.course.protocol_code,
        "route": session.course.route,
        "state": session.state,
        "scheduled_at": session.scheduled_at,
        "chair": session.chair,
        "dose": dose_of(session),
        "vitals": current_vitals(session),
        "observations": list(session.observations.all()),
        "adverse_events": list(session.adverse_events.all()),
        "overrides": list(session.overrides.all()),
        "safety_assessments": list(session.safety_assessments.all()),
        "same_day_screening": _screening(session, as_of),
        **status,
    }


def appointment_read(session: TreatmentSession) -> dict[str, Any]:
    """A session as front desk sees it: no clinical record, no gate findings."""
    from ketacare.clinical.session.states import SessionState, allowed_transitions

    return {
        "view": "appointment",
        "id": session.pk,
        "course_id": session.course_id,
        "patient_id": session.patient_id,
        "number": session.number,
        "course_week": session.course_week,
        "protocol_code": session.course.protocol_code,
        "route": session.course.route,
        "state": session.state,
        "scheduled_at": session.scheduled_at,
        "chair": session.chair,
        "allowed_next": sorted(s.value for s in allowed_transitions(SessionState(session.state))),
        "blockers": [], "warnings": [], "vitals_due": [], "timeline": [], "dose": None,
        "vitals": [], "observations": [], "adverse_events": [], "overrides": [],
        "safety_assessments": [], "same_day_screening": None,
    }  # fmt: skip


def _screening(session: TreatmentSession, as_of: datetime) -> dict[str, Any] | None:
    """Today's suicide-risk screening, shown until the dose (what the gate reads)."""
    from ketacare.clinical.session.states import SessionState
    from ketacare.treatment.context import same_day_screening

    if session.state not in (
        SessionState.SCHEDULED,
        SessionState.CHECKED_IN,
        SessionState.CLEARED,
    ):
        return None
    return same_day_screening(session.patient, as_of).as_dict()


def course_read(course: Course) -> dict[str, Any]:
    return {
        "id": course.pk,
        "patient_id": course.patient_id,
        "protocol_code": course.protocol_code,
        "protocol_version": course.protocol_version.version,
        "route": course.route,
        "drug": course.drug,
        "start_at": course.start_at,
        "planned_sessions": course.planned_sessions,
        "mg_per_kg": course.mg_per_kg,
        "dose_mg": course.dose_mg,
        "status": course.status,
        "override_codes": course.override_codes,
        "warnings": course.warnings,
        "sessions": list_course_sessions(course),
        "efficacy_reviews": list(course.efficacy_reviews.order_by("reviewed_at", "id")),
    }


def rems_form_read(form: RemsForm, as_of: datetime) -> dict[str, Any]:
    return {
        "session_id": form.session_id,
        "data": form.data,
        "version": form.version,
        "session_completed_at": form.session_completed_at,
        **rems_form_status(form, as_of),
    }


def pending_rems_read(row: PendingRemsForm) -> dict[str, Any]:
    return {
        "session_id": row.session_id,
        "patient_id": row.patient_id,
        "treatment_date": row.treatment_date,
        "due_at": row.due_at,
        "overdue": row.overdue,
        "days_overdue": row.days_overdue,
        "complete": row.complete,
        "status": row.status,
        "missing": list(row.missing),
        "version": row.version,
    }
