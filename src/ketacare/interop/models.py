"""Interop records: CDS Hooks cards issued and the feedback EHRs return, and the prescriber's
recorded choice after a treatment recommendation.

``CdsCardIssued`` and ``CdsFeedback`` are append-only (GuardedModel) and hold no patient
identifier: a CDS call may concern a patient KetaCare has never seen, so only the card, the
hook instance and the calling EHR (JWT issuer) are kept. ``TreatmentChoice`` is a clinical
record of the patient (ClinicalRecord): the option adopted, the engine's top option at that
time, the reason when they differ, any override of an excluded option, and the care-plan
version it was adopted into. ``PriorTreatmentReport`` and ``TreatmentPreference`` are clinical
records the recommendation reads (courses given elsewhere; what the patient wants).
``RecommendationSettings`` is clinic configuration (mutable, audited by its service).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from ketacare.audit.models import ClinicalRecord, GuardedModel


class TreatmentOptionCode(models.TextChoices):
    ESKETAMINE_INTRANASAL = "esketamine_intranasal", "Intranasal esketamine"
    KETAMINE_IV = "ketamine_iv", "IV racemic ketamine"
    KETAMINE_IM = "ketamine_im", "IM racemic ketamine"
    ECT = "ect", "ECT"
    RTMS = "rtms", "rTMS"


class CdsCardIssued(GuardedModel):
    uuid = models.UUIDField(unique=True)
    service_id = models.CharField(max_length=100)
    hook_instance = models.CharField(max_length=100)
    client_iss = models.CharField(max_length=300)
    option = models.CharField(max_length=30, blank=True)
    indicator = models.CharField(max_length=10)
    summary = models.CharField(max_length=140)
    created_at = models.DateTimeField()
    # The uuids of the card's suggestions: feedback naming any other suggestion is refused.
    suggestion_uuids = models.JSONField(default=list, blank=True)


class CdsOutcome(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    OVERRIDDEN = "overridden", "Overridden"


class CdsFeedback(GuardedModel):
    card = models.ForeignKey(CdsCardIssued, on_delete=models.PROTECT, related_name="feedback")
    outcome = models.CharField(max_length=10, choices=CdsOutcome.choices)
    accepted_suggestions = models.JSONField(default=list, blank=True)
    override_reason_code = models.CharField(max_length=100, blank=True)
    override_reason_display = models.CharField(max_length=300, blank=True)
    user_comment = models.TextField(blank=True)
    outcome_timestamp = models.DateTimeField()
    client_iss = models.CharField(max_length=300)
    received_at = models.DateTimeField()


class TreatmentChoice(ClinicalRecord):
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="treatment_choices"
    )
    chosen_option = models.CharField(max_length=30, choices=TreatmentOptionCode.choices)
    top_option = models.CharField(max_length=30, choices=TreatmentOptionCode.choices, blank=True)
    reason = models.TextField(blank=True)
    override_reason = models.TextField(blank=True)
    override_codes = models.JSONField(default=list, blank=True)
    recommendation = models.JSONField(default=dict)  # ranked codes at the time of the choice
    # The care-plan version the choice was adopted into, when the prescriber adopted it.
    care_plan = models.ForeignKey(
        "careplans.CarePlan", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            # A choice that differs from the top option always carries its reason.
            models.CheckConstraint(
                name="choice_differs_needs_reason",
                condition=Q(top_option=models.F("chosen_option")) | ~Q(reason=""),
            )
        ]


class PriorResponseCode(models.TextChoices):
    NO_RESPONSE = "no_response", "No response"
    PARTIAL_RESPONSE = "partial_response", "Partial response"
    RESPONSE = "response", "Response"
    REMISSION = "remission", "Remission"
    INTOLERANCE = "intolerance", "Stopped for intolerance"


class TravelBurdenCode(models.TextChoices):
    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    HIGH = "high", "High (cannot attend several visits a week)"


class CostClassCode(models.TextChoices):
    COVERED_ONLY = "covered_only", "Covered options only"
    SELF_PAY_ACCEPTABLE = "self_pay_acceptable", "Self-pay acceptable"


class PriorTreatmentReport(ClinicalRecord):
    """A ketamine, esketamine, ECT or rTMS course given elsewhere (or before KetaCare), as the
    clinician recorded it from the history. Courses given in KetaCare are read from the
    treatment and measures records instead. ``adequate`` is the clinician's judgment for ECT
    and rTMS and stays empty for ketamine forms (the engine computes it from ``sessions``);
    ``durability_days`` only after a response or remission."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="prior_treatment_reports"
    )
    option = models.CharField(max_length=30, choices=TreatmentOptionCode.choices)
    sessions = models.PositiveSmallIntegerField()
    response = models.CharField(max_length=20, choices=PriorResponseCode.choices)
    durability_days = models.PositiveSmallIntegerField(null=True, blank=True)
    adequate = models.BooleanField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    provider = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="prior_treatment_sessions_positive", condition=Q(sessions__gte=1)
            ),
            models.CheckConstraint(
                name="prior_treatment_durability_after_benefit",
                condition=Q(durability_days__isnull=True)
                | Q(response__in=("response", "remission")),
            ),
        ]

    def __str__(self) -> str:
        return f"prior {self.option} ({self.sessions} sessions, {self.response})"


