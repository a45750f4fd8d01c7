"""Writes of the research app: de-identified cohort exports and the clinic's minimum cell count.

``export_deidentified_cohort`` builds the cohort's tables (``rows.load_cohort_rows``: bounded
queries, identifying columns never selected), pseudonymises them under a fresh per-export key
that is dropped when the function returns, writes one zip of CSV files (plus the suppressed
cohort summary and a manifest) to ``KETACARE_DATA_DIR/exports/`` with owner-only permissions,
and records a ``ResearchExport`` row with the zip's SHA-256, audited as ``export`` with the
cohort and counts. It refuses anyone without ``export_deidentified`` and any cohort smaller
than the clinic's minimum cell count (a handful of row-level records is easy to single out).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import secrets
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ketacare.accounts.models import User
from ketacare.accounts.permissions import Permission, require_permission
from ketacare.analytics import summarise_cohort
from ketacare.analytics.suppression import check_min_cell_count
from ketacare.audit.models import AuditAction
from ketacare.audit.services import record_write
from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.records import save_validated
from ketacare.research.cohorts import Cohort
from ketacare.research.deidentify import METHOD_VERSION, new_export_key
from ketacare.research.models import ResearchExport, ResearchSettings
from ketacare.research.presenters import summary_rows
from ketacare.research.rows import TABLE_COLUMNS, load_cohort_rows
from ketacare.research.selectors import min_cell_count_for

# Entries carry this fixed timestamp: a zip's own per-file times would otherwise be dates.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def export_dir() -> Path:
    return Path(settings.DATA_DIR) / "exports"


def _require_aware(as_of: datetime) -> None:
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise InvalidClinicalInput("as_of_naive", "as_of must be timezone-aware.")


def _csv(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buffer.getvalue().encode("utf-8")


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return out.getvalue()


def _write_private(data: bytes) -> str:
    folder = export_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    name = f"{secrets.token_hex(16)}.zip"
    fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return name


def build_export_files(rows, *, min_cell_count: int) -> dict[str, bytes]:
    files = {f"{name}.csv": _csv(TABLE_COLUMNS[name], rows.tables[name]) for name in TABLE_COLUMNS}
    summary = summarise_cohort(rows.scores, min_cell_count=min_cell_count)
    columns = tuple(summary_rows(summary)[0]) if summary.protocols else ("protocol_code",)
    files["summary.csv"] = _csv(columns, summary_rows(summary))
    manifest = {
        "method_version": METHOD_VERSION,
        "row_counts": rows.row_counts(),
        "min_cell_count": min_cell_count,
        "notes": [
            "patient: a pseudonym valid in this export only (HMAC-SHA256, key discarded)",
            "*_day: whole days from the patient's first dose (0 = that day); no dates",
            "age_at_first_dose: whole years; 90 and older shown as 90+",
            "course: the patient's courses numbered from 1 in start order",
            "summary.csv: values withheld where a count would be 1 to min_cell_count - 1",
        ],
    }
    files["manifest.json"] = json.dumps(manifest, indent=2, sort_keys=True).encode()
    return files


@transaction.atomic
def export_deidentified_cohort(*, actor: User, cohort: Cohort, as_of: datetime) -> ResearchExport:
    """Export the cohort's de-identified rows as a zip of CSV files; returns the record."""
    require_permission(actor, Permission.EXPORT_DEIDENTIFIED)
    _require_aware(as_of)
    k = min_cell_count_for(actor.clinic_id)
    key = new_export_key()
    rows = load_cohort_rows(clinic_id=actor.clinic_id, cohort=cohort, as_of=as_of, key=key)
    del key  # never stored: this export's pseudonyms cannot be recomputed
    if rows.patient_count == 0 or rows.patient_count < k:
        raise InvalidClinicalInput(
            "cohort_below_minimum_cell_count",
            f"The cohort has fewer patients than the clinic's minimum cell count ({k}); "
            "widen the cohort definition.",
            {"min_cell_count": k},
        )
    data = _zip(build_export_files(rows, min_cell_count=k))
    name = _write_private(data)
    try:
        export = ResearchExport(
            clinic_id=actor.clinic_id,
            created_at=timezone.now(),
            created_by=actor,
            as_of=as_of,
            cohort=cohort.as_json(),
            method_version=METHOD_VERSION,
            min_cell_count=k,
            patient_count=rows.patient_count,
            row_counts=rows.row_counts(),
            sha256=hashlib.sha256(data).hexdigest(),
            size_bytes=len(data),
            file_name=name,
        )
        save_validated(export)
        record_write(
            actor=actor,
            action=AuditAction.EXPORT,
            target=export,
            after={
                "cohort": export.cohort,
                "patients": export.patient_count,
                "row_counts": export.row_counts,
                "method_version": METHOD_VERSION,
                "sha256": export.sha256,
            },
            summary=f"de-identified export of {export.patient_count} patients",
        )
    except BaseException:
        (export_dir() / name).unlink(missing_ok=True)
        raise
    return export


@transaction.atomic
def record_research_settings(*, actor: User, min_cell_count: int) -> ResearchSettings:
    """Set the clinic's minimum cell count for research aggregates (a new row; audited)."""
    require_permission(actor, Permission.MANAGE_PROTOCOLS)
    check_min_cell_count(min_cell_count)
    before = min_cell_count_for(actor.clinic_id)
    row = ResearchSettings(
        clinic_id=actor.clinic_id,
        created_at=timezone.now(),
        created_by=actor,
        min_cell_count=min_cell_count,
    )
    save_validated(row)
    record_write(
        actor=actor,
        action=AuditAction.CREATE,
        target=row,
        before={"min_cell_count": before},
        after={"min_cell_count": min_cell_count},
        summary="research minimum cell count set",
    )
    return row
