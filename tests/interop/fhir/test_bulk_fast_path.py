"""Bulk export's fast path (``bulk_rows``, issue 12 item 4) sends exactly what the read API's
builders make: the demo clinic exported by the worker, every line of every file compared,
resource by resource, with the reference (``server.iter_resources`` without ``fast``: the
``resources`` builders over ORM rows), parsed by its R4B model and valid against the official
FHIR R4 JSON Schema. And the export's reads do not grow with the rows it reads (no query per
row)."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from fhir.resources.R4B import get_fhir_model_class
from tests.support.backend_client import register_backend
from tests.support.fhir_schema import assert_valid_fhir

from ketacare.interop.fhir import bulk, server
from ketacare.interop.fhir.bulk_rows import FAST_PATHS, patient_of
from ketacare.interop.models import BulkExportJob

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("data_dir")]

KICK_OFF = {"HTTP_ACCEPT": "application/fhir+json", "HTTP_PREFER": "respond-async"}


def _export(
    tmp_path, username: str, name: str, reads: list[str] | None = None
) -> tuple[BulkExportJob, dict[str, list[str]]]:
    """Kick off a system-level export for ``username``'s clinic, run the worker; the job and
    each type's lines, files in manifest order. ``reads``: gets the worker's SELECTs (not
    those on its own job row)."""
    backend = register_backend(tmp_path, username, name=name)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {backend.token('system/*.read')}"}
    kicked = Client().get("/fhir/$export", **KICK_OFF, **auth)
    assert kicked.status_code == 202, kicked.content
    with CaptureQueriesContext(connection) as queries:
        assert bulk.run_pending() == 1
    if reads is not None:
        reads.extend(
            q["sql"]
            for q in queries.captured_queries
            if q["sql"].lstrip().upper().startswith("SELECT")
            and "interop_bulkexportjob" not in q["sql"]
        )
    status = Client().get(kicked["Content-Location"].removeprefix("http://testserver"), **auth)
    assert status.status_code == 200, status.content
    lines: dict[str, list[str]] = {}
    for entry in status.json()["output"]:
        url = entry["url"].removeprefix("http://testserver")
        text = b"".join(Client().get(url, **auth).streaming_content).decode()
        lines.setdefault(entry["type"], []).extend(text.splitlines())
    return BulkExportJob.objects.get(
        pk=kicked["Content-Location"].rstrip("/").split("/")[-1]
    ), lines


def test_every_exported_line_of_the_demo_clinic_is_what_the_reference_builders_make(
    demo_clinic, tmp_path
):
    job, lines = _export(tmp_path, demo_clinic["prescriber"].username, "Demo warehouse")
    fast_ids = 0
    for resource_type in job.types:
        reference = list(
            server.iter_resources(
                server.KINDS[resource_type], job.clinic_id, until=job.transaction_time
            )
        )
        got = lines.get(resource_type, [])
        assert len(got) == len(reference), resource_type
        # The patient each line is counted for (the audit entry's "patients").
        patients = [p for _, p in server.iter_ndjson(server.KINDS[resource_type], job.clinic_id)]
        assert patients == [patient_of(resource) for resource in reference], resource_type
        model = get_fhir_model_class(resource_type) if reference else None
        for line, expected in zip(got, reference, strict=True):
            sent = json.loads(line)
            # Normalised: both as JSON values (the reference dict through a JSON round trip).
            assert sent == json.loads(json.dumps(expected)), (resource_type, sent.get("id"))
            assert_valid_fhir(sent)
            model.model_validate(sent)  # the R4B model the read API checks with accepts it
            fast_ids += sent["id"].startswith(("bp-", "heart-rate-", "spo2-", "resp-rate-"))
            fast_ids += sent["id"].startswith("session-scale-")
    # The fast paths were taken on real rows: the demo clinic's readings and session ratings.
    assert fast_ids > 100
    assert {key for key in FAST_PATHS} == {
        ("Observation", "vitals"),
        ("Observation", "session-scale"),
    }


def test_the_export_reads_a_busy_clinic_in_as_many_queries_as_an_almost_empty_one(
    demo_clinic, prescriber, tmp_path, monkeypatch
):
    # The demo clinic holds thousands of rows; clinic A, one prescriber and nothing else. One
    # chunk holds any demo table, so a query per row (N+1) would show as a difference.
    monkeypatch.setattr(bulk, "CHUNK_SIZE", 1_000_000)
    empty: list[str] = []
    busy: list[str] = []
    _export(tmp_path, prescriber.username, "Clinic A warehouse", empty)
    _export(tmp_path, demo_clinic["prescriber"].username, "Demo warehouse", busy)
    # The one difference: CarePlan's components, prefetched once per chunk of plans (clinic
    # A has no plan, so no chunk to prefetch for).
    assert len(busy) == len(empty) + 1, "\n".join(busy)
    assert sum("careplans_plancomponent" in sql for sql in busy) == 1