class TreatmentPreference(ClinicalRecord):
    """What the patient said they want (the latest row counts): options in order of
    preference, options declined, how hard frequent visits are, and whether self-pay is
    acceptable."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="treatment_preferences"
    )
    preferred = models.JSONField(default=list, blank=True)
    declined = models.JSONField(default=list, blank=True)
    travel_burden = models.CharField(max_length=10, choices=TravelBurdenCode.choices)
    cost_class = models.CharField(max_length=20, choices=CostClassCode.choices)
    stated_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["patient", "-stated_at"])]

    def __str__(self) -> str:
        return f"treatment preferences of patient {self.patient_id}"


class RecommendationSettings(models.Model):
    """A clinic's recommendation settings (mutable configuration; each change is audited by
    ``services.record_recommendation_settings``): whether it can refer for ECT and rTMS, and
    which options it bills as self-pay. A clinic with no row refers for both and bills
    nothing as self-pay (the engine's previous assumption)."""

    clinic = models.OneToOneField(
        "accounts.Clinic", on_delete=models.PROTECT, related_name="recommendation_settings"
    )
    ect_referral = models.BooleanField(default=True)
    rtms_referral = models.BooleanField(default=True)
    self_pay_options = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"recommendation settings of clinic {self.clinic_id}"


class CdsJwtSeen(models.Model):
    """A CDS client's JWT ``jti``, kept until the token's ``exp`` so a replayed token is
    refused in every worker process (the database is shared; a per-process cache is not).
    Rows past ``expires_at`` are deleted as new tokens arrive. Not patient data."""

    iss = models.CharField(max_length=300)
    jti = models.CharField(max_length=256)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["iss", "jti"], name="cds_jwt_jti_once")]

    def __str__(self) -> str:
        return f"{self.iss} {self.jti}"


class BulkExportState(models.TextChoices):
    ACCEPTED = "accepted", "Accepted (waiting for the worker)"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    DELETED = "deleted", "Deleted by the client"


class BulkExportJob(models.Model):
    """One FHIR Bulk Data export (``$export``) and its progress record.

    Kicked off by a SMART backend client (``client_id``) acting for a staff login
    (``requested_by``) of ``clinic``; run in the background (``interop/fhir/bulk.py``),
    writing NDJSON files under ``KETACARE_DATA_DIR/bulk/<id>/`` (0600). ``counts`` holds the
    resources written per type, ``files`` the output files (type, name, count) once written.
    The id is random: it is the status URL. A deleted job keeps its row (the record that the
    export happened) and loses its files. Not a clinical record; the audit trail has the
    kick-off, the completed export (types, counts, patients) and every file download."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    client_id = models.CharField(max_length=100)
    level = models.CharField(max_length=10)  # system | patient
    types = models.JSONField()
    since = models.DateTimeField(null=True, blank=True)
    output_format = models.CharField(max_length=40)
    request_url = models.TextField()
    transaction_time = models.DateTimeField()
    state = models.CharField(
        max_length=10, choices=BulkExportState.choices, default=BulkExportState.ACCEPTED
    )
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Saved with each progress record: a running job whose worker stopped goes stale.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # When a completed export's files are removed (the manifest's Expires).
    expires_at = models.DateTimeField(null=True, blank=True)
    current_type = models.CharField(max_length=64, blank=True)
    counts = models.JSONField(default=dict)
    files = models.JSONField(default=list)
    patient_count = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "created_at"])]

    def __str__(self) -> str:
        return f"bulk export {self.id} ({self.state})"
