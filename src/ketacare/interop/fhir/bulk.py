"""FHIR Bulk Data Access 2.0 export (``$export``): kick-off, progress, the manifest, the files.

- **Kick-off** (``kick_off``): system level (``/fhir/$export``: every type the client may
  read) or all patients (``/fhir/Patient/$export``: the Patient compartment types). Only a
  SMART Backend Services token (``system/`` scopes) may export. Parameters: ``_outputFormat``
  (``application/fhir+ndjson`` and its synonyms ``application/ndjson``, ``ndjson``),
  ``_since`` (a FHIR instant with a time zone: resources changed after it), ``_type``
  (comma-separated, repeatable; a type not served, or outside the Patient compartment for a
  patient-level export, is refused with 400). Any other parameter is refused with 400 unless
  the client sent ``Prefer: handling=lenient``. There is no Group export: KetaCare has no
  group of patients to export by.
- **The job** (``models.BulkExportJob``) is the progress record: state, counts per type,
  started and finished, the client and the login it acts for. ``run_pending`` (the worker
  beside ``ketacare serve``, or ``ketacare manage bulk_export_run`` from cron) claims accepted
  jobs one at a time and streams each type through ``server.iter_ndjson`` (queryset
  ``.iterator(chunk_size=...)``; the same JSON as the read API's builders, the high-volume
  Observations by the ``bulk_rows`` fast path) into NDJSON files
  under ``KETACARE_DATA_DIR/bulk/<job>/`` (directory 0700, files 0600, at most
  ``FILE_LINES`` resources a file): the export is never held in memory. Resources changed
  after the kick-off's ``transactionTime`` are left out, as the specification asks.
- **Status** (``status``): 202 with ``X-Progress`` and ``Retry-After`` while it runs; 200 with
  the manifest when done (``Expires``: the files are kept ``KETACARE_BULK_EXPORT_KEEP_HOURS``);
  500 with an OperationOutcome only if the job failed (or its worker stopped: no progress for
  ``STALE_MINUTES``). Deleting the job (``delete``) or its expiry removes its files; later
  polls answer 404.
- **Audit**: the kick-off (types asked for), the completed export (types, counts, how many
  patients, the client) and every file download each leave an entry: patient data leaves.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, close_old_connections, connection, connections, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ketacare.access import NotFound
from ketacare.accounts.permissions import PermissionDenied
from ketacare.audit.models import AuditAction
from ketacare.audit.services import record_read, record_write
from ketacare.interop.fhir import server
from ketacare.interop.fhir.access import FhirPrincipal, ScopeRefused
from ketacare.interop.fhir.errors import FhirError
from ketacare.interop.models import BulkExportJob, BulkExportState

log = logging.getLogger(__name__)

NDJSON = "application/fhir+ndjson"
OUTPUT_FORMATS = frozenset({"application/fhir+ndjson", "application/ndjson", "ndjson"})
SUPPORTED_PARAMS = frozenset({"_outputFormat", "_since", "_type"})
# Operational bounds (not clinical numbers).
CHUNK_SIZE = 2000  # rows fetched per database round trip while streaming
FILE_LINES = 100_000  # resources per NDJSON file; a type with more gets several files
WRITE_LINES = 500  # lines joined into one write to a file
PROGRESS_EVERY = 5000  # resources between progress saves (and checks for a deletion)
RETRY_AFTER_SECONDS = 5
# A running job with no progress saved for this long lost its worker (a crash, a restart):
# it is marked failed, so its client stops polling and kicks off again.
STALE_MINUTES = 15

OPERATION_DEFINITION = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition"


def bulk_dir() -> Path:
    return Path(settings.DATA_DIR) / "bulk"


def _job_dir(job_id: uuid.UUID) -> Path:
    return bulk_dir() / str(job_id)


# --- kick-off ---------------------------------------------------------------------------------


def require_system_access(principal: FhirPrincipal) -> str:
    """The backend client's id; only a SMART Backend Services token may export (403)."""
    client_id = principal.extra.get("client_id", "")
    if principal.via != "smart-backend" or not client_id:
        raise ScopeRefused(
            "Bulk Data export needs a SMART Backend Services access token with system/ scopes."
        )
    return client_id


