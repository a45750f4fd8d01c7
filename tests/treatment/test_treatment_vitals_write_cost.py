"""The vitals write is the clinic day's busiest request (a reading every few minutes per
chair), so its SQL is pinned: the token, the session locked once with its protocol version,
the clinic policy once, the reading, and one audit entry appended last (one INSERT, nothing
locked: the sequencer seals it later). A change that adds a statement changes the pin on
purpose."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from tests.support.vitals import NORMAL_VITALS

from ketacare.audit import services as audit_services
from ketacare.audit.models import AuditEntry
from ketacare.treatment import services
from ketacare.treatment.models import VitalsReading

# Savepoints only appear because the test runs inside a transaction; they are not counted.
VITALS_WRITE_STATEMENTS = [
    "SELECT accounts_apitoken",  # bearer token and its user
    "SELECT treatment_treatmentsession",  # the session, FOR UPDATE, with its protocol
    "SELECT protocols_clinicpolicyversion",  # the clinic's alert thresholds
    "INSERT INTO treatment_vitalsreading",
    "INSERT INTO audit_auditentry",  # one INSERT; no chain head to lock (issue 13)
]


def _statement(sql: str) -> str:
    words = sql.replace('"', "").split()
    if words[0] == "SELECT":
        return f"SELECT {words[words.index('FROM') + 1]}"
    return " ".join(words[:2] if words[0] == "UPDATE" else words[:3])


def _post_vitals(client, session_id):
    body = {**NORMAL_VITALS, "taken_at": timezone.now().isoformat()}
    return client.post(f"/sessions/{session_id}/vitals", body)


def test_recording_vitals_over_the_api_issues_five_statements_and_one_audit_entry(
    api, nurse, esketamine_course
):
    session = esketamine_course.sessions[0]
    client = api(nurse)
    assert client.post(f"/sessions/{session.pk}/check-in", {}).status_code == 200
    assert _post_vitals(client, session.pk).status_code == 201  # warm per-process caches
    entries = AuditEntry.objects.count()

    with CaptureQueriesContext(connection) as ctx:
        response = _post_vitals(client, session.pk)

    assert response.status_code == 201, response.content
    statements = [
        _statement(q["sql"])
        for q in ctx.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]
    assert statements == VITALS_WRITE_STATEMENTS
    # One entry for the request: the write's (no separate read entry for loading the session).
    new = AuditEntry.objects.order_by("-id")[: AuditEntry.objects.count() - entries]
    assert [(e.action, e.target_type) for e in new] == [("create", "treatment.VitalsReading")]
    assert VitalsReading.objects.filter(session=session).count() == 2


def test_vitals_for_another_clinics_session_is_not_found_and_writes_nothing(
    api, outsider, esketamine_course, unchanged
):
    session = esketamine_course.sessions[0]
    check = unchanged(VitalsReading)
    assert _post_vitals(api(outsider), session.pk).status_code == 404
    check()


def test_when_the_audit_entry_cannot_be_written_the_reading_is_not_recorded(
    api, nurse, esketamine_course, unchanged, monkeypatch
):
    # The reading and its audit entry are one transaction (both INSERTs compiled once per
    # connection): a reading never exists without the entry that says who recorded it.
    session = esketamine_course.sessions[0]
    assert api(nurse).post(f"/sessions/{session.pk}/check-in", {}).status_code == 200
    check = unchanged(VitalsReading)

    def audit_log_unavailable(entry):
        raise DatabaseError("audit_auditentry: disk full")

    monkeypatch.setattr(audit_services._INSERT_ENTRY, "insert", audit_log_unavailable)
    with pytest.raises(DatabaseError):
        services.record_vitals(
            actor=nurse, session=session.pk, **NORMAL_VITALS, taken_at=timezone.now()
        )
    check()
