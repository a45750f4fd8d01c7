"""De-identified research exports and the clinic's disclosure-control setting.

``ResearchExport`` is the record of one export: who, when, the cohort definition, row counts,
the de-identification method version and the SHA-256 of the zip that was produced. The zip
itself is kept under ``KETACARE_DATA_DIR/exports/`` (owner-only permissions) because it cannot
be produced again: its pseudonyms come from a per-export random key that is never stored, so a
second run gives different pseudonyms and a different digest. Only the exporting researcher may
download it, and the download is checked against the stored digest.

``ResearchSettings`` rows hold a clinic's minimum cell count for aggregates (the latest row
counts; a change is a new row, so the history is kept). Both are append-only clinical records.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from ketacare.audit.models import ClinicalRecord


class ResearchExport(ClinicalRecord):
    as_of = models.DateTimeField()
    cohort = models.JSONField()
    method_version = models.CharField(max_length=40)
    min_cell_count = models.PositiveSmallIntegerField()
    patient_count = models.PositiveIntegerField()
    row_counts = models.JSONField()
    sha256 = models.CharField(max_length=64)
    size_bytes = models.PositiveBigIntegerField()
    file_name = models.CharField(max_length=64, unique=True)  # random; never a patient value

    class Meta:
        indexes = [models.Index(fields=["clinic", "created_by", "-created_at"])]

    def __str__(self) -> str:
        return f"research export {self.pk} ({self.patient_count} patients)"


class ResearchSettings(ClinicalRecord):
    min_cell_count = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="research_min_cell_count_positive",
                condition=Q(min_cell_count__gte=1) & Q(min_cell_count__lte=1000),
            )
        ]
        indexes = [models.Index(fields=["clinic", "-created_at"])]

    def __str__(self) -> str:
        return f"research settings of clinic {self.clinic_id}: k={self.min_cell_count}"