def _readable(principal: FhirPrincipal, kind: server.ResourceKind) -> bool:
    if not principal.allows(kind.name, "r"):
        return False
    try:
        server._require_role(principal, kind)
    except PermissionDenied:
        return False
    return True


def _level_types(level: str) -> list[str]:
    if level == "system":
        return list(server.KINDS)
    return [name for name, kind in server.KINDS.items() if kind.compartment]


def _instant(value: str) -> datetime:
    parsed = parse_datetime(value) if "T" in value else None
    if parsed is None or parsed.tzinfo is None:
        raise FhirError(
            400,
            "invalid",
            "_since must be a FHIR instant with a time zone (2026-01-01T00:00:00Z).",
            details_code="bulk_since_invalid",
        )
    return parsed


@dataclass(frozen=True)
class KickOff:
    types: list[str]
    since: datetime | None
    output_format: str


def parse_kick_off(
    principal: FhirPrincipal, level: str, params: list[tuple[str, str]], *, lenient: bool
) -> KickOff:
    """The export asked for, or the 4xx OperationOutcome the specification asks for."""
    output_format, since, asked = NDJSON, None, []
    for name, value in params:
        if name == "_outputFormat":
            # An unencoded "+" in a query string arrives as a space.
            value = value.replace(" ", "+")
            if value not in OUTPUT_FORMATS:
                raise FhirError(
                    400,
                    "not-supported",
                    f"_outputFormat {value!r} is not supported: use application/fhir+ndjson.",
                    details_code="bulk_output_format",
                )
            output_format = value
        elif name == "_since":
            since = _instant(value)
        elif name == "_type":
            asked.extend(t.strip() for t in value.split(",") if t.strip())
        elif not lenient:
            raise FhirError(
                400,
                "not-supported",
                f"The $export parameter {name!r} is not supported here"
                " (send Prefer: handling=lenient to have it ignored).",
                details_code="bulk_parameter_not_supported",
            )
    allowed = _level_types(level)
    for name in asked:
        if name not in allowed:
            where = "exported" if level == "system" else "in the Patient compartment"
            raise FhirError(
                400,
                "not-supported",
                f"_type {name!r} is not a resource type {where} here.",
                details_code="bulk_type_not_supported",
            )
    if asked:
        refused = [t for t in dict.fromkeys(asked) if not _readable(principal, server.KINDS[t])]
        if refused:
            raise ScopeRefused(f"The access granted does not allow export of {', '.join(refused)}.")
        types = list(dict.fromkeys(asked))
    else:
        types = [t for t in allowed if _readable(principal, server.KINDS[t])]
        if not types:
            raise ScopeRefused("The access granted allows the export of no resource type.")
    return KickOff(types, since, output_format)


@transaction.atomic
def kick_off(
    principal: FhirPrincipal,
    *,
    level: str,
    params: list[tuple[str, str]],
    lenient: bool,
    request_url: str,
) -> BulkExportJob:
    """Accept an export request: the job, waiting for the worker."""
    client_id = require_system_access(principal)
    asked = parse_kick_off(principal, level, params, lenient=lenient)
    user = principal.user
    now = timezone.now()
    job = BulkExportJob.objects.create(
        clinic_id=user.clinic_id,
        requested_by=user,
        client_id=client_id,
        level=level,
        types=asked.types,
        since=asked.since,
        output_format=asked.output_format,
        request_url=request_url[:2000],
        transaction_time=now,
        created_at=now,
    )
    record_write(
        actor=user,
        action=AuditAction.CREATE,
        target=job,
        after={
            "client_id": client_id,
            "level": level,
            "types": asked.types,
            "since": asked.since,
        },
        summary=f"Bulk Data export requested by backend client {client_id}: "
        f"{level} level, {', '.join(asked.types)}",
    )
    return job


# --- the job's own reads and writes -------------------------------------------------------------


def _job_for(principal: FhirPrincipal, job_id: str) -> BulkExportJob:
    """The client's own job (its clinic's, not deleted); "not found" for anyone else's."""
    client_id = require_system_access(principal)
    try:
        pk = uuid.UUID(str(job_id))
    except ValueError:
        raise NotFound("export job") from None
    job = (
        BulkExportJob.objects.filter(pk=pk, client_id=client_id, clinic_id=principal.user.clinic_id)
        .exclude(state=BulkExportState.DELETED)
        .first()
    )
    if job is None:
        raise NotFound("export job")
    return job


