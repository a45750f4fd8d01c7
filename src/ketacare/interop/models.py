"""Interop records: CDS Hooks cards issued and the feedback EHRs return, and the prescriber's
recorded choice after a treatment recommendation.

``CdsCardIssued`` and ``CdsFeedback`` are append-only (GuardedModel) and hold no patient
identifier: a CDS call may concern a patient KetaCare has never seen, so only the card, the
hook instance and the calling EHR (JWT issuer) are kept. ``TreatmentChoice`` is a clinical
record of the patient (ClinicalRecord): the option adopted, the engine's top option at that
time, the reason when they differ, and any override of an excluded option.
"""

from __future__ import annotations

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

    class Meta:
        constraints = [
            # A choice that differs from the top option always carries its reason.
            models.CheckConstraint(
                name="choice_differs_needs_reason",
                condition=Q(top_option=models.F("chosen_option")) | ~Q(reason=""),
            )
        ]
