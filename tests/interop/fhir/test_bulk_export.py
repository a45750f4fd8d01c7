"""FHIR Bulk Data export (issue 12.4): a data warehouse registered for clinic A (SMART Backend
Services) kicks off an export, polls it, reads the manifest, downloads NDJSON files whose
every line is a resource exactly as the read API builds it (and valid against the official
FHIR R4 JSON Schema), and deletes the job. Every bad kick-off gets a 4xx OperationOutcome;
clinic B's client sees nothing of clinic A; ``_since`` and ``_type`` narrow the export."""

from __future__ import annotations

import json
import os
import stat
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from tests.support.backend_client import register_backend
from tests.support.fhir_client import FhirClient
from tests.support.fhir_schema import assert_valid_fhir

from ketacare.audit.models import AuditAction, AuditEntry
from ketacare.interop.fhir import bulk
from ketacare.interop.models import BulkExportJob, BulkExportState

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("data_dir")]

KICK_OFF_HEADERS = {"Accept": "application/fhir+json", "Prefer": "respond-async"}


@pytest.fixture
def warehouse(prescriber, tmp_path):
    return register_backend(tmp_path, prescriber.username)


@pytest.fixture
def outsider_warehouse(outsider, tmp_path):
    return register_backend(tmp_path, outsider.username, name="Clinic B warehouse")