@dataclass(frozen=True)
class Status:
    status: int  # 202 running, 200 done, 500 failed
    manifest: dict[str, Any] | None = None
    expires: datetime | None = None
    progress: str = ""
    error: str = ""


def status(principal: FhirPrincipal, job_id: str, *, base: str) -> Status:
    job = _job_for(principal, job_id)
    if job.state in (BulkExportState.ACCEPTED, BulkExportState.RUNNING):
        done = sum(job.counts.values())
        if job.state == BulkExportState.ACCEPTED:
            progress = "accepted: waiting to start"
        else:
            index = job.types.index(job.current_type) + 1 if job.current_type in job.types else 0
            progress = (
                f"running: {job.current_type or 'starting'} ({index} of {len(job.types)} types),"
                f" {done} resources written"
            )
        return Status(202, progress=progress)
    if job.state == BulkExportState.FAILED:
        return Status(500, error=job.error or "The export failed.")
    return Status(200, manifest=manifest(job, base), expires=job.expires_at)


def manifest(job: BulkExportJob, base: str) -> dict[str, Any]:
    """The completion manifest (Bulk Data 2.0, "Response - Complete Status")."""
    return {
        "transactionTime": job.transaction_time.isoformat().replace("+00:00", "Z"),
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": [
            {"type": f["type"], "url": f"{base}/bulk/{job.pk}/{f['name']}", "count": f["count"]}
            for f in job.files
        ],
        # KetaCare records are never deleted (corrections supersede), so there is no
        # "deleted" list for a _since export; errors fail the whole job instead.
        "error": [],
    }


def delete(principal: FhirPrincipal, job_id: str) -> None:
    """Cancel or delete the client's job: its files go, later polls answer 404 (a running
    worker sees the state at its next progress save and stops)."""
    with transaction.atomic():
        job = _job_for(principal, job_id)
        BulkExportJob.objects.filter(pk=job.pk).update(
            state=BulkExportState.DELETED, finished_at=job.finished_at or timezone.now()
        )
        record_write(
            actor=principal.user,
            action=AuditAction.UPDATE,
            target=job,
            before={"state": job.state},
            after={"state": BulkExportState.DELETED},
            summary=f"Bulk Data export deleted by backend client {job.client_id}",
        )
    shutil.rmtree(_job_dir(job.pk), ignore_errors=True)


def open_file(principal: FhirPrincipal, job_id: str, name: str) -> tuple[Path, int]:
    """A completed job's output file, for its own client; every download audited."""
    job = _job_for(principal, job_id)
    entry = next((f for f in job.files if f["name"] == name), None)
    if job.state != BulkExportState.COMPLETED or entry is None:
        raise NotFound("export file")
    path = _job_dir(job.pk) / entry["name"]
    if not path.is_file():
        raise NotFound("export file")
    record_read(
        actor=principal.user,
        target=job,
        summary=f"Bulk Data file {name} ({entry['count']} {entry['type']}) downloaded by "
        f"backend client {job.client_id}",
    )
    return path, entry["count"]


# --- the worker -------------------------------------------------------------------------------


class _Deleted(Exception):
    """The client deleted the job while it ran."""


def _private_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)


