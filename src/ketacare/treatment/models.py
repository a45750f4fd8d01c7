"""Courses of treatment and dosing sessions, with everything recorded during a session.

A ``Course`` is a prescriber's order: one protocol version plus parameters (session count,
frequency, mg/kg or fixed dose). Its ``TreatmentSession`` rows are the proposed schedule; each
session walks the core's state machine (``clinical.session.states``)::

    scheduled -> checked_in -> cleared -> dosing -> observation -> discharged
    (or cancelled before any drug, aborted after)

Readings, scores, adverse events, doses and overrides are append-only clinical records. The
session row itself changes in place as it moves (state and transition times), each change
made by a service and audited with before and after values.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ketacare.audit.models import ClinicalRecord
from ketacare.clinical.session.monitoring import AdverseEventSeverity, AdverseEventType
from ketacare.clinical.session.states import SessionState


class CourseStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    STOPPED = "stopped", "Stopped"


class Course(ClinicalRecord):
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="courses"
    )
    protocol_version = models.ForeignKey(
        "protocols.ProtocolVersion", on_delete=models.PROTECT, related_name="courses"
    )
    protocol_code = models.CharField(max_length=60)
    route = models.CharField(max_length=20)
    drug = models.CharField(max_length=30)
    start_at = models.DateTimeField()
    planned_sessions = models.PositiveSmallIntegerField()
    sessions_per_week = models.PositiveSmallIntegerField(null=True, blank=True)
    open_phase_every_weeks = models.PositiveSmallIntegerField(default=1)
    mg_per_kg = models.DecimalField(max_digits=6, decimal_places=4, null=True, blank=True)
    dose_mg = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=CourseStatus.choices, default=CourseStatus.ACTIVE
    )
    eligibility_verdict = models.CharField(max_length=30, blank=True)
    override_codes = models.JSONField(default=list, blank=True)
    override_reason = models.TextField(blank=True)
    warnings = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="course_override_has_reason",
                condition=Q(override_codes=[]) | ~Q(override_reason=""),
            ),
            models.CheckConstraint(
                name="course_sessions_positive", condition=Q(planned_sessions__gte=1)
            ),
        ]

    def __str__(self) -> str:
        return f"course {self.pk} ({self.protocol_code})"


class RemsPatientEnrollment(ClinicalRecord):
    """The patient's SPRAVATO REMS enrolment, recorded before the first esketamine session
    (outpatient settings must enrol patients before treatment, S6)."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="rems_enrollments"
    )
    rems_patient_id = models.CharField(max_length=40)
    enrolled_at = models.DateTimeField()


SESSION_STATES = [(s.value, s.value.replace("_", " ").capitalize()) for s in SessionState]


class TreatmentSession(ClinicalRecord):
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="sessions")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="treatment_sessions"
    )
    number = models.PositiveSmallIntegerField()
    course_week = models.PositiveSmallIntegerField()
    scheduled_at = models.DateTimeField()
    state = models.CharField(max_length=12, choices=SESSION_STATES, default=SessionState.SCHEDULED)
    chair = models.CharField(max_length=40, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    cleared_at = models.DateTimeField(null=True, blank=True)
    dosing_started_at = models.DateTimeField(null=True, blank=True)
    observation_started_at = models.DateTimeField(null=True, blank=True)
    discharged_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)  # cancelled or aborted
    end_reason = models.TextField(blank=True)
    # Same-day facts, recorded at check-in and clearance.
    phq9_item9_positive_today = models.BooleanField(default=False)
    cssrs_high_risk_today = models.BooleanField(default=False)
    safety_assessment = models.TextField(blank=True)
    safety_assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    npo_confirmed = models.BooleanField(default=False)
    last_food_at = models.DateTimeField(null=True, blank=True)
    last_liquids_at = models.DateTimeField(null=True, blank=True)
    ride_home = models.CharField(max_length=200, blank=True)
    prescriber_on_site = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    pulse_oximeter_available = models.BooleanField(default=False)
    discharged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["course", "number"], name="unique_session_number"),
        ]
        indexes = [
            models.Index(fields=["clinic", "scheduled_at"]),
            # The clinic-day board also lists sessions still in progress from earlier days;
            # without this the OR walks every session the clinic ever had.
            models.Index(fields=["clinic", "state"]),
        ]

    def __str__(self) -> str:
        return f"session {self.number} of course {self.course_id} ({self.state})"


