"""Research: /api/v1/research/... de-identified exports and suppressed cohort statistics.

Only roles holding ``export_deidentified`` (researchers) reach these routes. Export files are
kept server-side and served only to the researcher who made them."""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from ninja import Query, Router, Status

from ketacare.accounts.permissions import Permission
from ketacare.api.auth import guard
from ketacare.api.schemas import ERROR_RESPONSES, RecordId
from ketacare.research import presenters, selectors, services
from ketacare.research.schemas import (
    CohortFields,
    CohortSummaryRead,
    ExportCreate,
    ExportListRead,
    ExportRead,
)

router = Router(tags=["research"])


def _read(export) -> dict:
    data = {f: getattr(export, f) for f in ExportRead.model_fields if f != "download_url"}
    data["download_url"] = reverse("api:research_download_export", args=[export.pk])
    return data


def _zip_guard() -> dict:
    g = guard(Permission.EXPORT_DEIDENTIFIED)
    g["openapi_extra"] = {
        **g["openapi_extra"],
        "responses": {
            "200": {
                "description": "The export's zip of CSV files",
                "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
            }
        },
    }
    return g


@router.post(
    "/research/exports",
    response={201: ExportRead, **ERROR_RESPONSES},
    **guard(
        Permission.EXPORT_DEIDENTIFIED,
        links={
            "DownloadExport": (
                "ketacare_research_api_download_export",
                {"export_id": "$response.body#/id"},
            )
        },
    ),
)
def create_export(request, payload: ExportCreate):
    """Export a cohort's de-identified records (patients, courses, sessions and doses,
    assessments, adverse events, plus the suppressed summary) as a zip of CSV files. Patients
    carry pseudonyms valid in this export only; times are whole days from each patient's first
    dose; ages of 90 and over read "90+". Cohorts smaller than the clinic's minimum cell count
    are refused (422 ``cohort_below_minimum_cell_count``). Returns the record and its download
    URL; the export is audited."""
    as_of = payload.as_of or timezone.now()
    export = services.export_deidentified_cohort(
        actor=request.user, cohort=payload.to_cohort(), as_of=as_of
    )
    return Status(201, _read(export))


@router.get(
    "/research/exports",
    response={200: ExportListRead, **ERROR_RESPONSES},
    **guard(Permission.EXPORT_DEIDENTIFIED),
)
def list_exports(request):
    """Your own exports, newest first (metadata only)."""
    return {"items": [_read(e) for e in selectors.list_exports(request.user)]}


@router.get(
    "/research/exports/{export_id}/download",
    response={**ERROR_RESPONSES},
    url_name="research_download_export",
    **_zip_guard(),
)
def download_export(request, export_id: RecordId):
    """The export's zip, byte for byte as produced (its SHA-256 is in the export record).
    Only the researcher who made the export may download it; anyone else gets 404. Exports
    cannot be regenerated: their pseudonym key was discarded."""
    export, data = selectors.read_export_file(request.user, export_id)
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="ketacare-export-{export.pk}.zip"'
    return response


@router.get(
    "/research/cohort-summary",
    response={200: CohortSummaryRead, **ERROR_RESPONSES},
    **guard(Permission.EXPORT_DEIDENTIFIED),
)
def cohort_summary(request, filters: Query[CohortFields]):
    """Per-protocol PHQ-9 response and remission rates with Wilson 95% intervals, median days
    to response and the Kaplan-Meier relapse-free curve after response. Counts of 1 to k-1
    (k: the clinic's minimum cell count, default 11) are withheld as null and named in
    ``suppressed``; curves stop where fewer than k remain at risk."""
    summary = selectors.summarise_cohort_for(
        request.user, filters.to_cohort(), as_of=timezone.now()
    )
    rows = presenters.summary_rows(summary)
    for row in rows:
        row["suppressed"] = [s for s in row["suppressed"].split(";") if s]
    return {
        "min_cell_count": summary.min_cell_count,
        "confidence": 0.95,
        "protocols": rows,
        "relapse_free_curves": presenters.curve_points(summary),
    }