class _Writer:
    """NDJSON files of one type, ``<Type>-<n>.ndjson``, a new one every ``FILE_LINES``."""

    def __init__(self, folder: Path, resource_type: str) -> None:
        self.folder, self.type = folder, resource_type
        self.files: list[dict[str, Any]] = []
        self._out = None
        self._pending: list[str] = []  # lines of the open file not written yet

    def write(self, line: str) -> None:
        """One resource, one line (``line`` ends with its newline)."""
        if self._out is None or self.files[-1]["count"] >= FILE_LINES:
            self.close()
            name = f"{self.type}-{len(self.files) + 1}.ndjson"
            fd = os.open(self.folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            self._out = os.fdopen(fd, "w", encoding="utf-8", newline="\n")
            self.files.append({"type": self.type, "name": name, "count": 0})
        self._pending.append(line)
        self.files[-1]["count"] += 1
        if len(self._pending) >= WRITE_LINES:
            self._flush()

    def _flush(self) -> None:
        # One write (and one UTF-8 encoding) per batch of lines, not per line.
        self._out.write("".join(self._pending))
        self._pending.clear()

    def close(self) -> None:
        if self._out is not None:
            self._flush()
            self._out.close()
            self._out = None


def _save_progress(job: BulkExportJob, counts: dict[str, int], current: str) -> None:
    updated = BulkExportJob.objects.filter(pk=job.pk, state=BulkExportState.RUNNING).update(
        counts=counts, current_type=current, heartbeat_at=timezone.now()
    )
    if not updated:
        raise _Deleted


SaveProgress = Callable[[BulkExportJob, dict[str, int], str], None]


def _progress_on(side: Any) -> SaveProgress:
    """``_save_progress`` over ``side``, a connection of its own in autocommit: pollers see
    each save at once while the export's reads stay in their snapshot transaction."""
    meta = BulkExportJob._meta
    qn = side.ops.quote_name
    col = {name: qn(meta.get_field(name).column) for name in ("id", "state", "counts",
           "current_type", "heartbeat_at")}  # fmt: skip
    sql = (
        f"UPDATE {qn(meta.db_table)} SET {col['counts']} = %s::jsonb, "
        f"{col['current_type']} = %s, {col['heartbeat_at']} = %s "
        f"WHERE {col['id']} = %s AND {col['state']} = %s"
    )

    def save(job: BulkExportJob, counts: dict[str, int], current: str) -> None:
        with side.cursor() as cursor:
            cursor.execute(
                sql, [json.dumps(counts), current, timezone.now(), job.pk, BulkExportState.RUNNING]
            )
            if cursor.rowcount == 0:
                raise _Deleted

    return save


@contextmanager
def _read_snapshot() -> Iterator[SaveProgress]:
    """Every type of the export read from one snapshot of the database (PostgreSQL): one
    REPEATABLE READ, READ ONLY transaction, so the types agree with each other (no
    Observation of an Encounter committed between two types' reads) and, with the
    ``updated <= transactionTime`` filter, with the manifest's ``transactionTime``. Inside
    a transaction already (a caller's ``atomic``, the test suite's), the reads simply join
    it. On SQLite each type is one statement, as before: its transactions here are
    ``IMMEDIATE``, and one open for the whole export would hold the write lock that long."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield _save_progress
        return
    side = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield _progress_on(side)
    finally:
        side.close()


def _write_all(
    job: BulkExportJob, folder: Path, save_progress: SaveProgress
) -> tuple[list[dict], dict[str, int], int]:
    counts: dict[str, int] = {}
    files: list[dict[str, Any]] = []
    patients: set[str] = set()
    for resource_type in job.types:
        kind = server.KINDS[resource_type]
        counts[resource_type] = 0
        save_progress(job, counts, resource_type)
        writer = _Writer(folder, resource_type)
        try:
            for line, patient in server.iter_ndjson(
                kind,
                job.clinic_id,
                since=job.since,
                until=job.transaction_time,
                chunk_size=CHUNK_SIZE,
            ):
                writer.write(line + "\n")
                counts[resource_type] += 1
                if patient is not None:
                    patients.add(patient)
                if counts[resource_type] % PROGRESS_EVERY == 0:
                    save_progress(job, counts, resource_type)
        finally:
            writer.close()
        files.extend(writer.files)
    return files, counts, len(patients)


def run_export(job_id: uuid.UUID) -> str:
    """Run one accepted job to its end (its state afterwards), unless another worker has
    claimed it first."""
    now = timezone.now()
    claimed = BulkExportJob.objects.filter(pk=job_id, state=BulkExportState.ACCEPTED).update(
        state=BulkExportState.RUNNING, started_at=now, heartbeat_at=now
    )
    if not claimed:
        return "not claimed"
    job = BulkExportJob.objects.select_related("requested_by").get(pk=job_id)
    folder = _job_dir(job.pk)
    try:
        _private_dir(bulk_dir())
        _private_dir(folder)
        with _read_snapshot() as save_progress:
            files, counts, patients = _write_all(job, folder, save_progress)
        with transaction.atomic():
            finished = timezone.now()
            done = BulkExportJob.objects.filter(pk=job.pk, state=BulkExportState.RUNNING).update(
                state=BulkExportState.COMPLETED,
                finished_at=finished,
                expires_at=finished + timedelta(hours=settings.BULK_EXPORT_KEEP_HOURS),
                counts=counts,
                files=files,
                current_type="",
                patient_count=patients,
            )
            if not done:
                raise _Deleted
            record_write(
                actor=job.requested_by,
                action=AuditAction.EXPORT,
                target=job,
                after={
                    "client_id": job.client_id,
                    "level": job.level,
                    "counts": counts,
                    "patients": patients,
                    "since": job.since,
                },
                summary=f"Bulk Data export for backend client {job.client_id}: "
                f"{sum(counts.values())} resources of {patients} patients",
            )
        return BulkExportState.COMPLETED
    except _Deleted:
        shutil.rmtree(folder, ignore_errors=True)
        return BulkExportState.DELETED
    except Exception as exc:
        log.exception("Bulk Data export %s failed", job.pk)
        shutil.rmtree(folder, ignore_errors=True)
        BulkExportJob.objects.filter(pk=job.pk, state=BulkExportState.RUNNING).update(
            state=BulkExportState.FAILED,
            finished_at=timezone.now(),
            # The class only: a message could quote a patient's data.
            error=f"The export failed on the server ({type(exc).__name__}).",
        )
        return BulkExportState.FAILED


def tidy() -> tuple[int, int]:
    """Fail running jobs whose worker stopped (no progress for ``STALE_MINUTES``) and remove
    completed exports past ``expires_at`` (their polls answer 404 from then on): how many of
    each."""
    now = timezone.now()
    stale = 0
    for job_id in BulkExportJob.objects.filter(
        state=BulkExportState.RUNNING, heartbeat_at__lt=now - timedelta(minutes=STALE_MINUTES)
    ).values_list("pk", flat=True):
        stale += BulkExportJob.objects.filter(pk=job_id, state=BulkExportState.RUNNING).update(
            state=BulkExportState.FAILED,
            finished_at=now,
            error="The export stopped on the server (its worker ended); kick it off again.",
        )
        shutil.rmtree(_job_dir(job_id), ignore_errors=True)
    expired = 0
    for job in BulkExportJob.objects.select_related("requested_by").filter(
        state=BulkExportState.COMPLETED, expires_at__lt=now
    ):
        with transaction.atomic():
            if not BulkExportJob.objects.filter(pk=job.pk, state=BulkExportState.COMPLETED).update(
                state=BulkExportState.DELETED
            ):
                continue
            record_write(
                actor=job.requested_by,
                action=AuditAction.UPDATE,
                target=job,
                before={"state": job.state},
                after={"state": BulkExportState.DELETED},
                summary=f"Bulk Data export for backend client {job.client_id} expired: "
                "files removed",
            )
        shutil.rmtree(_job_dir(job.pk), ignore_errors=True)
        expired += 1
    return stale, expired


def run_pending(max_jobs: int | None = None) -> int:
    """Tidy (``tidy``), then run accepted jobs, oldest first, until none is waiting (or
    ``max_jobs`` ran)."""
    tidy()
    ran = 0
    while max_jobs is None or ran < max_jobs:
        job_id = (
            BulkExportJob.objects.filter(state=BulkExportState.ACCEPTED)
            .order_by("created_at")
            .values_list("pk", flat=True)
            .first()
        )
        if job_id is None:
            break
        run_export(job_id)
        ran += 1
    return ran


def run_worker(every: float, *, parent: int = 0) -> int:
    """Look for accepted jobs every ``every`` seconds until SIGTERM or SIGINT, or, given
    ``parent`` (the server that started it), until that process is gone."""
    import signal

    stopping: list[bool] = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(True))
    due = 0.0
    while not stopping:
        if parent and os.getppid() != parent:
            break
        if time.monotonic() >= due:
            try:
                run_pending()
            except Exception:  # a database restart, say: keep going, say why
                log.exception("bulk export worker: a run failed; trying again")
                close_old_connections()
            due = time.monotonic() + every
        time.sleep(min(0.2, every))
    return 0
