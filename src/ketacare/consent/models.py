"""Informed consent: versioned consent documents per route, and patients' signatures.

- ``ConsentDocument``: one per clinic and route (iv, im, sc, intranasal, oral).
- ``ConsentDocumentVersion``: the text a patient reads. Immutable once published: a change is a
  new version that supersedes the old one, marked material (re-consent needed) or not.
- ``ConsentSignature``: a patient's typed-name signature of one version, witnessed by a staff
  member. It keeps a copy of the text as signed (``signed_text_snapshot``), so later versions
  never change what was signed. Withdrawal fills the three withdrawal columns; nothing else on a
  signature ever changes and nothing is deleted.

Whether a patient's consent is valid is decided by the core
(``ketacare.clinical.consent.has_valid_consent``), never here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from ketacare.audit.models import ClinicalRecord


class ConsentRoute(models.TextChoices):
    """The core's ``Route`` values (intranasal is esketamine, the others racemic ketamine)."""

    IV = "iv", "Intravenous ketamine"
    IM = "im", "Intramuscular ketamine"
    SC = "sc", "Subcutaneous ketamine"
    INTRANASAL = "intranasal", "Intranasal esketamine"
    ORAL = "oral", "Oral ketamine"


class ConsentDocument(ClinicalRecord):
    route = models.CharField(max_length=12, choices=ConsentRoute.choices)
    title = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "route"], name="one_consent_document_per_route"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.route})"


class ConsentDocumentVersion(ClinicalRecord):
    document = models.ForeignKey(ConsentDocument, on_delete=models.PROTECT, related_name="versions")
    version_number = models.PositiveIntegerField()
    body = models.TextField()
    effective_at = models.DateTimeField()
    # True when this version changes the consent in substance: earlier signatures then need
    # re-consent once it is in force. Wording fixes are published with False.
    material_change = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["document", "version_number"], name="unique_consent_version_number"
            ),
            models.CheckConstraint(
                name="consent_version_number_positive", condition=Q(version_number__gte=1)
            ),
        ]
        indexes = [models.Index(fields=["document", "-version_number"])]

    def __str__(self) -> str:
        return f"{self.document} v{self.version_number}"


class ConsentSignature(ClinicalRecord):
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="consent_signatures"
    )
    version = models.ForeignKey(
        ConsentDocumentVersion, on_delete=models.PROTECT, related_name="signatures"
    )
    # The exact text the patient signed, copied at signing time.
    signed_text_snapshot = models.TextField()
    typed_name = models.CharField(max_length=200)
    signed_at = models.DateTimeField()
    witness = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    withdrawal_reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            # Who, when and why of a withdrawal are recorded together or not at all.
            models.CheckConstraint(
                name="consent_withdrawal_complete",
                condition=(
                    Q(withdrawn_at__isnull=True)
                    & Q(withdrawn_by__isnull=True)
                    & Q(withdrawal_reason="")
                )
                | (
                    Q(withdrawn_at__isnull=False)
                    & Q(withdrawn_by__isnull=False)
                    & ~Q(withdrawal_reason="")
                ),
            ),
            models.CheckConstraint(
                name="consent_withdrawn_after_signed",
                condition=Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gte=F("signed_at")),
            ),
        ]
        indexes = [models.Index(fields=["patient", "-signed_at"])]

    def __str__(self) -> str:
        return f"consent {self.pk} of patient {self.patient_id} to {self.version}"
