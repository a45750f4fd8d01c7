"""Reads of the research app: the clinic's minimum cell count, a cohort's suppressed
summary, the researcher's own exports and an export's file. Patient-level reads never leave
this app identified: the summary is computed from pseudonymous rows and returns aggregates."""

from __future__ import annotations

import hashlib
from datetime import datetime

from ketacare.access import NotFound
from ketacare.accounts.models import User
from ketacare.accounts.permissions import Permission, require_permission
from ketacare.analytics import ANALYTICS_MIN_CELL_COUNT_DEFAULT, CohortOutcomes, summarise_cohort
from ketacare.audit.models import AuditAction
from ketacare.audit.services import record_read, record_write
from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.research.cohorts import Cohort
from ketacare.research.deidentify import new_export_key
from ketacare.research.models import ResearchExport, ResearchSettings


def min_cell_count_for(clinic_id: int) -> int:
    """The clinic's latest setting, else the cited CMS default (11)."""
    row = (
        ResearchSettings.objects.filter(clinic_id=clinic_id)
        .order_by("-created_at", "-id")
        .values_list("min_cell_count", flat=True)
        .first()
    )
    return row if row is not None else ANALYTICS_MIN_CELL_COUNT_DEFAULT


def summarise_cohort_for(actor: User, cohort: Cohort, *, as_of: datetime) -> CohortOutcomes:
    """Per-protocol outcome statistics of the cohort with small cells withheld (audited)."""
    from ketacare.research.rows import load_cohort_rows

    require_permission(actor, Permission.EXPORT_DEIDENTIFIED)
    k = min_cell_count_for(actor.clinic_id)
    rows = load_cohort_rows(
        clinic_id=actor.clinic_id, cohort=cohort, as_of=as_of, key=new_export_key()
    )
    record_read(
        actor=actor,
        target=("research.Cohort", "summary"),
        summary=f"cohort summary: {rows.patient_count} patients; {cohort.as_json()}",
    )
    return summarise_cohort(rows.scores, min_cell_count=k)


def list_exports(actor: User, *, limit: int = 50) -> list[ResearchExport]:
    """The actor's own exports, newest first (metadata only)."""
    require_permission(actor, Permission.EXPORT_DEIDENTIFIED)
    return list(
        ResearchExport.objects.filter(clinic_id=actor.clinic_id, created_by=actor).order_by(
            "-created_at", "-id"
        )[:limit]
    )


def access_export(actor: User, export_id: int) -> ResearchExport:
    require_permission(actor, Permission.EXPORT_DEIDENTIFIED)
    export = (
        ResearchExport.objects.filter(pk=export_id)
        .filter(clinic_id=actor.clinic_id)
        .filter(created_by=actor)
        .first()
    )
    if export is None:
        raise NotFound("export")
    return export


def read_export_file(actor: User, export_id: int) -> tuple[ResearchExport, bytes]:
    """The zip of the actor's own export, checked against its recorded SHA-256; each
    download is audited as an export event."""
    from ketacare.research.services import export_dir

    export = access_export(actor, export_id)
    path = export_dir() / export.file_name
    if not path.is_file():
        raise NotFound("export file")
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != export.sha256:
        raise InvalidClinicalInput(
            "export_file_integrity_failed",
            "The stored export no longer matches its recorded checksum; it will not be served.",
        )
    record_write(
        actor=actor,
        action=AuditAction.EXPORT,
        target=export,
        summary=f"de-identified export {export.pk} downloaded",
    )
    return export, data
