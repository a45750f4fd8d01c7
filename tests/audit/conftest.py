"""The audit log's scenario: a short clinical trail, sealed, and tampering as a database
superuser would do it (engine triggers off for the statement)."""

import pytest
from django.db import connection

from ketacare.audit.models import AuditEntry


@pytest.fixture
def trail(prescriber, patient):
    """Account creation, registration, a read and a demographics update."""
    from ketacare.patients.selectors import access_patient
    from ketacare.patients.services import record_demographics

    access_patient(prescriber, patient.pk)
    record_demographics(actor=prescriber, patient=patient, changes={"phone": "555-0199"})
    return list(AuditEntry.objects.order_by("id"))


@pytest.fixture
def sealed(trail):
    from ketacare.audit.services import seal

    result = seal()
    assert result.sealed == len(trail)
    return trail


@pytest.fixture
def tamper():
    return _tamper


def _tamper(sql: str, params=()) -> None:
    """Run ``sql`` as a superuser or the file's owner would: past the append-only triggers
    (PostgreSQL: session_replication_role, which only a superuser may set; SQLite: the
    triggers dropped and put back, in this test's transaction)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(sql, params)
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")
            return
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name LIKE 'audit%'"
        )
        triggers = cursor.fetchall()
        for name, _ in triggers:
            cursor.execute(f"DROP TRIGGER {name}")
        cursor.execute(sql, params)
        for _, create in triggers:
            cursor.execute(create)
