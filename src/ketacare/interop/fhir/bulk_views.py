"""The Bulk Data export endpoints (Bulk Data Access 2.0; the work is in ``bulk.py``).

- ``GET|POST /fhir/$export`` (system level) and ``GET|POST /fhir/Patient/$export`` (all
  patients): the kick-off. ``Accept: application/fhir+json`` and ``Prefer: respond-async`` are
  required (400 otherwise); a POST carries a ``Parameters`` resource. 202 with
  ``Content-Location``: the status URL.
- ``GET /fhir/bulk/<job>``: 202 with ``X-Progress`` and ``Retry-After`` while it runs, 200 with
  the manifest (``application/json``), 500 with an OperationOutcome if it failed.
  ``DELETE``: 202; the job and its files are gone, later polls 404.
- ``GET /fhir/bulk/<job>/<file>``: an output file, ``application/fhir+ndjson``, with the same
  kind of token (``requiresAccessToken``).
"""

from __future__ import annotations

import json
from typing import Any

from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.http import http_date

from ketacare.interop.fhir import bulk
from ketacare.interop.fhir.access import FhirPrincipal
from ketacare.interop.fhir.errors import FhirError, operation_outcome
from ketacare.interop.fhir.views import _query_pairs, base_url, fhir_endpoint, fhir_response
from ketacare.json_body import JsonBodyError, read_json_body


def _prefer(request: HttpRequest) -> set[str]:
    header = request.headers.get("Prefer", "")
    return {p.strip().replace(" ", "") for p in header.replace(";", ",").split(",") if p.strip()}


def _require_headers(request: HttpRequest) -> None:
    accept = [p.split(";")[0].strip().lower() for p in request.headers.get("Accept", "").split(",")]
    if "application/fhir+json" not in accept:
        raise FhirError(
            400, "invalid", "The $export kick-off needs Accept: application/fhir+json.",
            details_code="bulk_accept_required",
        )  # fmt: skip
    if "respond-async" not in _prefer(request):
        raise FhirError(
            400, "invalid", "The $export kick-off needs Prefer: respond-async.",
            details_code="bulk_prefer_required",
        )  # fmt: skip


def _parameters(request: HttpRequest) -> list[tuple[str, str]]:
    """A POST kick-off's ``Parameters`` resource, as name/value pairs."""
    try:
        body = read_json_body(request, media_types=("application/fhir+json", "application/json"))
    except JsonBodyError as exc:
        raise FhirError(exc.status, "invalid", exc.message) from None
    if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
        raise FhirError(400, "invalid", "A POST $export takes a Parameters resource.")
    pairs = []
    for parameter in body.get("parameter") or []:
        if not isinstance(parameter, dict) or not isinstance(parameter.get("name"), str):
            raise FhirError(400, "invalid", "Each parameter needs a name.")
        values = [v for k, v in parameter.items() if k.startswith("value")]
        value = values[0] if len(values) == 1 else None
        pairs.append((parameter["name"], value if isinstance(value, str) else json.dumps(value)))
    return pairs


def _kick_off(request: HttpRequest, principal: FhirPrincipal, level: str) -> HttpResponse:
    _require_headers(request)
    pairs = _parameters(request) if request.method == "POST" else list(_query_pairs(request.GET))
    pairs = [(name, value) for name, value in pairs if name != "_format"]
    job = bulk.kick_off(
        principal,
        level=level,
        params=pairs,
        lenient="handling=lenient" in _prefer(request),
        request_url=request.build_absolute_uri(),
    )
    location = f"{base_url(request)}/bulk/{job.pk}"
    outcome = operation_outcome(
        "informational", f"Export accepted; poll {location}.", severity="information"
    )
    return fhir_response(outcome, 202, {"Content-Location": location})


@fhir_endpoint(("GET", "POST"))
def system_export(request: HttpRequest, principal: FhirPrincipal) -> HttpResponse:
    return _kick_off(request, principal, "system")


@fhir_endpoint(("GET", "POST"))
def patient_export(request: HttpRequest, principal: FhirPrincipal) -> HttpResponse:
    return _kick_off(request, principal, "patient")


@fhir_endpoint(("GET", "DELETE"))
def export_status(request: HttpRequest, principal: FhirPrincipal, job_id: str) -> HttpResponse:
    if request.method == "DELETE":
        bulk.delete(principal, job_id)
        outcome = operation_outcome(
            "informational", "The export and its files were deleted.", severity="information"
        )
        return fhir_response(outcome, 202)
    found = bulk.status(principal, job_id, base=base_url(request))
    if found.status == 202:
        waiting = HttpResponse(
            status=202,
            headers={"X-Progress": found.progress,
                     "Retry-After": str(bulk.RETRY_AFTER_SECONDS)},
        )  # fmt: skip
        del waiting["Content-Type"]  # no body while it runs
        return waiting
    if found.status == 500:
        return fhir_response(operation_outcome("exception", found.error), 500)
    body: Any = json.dumps(found.manifest, separators=(",", ":"))
    done = HttpResponse(body, status=200, content_type="application/json")
    if found.expires is not None:
        done["Expires"] = http_date(found.expires.timestamp())  # when the files are removed
    return done


@fhir_endpoint(("GET",))
def export_file(
    request: HttpRequest, principal: FhirPrincipal, job_id: str, name: str
) -> HttpResponse:
    path, _count = bulk.open_file(principal, job_id, name)
    # Streamed from the file in blocks: a large export is never read into memory.
    return FileResponse(path.open("rb"), content_type=bulk.NDJSON)
