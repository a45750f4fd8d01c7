"""Eligibility evaluations for ketamine/esketamine and prescribers' acknowledgments of cautions.

``Evaluation`` stores what the verdict was computed from (the full structured input as JSON,
including the antidepressant trials used, plus key columns) and what the core
(``ketacare.clinical.eligibility.evaluate_eligibility``) answered: verdict, reasons, TRD count
and Maudsley stage. It is never edited: a new evaluation is a new row, and the latest one is
the one that counts. ``CautionAcknowledgment`` rows record a prescriber's acknowledgment of
named caution codes with a reason (append-only).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ketacare.audit.models import ClinicalRecord
from ketacare.clinical.eligibility import CssrsRisk, MaudsleyBand, MaudsleySeverity, Route
from ketacare.clinical.eligibility import Verdict as CoreVerdict


def _choices(enum) -> list[tuple[str, str]]:
    return [(m.value, m.value.replace("_", " ").capitalize()) for m in enum]


class Verdict(models.TextChoices):
    ELIGIBLE = CoreVerdict.ELIGIBLE.value, "Eligible"
    ELIGIBLE_WITH_CAUTIONS = CoreVerdict.ELIGIBLE_WITH_CAUTIONS.value, "Eligible with cautions"
    NEEDS_REVIEW = CoreVerdict.NEEDS_REVIEW.value, "Needs review"
    NOT_ELIGIBLE = CoreVerdict.NOT_ELIGIBLE.value, "Not eligible"


class Evaluation(ClinicalRecord):
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="evaluations"
    )
    as_of = models.DateTimeField()
    route = models.CharField(max_length=12, choices=_choices(Route), blank=True)
    # Key columns of the input (the whole input is in ``inputs``).
    age_years = models.PositiveSmallIntegerField()
    episode_duration_months = models.PositiveSmallIntegerField()
    severity = models.CharField(max_length=30, choices=_choices(MaudsleySeverity))
    cssrs_risk = models.CharField(max_length=10, choices=_choices(CssrsRisk), blank=True)
    cssrs_assessed_at = models.DateTimeField(null=True, blank=True)
    inputs = models.JSONField()
    # The core's answer.
    verdict = models.CharField(max_length=30, choices=Verdict.choices)
    reasons = models.JSONField(default=list, blank=True)
    notes = models.JSONField(default=list, blank=True)
    acknowledgment_required_codes = models.JSONField(default=list, blank=True)
    adequate_failed_trials = models.PositiveSmallIntegerField()
    treatment_resistant = models.BooleanField()
    msm_total = models.PositiveSmallIntegerField(null=True, blank=True)
    msm_band = models.CharField(max_length=10, choices=_choices(MaudsleyBand), blank=True)
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            # MSM total range 3-15 (Fekadu 2018 Table 3); total and band together or neither.
            models.CheckConstraint(
                name="evaluation_msm_stage_complete",
                condition=(Q(msm_total__isnull=True) & Q(msm_band=""))
                | (Q(msm_total__gte=3) & Q(msm_total__lte=15) & ~Q(msm_band="")),
            ),
            models.CheckConstraint(
                name="evaluation_cssrs_complete",
                condition=(Q(cssrs_risk="") & Q(cssrs_assessed_at__isnull=True))
                | (~Q(cssrs_risk="") & Q(cssrs_assessed_at__isnull=False)),
            ),
        ]
        indexes = [models.Index(fields=["patient", "-as_of"])]

    def __str__(self) -> str:
        return f"evaluation {self.pk} of patient {self.patient_id}: {self.verdict}"


class CautionAcknowledgment(ClinicalRecord):
    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.PROTECT, related_name="acknowledgments"
    )
    codes = models.JSONField()
    reason = models.TextField()
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(name="acknowledgment_has_reason", condition=~Q(reason=""))
        ]

    def __str__(self) -> str:
        return f"acknowledgment of {self.codes} on evaluation {self.evaluation_id}"