class VitalsPhase(models.TextChoices):
    PRE_DOSE = "pre_dose", "Pre-dose"
    DURING = "during", "During dosing"
    POST_DOSE = "post_dose", "After dosing"


class VitalsReadingQuerySet(models.QuerySet):
    def current(self) -> VitalsReadingQuerySet:
        """The readings no correction has superseded: the ones every gate reads."""
        return self.filter(correction__isnull=True)


class VitalsReading(ClinicalRecord):
    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="vitals")
    taken_at = models.DateTimeField()
    phase = models.CharField(max_length=10, choices=VitalsPhase.choices)
    systolic_mmhg = models.PositiveSmallIntegerField()
    diastolic_mmhg = models.PositiveSmallIntegerField()
    heart_rate_bpm = models.PositiveSmallIntegerField()
    spo2_percent = models.PositiveSmallIntegerField()
    respiratory_rate_per_min = models.PositiveSmallIntegerField()
    alerts = models.JSONField(default=list, blank=True)  # core findings, computed, never typed

    objects = VitalsReadingQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["session", "taken_at"])]


class VitalsCorrection(ClinicalRecord):
    """A superseding correction of one mistyped reading (``clinical.session.corrections``):
    the reading stays as it was recorded; this row says who took it back (``created_by``),
    when (``created_at``) and why. Superseded readings are left out of every gate."""

    reading = models.OneToOneField(
        VitalsReading, on_delete=models.PROTECT, related_name="correction"
    )
    session = models.ForeignKey(
        TreatmentSession, on_delete=models.PROTECT, related_name="vitals_corrections"
    )
    reason = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.CheckConstraint(name="vitals_correction_has_reason", condition=~Q(reason="")),
        ]


class ObservationScale(models.TextChoices):
    MOAAS = "moaas", "MOAA/S"
    CADSS = "cadss", "CADSS"


class SessionObservation(ClinicalRecord):
    """A MOAA/S or CADSS rating, scored by the core (never typed in as a total)."""

    session = models.ForeignKey(
        TreatmentSession, on_delete=models.PROTECT, related_name="observations"
    )
    observed_at = models.DateTimeField()
    scale = models.CharField(max_length=10, choices=ObservationScale.choices)
    pre_dose = models.BooleanField(default=False)
    items = models.JSONField()
    total = models.PositiveSmallIntegerField()
    flags = models.JSONField(default=list, blank=True)
    sedation_present = models.BooleanField(null=True, blank=True)
    dissociation_resolved = models.BooleanField(null=True, blank=True)  # clinician's judgement


class AdverseEventRecord(ClinicalRecord):
    session = models.ForeignKey(
        TreatmentSession, on_delete=models.PROTECT, related_name="adverse_events"
    )
    event_type = models.CharField(
        max_length=40, choices=[(t.value, t.value) for t in AdverseEventType]
    )
    severity = models.CharField(
        max_length=20, choices=[(s.value, s.value) for s in AdverseEventSeverity]
    )
    ctcae_grade = models.PositiveSmallIntegerField()
    onset_at = models.DateTimeField()
    description = models.TextField(blank=True)
    action_taken = models.TextField()
    outcome = models.CharField(max_length=200)
    resolved_at = models.DateTimeField(null=True, blank=True)


class DoseAdministration(ClinicalRecord):
    session = models.OneToOneField(TreatmentSession, on_delete=models.PROTECT, related_name="dose")
    protocol_code = models.CharField(max_length=60)
    route = models.CharField(max_length=20)
    dose_mg = models.DecimalField(max_digits=7, decimal_places=2)
    volume_ml = models.DecimalField(max_digits=7, decimal_places=3, null=True, blank=True)
    mg_per_kg = models.DecimalField(max_digits=6, decimal_places=4, null=True, blank=True)
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    weight_measured_at = models.DateTimeField(null=True, blank=True)
    vial_concentration_mg_per_ml = models.DecimalField(
        max_digits=6, decimal_places=2, null=True, blank=True
    )
    rounding_note = models.TextField(blank=True)
    started_at = models.DateTimeField()  # first device, or start of infusion/injection
    device_times = models.JSONField(default=list, blank=True)  # esketamine, ISO times
    infusion_duration_min = models.PositiveSmallIntegerField(null=True, blank=True)
    lot_number = models.CharField(max_length=40)
    container_id = models.BigIntegerField(null=True, blank=True)  # controlled-substance stock
    warnings = models.JSONField(default=list, blank=True)
    override_codes = models.JSONField(default=list, blank=True)
    override_reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(name="dose_positive", condition=Q(dose_mg__gt=0)),
            models.CheckConstraint(
                name="dose_override_has_reason",
                condition=Q(override_codes=[]) | ~Q(override_reason=""),
            ),
        ]
        indexes = [
            # The board reads the start times of its patients' doses through their sessions:
            # with the start time in the index that is an index-only lookup per session, not
            # a scan of every dose (PostgreSQL hash-joined the whole table: 9.3 -> 1.7 ms at
            # 2,000 patients per clinic).
            models.Index(fields=["session", "started_at"], name="dose_session_started_idx"),
        ]