def _get(token: str | None, path: str, headers: dict | None = None, **params):
    hdrs = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (headers or {}).items()}
    if token:
        hdrs["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return Client().get(path, params, **hdrs)


def _kick_off(token, path="/fhir/$export", headers=KICK_OFF_HEADERS, **params):
    return _get(token, path, headers, **params)


def _status_path(response) -> str:
    assert response.status_code == 202, response.content
    return response["Content-Location"].removeprefix("http://testserver")


def _run_and_fetch(token: str, kicked) -> dict:
    path = _status_path(kicked)
    waiting = _get(token, path)
    assert waiting.status_code == 202
    assert waiting["Retry-After"] == str(bulk.RETRY_AFTER_SECONDS)
    assert waiting["X-Progress"].startswith("accepted")
    assert waiting.content == b""
    assert bulk.run_pending() == 1
    done = _get(token, path)
    assert done.status_code == 200, done.content
    assert done["Content-Type"] == "application/json"
    return done.json()


def _lines(token: str, url: str) -> list[dict]:
    response = _get(token, url.removeprefix("http://testserver"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+ndjson"
    text = b"".join(response.streaming_content).decode()
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def _outcome(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert_valid_fhir(body)
    if code:
        assert body["issue"][0]["details"]["coding"][0]["code"] == code
    return body


def test_a_warehouse_exports_the_clinic_downloads_valid_ndjson_and_deletes_the_job(
    warehouse, scored_patient, other_clinic_patient, prescriber, data_dir
):
    token = warehouse.token("system/*.read")
    kicked = _kick_off(token)
    manifest = _run_and_fetch(token, kicked)

    assert manifest["requiresAccessToken"] is True
    assert manifest["request"] == "http://testserver/fhir/$export"
    assert manifest["transactionTime"].endswith("Z")
    assert manifest["error"] == []
    by_type = {entry["type"]: entry for entry in manifest["output"]}
    assert {"Patient", "Observation", "Condition", "MedicationStatement"} <= set(by_type)

    # Every line: one resource, exactly what the read API answers, valid FHIR R4.
    staff = FhirClient(prescriber)
    for entry in manifest["output"]:
        resources = _lines(token, entry["url"])
        assert len(resources) == entry["count"]
        for resource in resources:
            assert resource["resourceType"] == entry["type"]
            assert_valid_fhir(resource)
        first = resources[0]
        if entry["type"] not in ("Questionnaire", "AuditEvent"):
            assert staff.get(f"{first['resourceType']}/{first['id']}").json() == first
    patients = _lines(token, by_type["Patient"]["url"])
    assert [p["id"] for p in patients] == [str(scored_patient.pk)]  # not clinic B's

    # The files are the job's own, owner-only.
    job = BulkExportJob.objects.get()
    folder = data_dir / "bulk" / str(job.pk)
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    for path in folder.iterdir():
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600

    # Audited: the kick-off, the export (types, counts, patients), each download.
    export = AuditEntry.objects.get(action=AuditAction.EXPORT, target_id=str(job.pk))
    assert export.changes["after"]["patients"] == 1
    assert export.changes["after"]["counts"]["Observation"] == by_type["Observation"]["count"]
    assert export.changes["after"]["client_id"] == warehouse.client_id
    assert export.actor_username == prescriber.username
    downloads = AuditEntry.objects.filter(action=AuditAction.READ, target_id=str(job.pk))
    assert downloads.count() == len(manifest["output"]) + 1  # the Patient file twice

    # Deleted: 202, the files go, later polls and downloads 404.
    path = _status_path(kicked)
    assert Client().delete(path, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 202
    assert not folder.exists()
    _outcome(_get(token, path), 404)
    assert (
        _get(token, by_type["Patient"]["url"].removeprefix("http://testserver")).status_code == 404
    )
    assert BulkExportJob.objects.get().state == BulkExportState.DELETED


def test_a_patient_level_export_has_the_compartment_types_only(warehouse, scored_patient):
    token = warehouse.token()
    manifest = _run_and_fetch(token, _kick_off(token, "/fhir/Patient/$export"))
    types = {entry["type"] for entry in manifest["output"]}
    assert "Patient" in types
    assert "Observation" in types
    assert not types & {"Practitioner", "Questionnaire", "AuditEvent"}


def test_post_kick_off_takes_a_parameters_resource(warehouse, scored_patient):
    token = warehouse.token()
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "_type", "valueString": "Condition"},
            {"name": "_outputFormat", "valueString": "application/ndjson"},
        ],
    }
    kicked = Client().post(
        "/fhir/$export",
        json.dumps(body),
        content_type="application/fhir+json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_ACCEPT="application/fhir+json",
        HTTP_PREFER="respond-async",
    )
    manifest = _run_and_fetch(token, kicked)
    assert [entry["type"] for entry in manifest["output"]] == ["Condition"]
    assert _lines(token, manifest["output"][0]["url"])[0]["code"]["coding"][0]["code"] == "F33.1"


@pytest.mark.parametrize(
    "output_format",
    ["application/fhir+ndjson", "application/ndjson", "ndjson", "application/fhir ndjson"],
)
def test_every_ndjson_output_format_name_is_accepted(warehouse, output_format):
    assert _kick_off(warehouse.token(), _outputFormat=output_format).status_code == 202


def test_type_narrows_the_export(warehouse, scored_patient):
    token = warehouse.token()
    manifest = _run_and_fetch(token, _kick_off(token, _type="Patient,Condition"))
    assert sorted(e["type"] for e in manifest["output"]) == ["Condition", "Patient"]


def test_since_exports_only_what_changed_after_it(warehouse, scored_patient, nurse):
    from ketacare.patients.services import record_weight

    token = warehouse.token()
    cutoff = timezone.now()
    later = cutoff + timedelta(minutes=2)  # within the backend token's 5 minutes
    import time_machine

    with time_machine.travel(later, tick=False):
        weight = record_weight(
            actor=nurse, patient=scored_patient, weight_kg=Decimal("71.0"), measured_at=later
        )
        since = cutoff.isoformat().replace("+00:00", "Z")
        manifest = _run_and_fetch(token, _kick_off(token, _since=since, _type="Observation"))
    [entry] = manifest["output"]
    assert [r["id"] for r in _lines(token, entry["url"])] == [f"weight-{weight.pk}"]


def test_an_export_with_nothing_to_send_has_an_empty_output(warehouse, scored_patient):
    token = warehouse.token()
    future = (timezone.now() + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    manifest = _run_and_fetch(token, _kick_off(token, _since=future, _type="Condition"))
    assert manifest["output"] == []


def test_clinic_b_warehouse_sees_none_of_clinic_a(outsider_warehouse, warehouse, scored_patient,
                                                  other_clinic_patient):  # fmt: skip
    token = outsider_warehouse.token()
    manifest = _run_and_fetch(token, _kick_off(token, _type="Patient,Observation"))
    for entry in manifest["output"]:
        for resource in _lines(token, entry["url"]):
            ref = resource["id"] if entry["type"] == "Patient" else resource["subject"]["reference"]
            assert str(scored_patient.pk) not in (ref, f"Patient/{scored_patient.pk}")
    # Nor clinic A's job, its status or its files.
    a_token = warehouse.token()
    a_path = _status_path(_kick_off(a_token))
    _outcome(_get(token, a_path), 404)
    assert Client().delete(a_path, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 404


@pytest.mark.parametrize(
    ("headers", "params", "status", "code"),
    [
        ({"Prefer": "respond-async"}, {}, 400, "bulk_accept_required"),
        ({"Accept": "application/fhir+json"}, {}, 400, "bulk_prefer_required"),
        (KICK_OFF_HEADERS, {"_outputFormat": "text/csv"}, 400, "bulk_output_format"),
        (KICK_OFF_HEADERS, {"_since": "yesterday"}, 400, "bulk_since_invalid"),
        (KICK_OFF_HEADERS, {"_since": "2026-01-01T00:00:00"}, 400, "bulk_since_invalid"),
        (KICK_OFF_HEADERS, {"_type": "Spaceship"}, 400, "bulk_type_not_supported"),
        (KICK_OFF_HEADERS, {"_typeFilter": "Observation?code=x"}, 400,
         "bulk_parameter_not_supported"),
        (KICK_OFF_HEADERS, {"_elements": "id"}, 400, "bulk_parameter_not_supported"),
    ],
)  # fmt: skip
def test_a_bad_kick_off_is_a_4xx_operation_outcome_and_starts_nothing(
    warehouse, headers, params, status, code
):
    _outcome(_kick_off(warehouse.token(), headers=headers, **params), status, code)
    assert not BulkExportJob.objects.exists()


def test_a_type_outside_the_patient_compartment_is_refused_at_patient_level(warehouse):
    response = _kick_off(warehouse.token(), "/fhir/Patient/$export", _type="Practitioner")
    _outcome(response, 400, "bulk_type_not_supported")


def test_lenient_handling_ignores_unsupported_parameters(warehouse, scored_patient):
    headers = {**KICK_OFF_HEADERS, "Prefer": "respond-async, handling=lenient"}
    kicked = _kick_off(warehouse.token(), headers=headers, _elements="id", _type="Patient")
    assert kicked.status_code == 202


def test_a_user_token_without_system_scope_is_refused(prescriber):
    response = FhirClient(prescriber).get("$export", headers=KICK_OFF_HEADERS)
    _outcome(response, 403, "scope")
    assert not BulkExportJob.objects.exists()


def test_no_token_is_401(db):
    response = _kick_off(None)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_narrow_token_exports_only_its_type(warehouse, scored_patient):
    token = warehouse.token("system/Patient.read")
    manifest = _run_and_fetch(token, _kick_off(token))
    assert [e["type"] for e in manifest["output"]] == ["Patient"]
    _outcome(_kick_off(token, _type="Observation"), 403, "scope")


def test_a_failed_job_answers_500_with_an_operation_outcome(warehouse, scored_patient, monkeypatch):
    token = warehouse.token()
    kicked = _kick_off(token, _type="Patient")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(bulk.server, "iter_ndjson", broken)
    assert bulk.run_pending() == 1
    body = _outcome(_get(token, _status_path(kicked)), 500)
    assert "RuntimeError" in body["issue"][0]["diagnostics"]


def test_a_running_job_reports_progress_and_stops_when_deleted(warehouse, scored_patient,
                                                               monkeypatch):  # fmt: skip
    token = warehouse.token()
    path = _status_path(_kick_off(token, _type="Patient,Observation"))
    seen = {}
    real = bulk.server.iter_ndjson

    def spy(kind, *args, **kwargs):
        progress = _get(token, path)
        seen.setdefault(kind.name, (progress.status_code, progress["X-Progress"]))
        if kind.name == "Observation":
            Client().delete(path, HTTP_AUTHORIZATION=f"Bearer {token}")
        yield from real(kind, *args, **kwargs)

    monkeypatch.setattr(bulk, "PROGRESS_EVERY", 1)
    monkeypatch.setattr(bulk.server, "iter_ndjson", spy)
    bulk.run_pending()
    assert seen["Patient"] == (202, "running: Patient (1 of 2 types), 0 resources written")
    assert BulkExportJob.objects.get().state == BulkExportState.DELETED
    assert not (bulk.bulk_dir() / str(BulkExportJob.objects.get().pk)).exists()


def test_the_capability_statement_advertises_export(db):
    statement = FhirClient().get("metadata").json()
    assert statement["instantiates"] == [
        "http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data"
    ]
    rest = statement["rest"][0]
    definition = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"
    assert {"name": "export", "definition": definition} in rest["operation"]
    patient = next(r for r in rest["resource"] if r["type"] == "Patient")
    assert patient["operation"][0]["name"] == "export"
    assert_valid_fhir(statement)


def test_the_cron_command_runs_waiting_exports(warehouse, scored_patient):
    from io import StringIO

    from django.core.management import call_command

    token = warehouse.token()
    _status_path(_kick_off(token, _type="Patient"))
    out = StringIO()
    call_command("bulk_export_run", stdout=out)
    assert "1 export(s) run" in out.getvalue()
    assert BulkExportJob.objects.get().state == BulkExportState.COMPLETED


def test_a_finished_export_expires_its_files_are_removed_and_polls_404(warehouse, scored_patient):
    import time_machine

    token = warehouse.token()
    kicked = _kick_off(token, _type="Patient")
    _run_and_fetch(token, kicked)
    job = BulkExportJob.objects.get()
    done = _get(token, _status_path(kicked))
    assert done["Expires"]  # the files are kept until then
    folder = bulk.bulk_dir() / str(job.pk)
    assert folder.exists()
    with time_machine.travel(job.expires_at + timedelta(seconds=1), tick=False):
        assert bulk.tidy() == (0, 1)
        _outcome(_get(warehouse.token(), _status_path(kicked)), 404)
    assert not folder.exists()
    assert BulkExportJob.objects.get().state == BulkExportState.DELETED


def test_a_job_whose_worker_stopped_fails_after_the_stale_interval(warehouse, scored_patient):
    import time_machine

    token = warehouse.token()
    path = _status_path(_kick_off(token, _type="Patient"))
    started = timezone.now()
    BulkExportJob.objects.update(
        state=BulkExportState.RUNNING, started_at=started, heartbeat_at=started
    )
    just_before = started + timedelta(minutes=bulk.STALE_MINUTES) - timedelta(seconds=1)
    with time_machine.travel(just_before, tick=False):
        assert bulk.tidy() == (0, 0)
    with time_machine.travel(started + timedelta(minutes=bulk.STALE_MINUTES, seconds=1)):
        assert bulk.tidy() == (1, 0)
        body = _outcome(_get(warehouse.token(), path), 500)
    assert "kick it off again" in body["issue"][0]["diagnostics"]


def _poll_from_another_connection(token: str, path: str):
    """A poll as the client's own request makes it: its own thread, its own connection."""

    def poll():
        try:
            return _get(token, path)
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(poll).result()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    not os.environ.get("KETACARE_DATABASE_URL"), reason="the PostgreSQL pass of the suite"
)
def test_on_postgresql_every_type_is_read_in_one_read_only_snapshot_and_progress_still_shows(
    warehouse, scored_patient, monkeypatch
):
    token = warehouse.token()
    path = _status_path(_kick_off(token, _type="Patient,Observation"))
    seen = {}
    real = bulk.server.iter_ndjson

    def spy(kind, *args, **kwargs):
        with connection.cursor() as cursor:
            # now() is the transaction's start: the same value means the same transaction.
            cursor.execute(
                "SELECT current_setting('transaction_isolation'),"
                " current_setting('transaction_read_only'), now()"
            )
            seen[kind.name] = cursor.fetchone()
        seen[f"{kind.name} poll"] = _poll_from_another_connection(token, path)["X-Progress"]
        yield from real(kind, *args, **kwargs)

    monkeypatch.setattr(bulk.server, "iter_ndjson", spy)
    assert bulk.run_pending() == 1
    assert seen["Patient"][:2] == ("repeatable read", "on")
    assert seen["Observation"] == seen["Patient"]
    assert seen["Observation poll"] == "running: Observation (2 of 2 types), 1 resources written"
    assert _get(token, path).status_code == 200
    assert BulkExportJob.objects.get().counts["Patient"] == 1


def test_a_type_with_more_resources_than_a_file_holds_is_split_into_full_files(
    warehouse, scored_patient, monkeypatch
):
    monkeypatch.setattr(bulk, "FILE_LINES", 2)
    monkeypatch.setattr(bulk, "WRITE_LINES", 3)  # a batch of lines crosses a file's end
    token = warehouse.token()
    manifest = _run_and_fetch(token, _kick_off(token, _type="Observation"))
    counts = [entry["count"] for entry in manifest["output"]]
    assert len(counts) >= 2
    assert counts[:-1] == [2] * (len(counts) - 1)
    assert 1 <= counts[-1] <= 2
    lines = [_lines(token, entry["url"]) for entry in manifest["output"]]
    assert [len(file) for file in lines] == counts
    ids = [resource["id"] for file in lines for resource in file]
    assert len(ids) == len(set(ids)) == sum(counts)
