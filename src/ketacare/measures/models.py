"""Measurement-based care: scored questionnaires, the safety alerts they raise, the clinic's
assessment schedule and single-use links for patient self-reports.

Every row is a clinical record (append-only; written only by ``measures.services``). Totals,
severity and flags are computed by ``ketacare.clinical.scales`` and stored as computed: a
client never supplies them. An alert changes only from open to acknowledged (who, when, note).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ketacare.audit.models import ClinicalRecord


class AssessmentContext(models.TextChoices):
    BASELINE = "baseline", "Baseline"
    PRE_DOSE = "pre_dose", "Before a dose"
    POST_DOSE = "post_dose", "After a dose"
    FOLLOW_UP = "follow_up", "Follow-up"


class AssessmentChannel(models.TextChoices):
    CLINICIAN = "clinician", "Entered by a clinician"
    PORTAL = "portal", "Patient portal login"
    LINK = "link", "Patient self-report link"


class Assessment(ClinicalRecord):
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="assessments"
    )
    instrument = models.CharField(max_length=30)  # scale code: phq9, gad7, madrs, ...
    instrument_version = models.CharField(max_length=200)
    items = models.JSONField()  # every answer, item 1 first (None only where skipped by design)
    total = models.PositiveSmallIntegerField(null=True, blank=True)  # None: C-SSRS screener
    severity = models.CharField(max_length=30, blank=True)  # band or risk-level code
    severity_label = models.CharField(max_length=100, blank=True)
    flags = models.JSONField(default=list, blank=True)  # flag codes from the core
    context = models.CharField(max_length=10, choices=AssessmentContext.choices)
    taken_at = models.DateTimeField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    channel = models.CharField(max_length=10, choices=AssessmentChannel.choices)
    session_id = models.BigIntegerField(null=True, blank=True)  # treatment session, if any

    class Meta:
        constraints = [
            # The outcomes engine refuses two scores of one instrument at one instant.
            models.UniqueConstraint(
                fields=["patient", "instrument", "taken_at"], name="one_score_per_instant"
            ),
            # Only a self-report link has no signed-in submitter (the token was the proof).
            models.CheckConstraint(
                name="assessment_has_submitter",
                condition=Q(channel="link") | Q(submitted_by__isnull=False),
            ),
        ]
        indexes = [models.Index(fields=["patient", "instrument", "taken_at"])]

    def __str__(self) -> str:
        return f"{self.instrument} {self.total} at {self.taken_at:%Y-%m-%d %H:%M}"


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"


class SafetyAlert(ClinicalRecord):
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="safety_alerts"
    )
    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="alerts")
    code = models.CharField(max_length=40)  # phq9_item9_positive, sharp_worsening, ...
    severity = models.CharField(max_length=10)  # critical, high, warning (core AlertSeverity)
    message = models.TextField()
    source = models.JSONField(default=dict, blank=True)  # the citation behind the rule
    requires_safety_assessment_before_session = models.BooleanField(default=False)
    compared_with = models.ForeignKey(
        Assessment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=12, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledgement_note = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="alert_acknowledgement_complete",
                condition=(
                    Q(status="open")
                    & Q(acknowledged_by__isnull=True)
                    & Q(acknowledged_at__isnull=True)
                    & Q(acknowledgement_note="")
                )
                | (
                    Q(status="acknowledged")
                    & Q(acknowledged_by__isnull=False)
                    & Q(acknowledged_at__isnull=False)
                    & ~Q(acknowledgement_note="")
                ),
            )
        ]
        indexes = [models.Index(fields=["clinic", "status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.code} ({self.status})"


class SchedulePhase(models.TextChoices):
    BASELINE = "baseline", "Baseline, before the first dose"
    PRE_DOSE = "pre_dose", "Before each dose"
    AFTER_FIRST_DOSE = "after_first_dose", "After the first dose"
    FOLLOW_UP = "follow_up", "Follow-up, at a fixed interval"


class AssessmentSchedule(ClinicalRecord):
    """One clinic rule: which instrument is due in which course phase. A change retires the
    row (``active=False``) and adds a new one, so the history of the schedule is kept."""

    instrument = models.CharField(max_length=30)
    phase = models.CharField(max_length=20, choices=SchedulePhase.choices)
    # after_first_dose: hours after the first dose, due from offset - window to offset + window.
    offset_hours = models.PositiveSmallIntegerField(null=True, blank=True)
    window_hours = models.PositiveSmallIntegerField(null=True, blank=True)
    # follow_up: days between assessments; baseline: how old a baseline may be before repeating.
    interval_days = models.PositiveSmallIntegerField(null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "instrument", "phase"],
                condition=Q(active=True),
                name="one_active_schedule_rule_per_phase",
            ),
            models.CheckConstraint(
                name="schedule_after_first_dose_has_offset",
                condition=~Q(phase="after_first_dose")
                | (Q(offset_hours__gte=1) & Q(window_hours__isnull=False)),
            ),
            models.CheckConstraint(
                name="schedule_follow_up_has_interval",
                condition=~Q(phase="follow_up") | Q(interval_days__gte=1),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} {self.phase}"


class PortalLink(ClinicalRecord):
    """A signed, expiring, single-use self-report link. Only the token's SHA-256 digest is
    stored; the token itself is shown once, when the link is issued."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="portal_links"
    )
    instrument = models.CharField(max_length=30)
    context = models.CharField(
        max_length=10, choices=AssessmentContext.choices, default=AssessmentContext.FOLLOW_UP
    )
    digest = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    assessment = models.OneToOneField(
        Assessment, on_delete=models.PROTECT, null=True, blank=True, related_name="portal_link"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="portal_link_used_with_assessment",
                condition=(Q(used_at__isnull=True) & Q(assessment__isnull=True))
                | (Q(used_at__isnull=False) & Q(assessment__isnull=False)),
            ),
            models.CheckConstraint(
                name="portal_link_expires_after_issue",
                condition=Q(expires_at__gt=models.F("created_at")),
            ),
        ]

    def __str__(self) -> str:
        return f"self-report link {self.pk} ({self.instrument})"