class SessionOverride(ClinicalRecord):
    """A prescriber's documented decision to proceed despite named blockers, for one session;
    the session's later transitions consume it."""

    session = models.ForeignKey(
        TreatmentSession, on_delete=models.PROTECT, related_name="overrides"
    )
    codes = models.JSONField()
    reason = models.TextField()
    transition = models.CharField(max_length=20, blank=True)  # where it was used inline

    class Meta:
        constraints = [
            models.CheckConstraint(name="override_reason_not_blank", condition=~Q(reason="")),
        ]


class SessionAcknowledgment(ClinicalRecord):
    """A licensed clinician's documented acknowledgment of named warnings for one session (a
    warning the evidence gives only as guidance, e.g. pre-dose BP above 140/90: issue 16.2);
    it stands for the session's later steps, like an override, but is not one."""

    session = models.ForeignKey(
        TreatmentSession, on_delete=models.PROTECT, related_name="acknowledgments"
    )
    codes = models.JSONField()
    reason = models.TextField()

    class Meta:
        constraints = [
            models.CheckConstraint(name="acknowledgment_reason_not_blank", condition=~Q(reason="")),
        ]


class RemsForm(ClinicalRecord):
    """The SPRAVATO REMS Patient Monitoring Form data set of one outpatient session (its
    current version; each earlier version is kept as a ``RemsFormRevision``)."""

    session = models.OneToOneField(
        TreatmentSession, on_delete=models.PROTECT, related_name="rems_form"
    )
    data = models.JSONField()
    version = models.PositiveSmallIntegerField(default=1)
    session_completed_at = models.DateTimeField()
    due_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )


class RemsFormRevision(ClinicalRecord):
    """A superseded version of a REMS form: its data as it stood, kept when staff filled
    in answers (``created_by``/``created_at``: who replaced it, and when)."""

    form = models.ForeignKey(RemsForm, on_delete=models.PROTECT, related_name="revisions")
    version = models.PositiveSmallIntegerField()
    data = models.JSONField()
    changed_fields = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["form", "version"], name="one_revision_per_version"),
        ]


class SafetyAssessmentOutcome(models.TextChoices):
    PROCEED = "proceed", "Safe to proceed with today's session"
    DO_NOT_PROCEED = "do_not_proceed", "Do not proceed today"


class SafetyAssessment(ClinicalRecord):
    """A clinician's documented same-day suicide-risk safety assessment for a session
    (rules 22-23); ``created_by`` assessed. Only a ``proceed`` outcome on the day of the
    session, after the day's positive screen, satisfies the clearance gate."""

    session = models.ForeignKey(
        TreatmentSession, on_delete=models.PROTECT, related_name="safety_assessments"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    assessed_at = models.DateTimeField()
    outcome = models.CharField(max_length=20, choices=SafetyAssessmentOutcome.choices)
    notes = models.TextField()

    class Meta:
        constraints = [
            models.CheckConstraint(name="safety_assessment_has_notes", condition=~Q(notes="")),
        ]


class EfficacyReview(ClinicalRecord):
    """The prescriber's induction efficacy review of a course (rule 15): once recorded,
    sessions after the protocol's review week no longer need an override."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="efficacy_reviews")
    reviewed_at = models.DateTimeField()
    course_week = models.PositiveSmallIntegerField()
    notes = models.TextField()

    class Meta:
        constraints = [
            models.CheckConstraint(name="efficacy_review_has_notes", condition=~Q(notes="")),
        ]
