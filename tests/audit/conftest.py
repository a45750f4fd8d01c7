"""The audit log's scenario: a short clinical trail, sealed, and tampering as a database
superuser would do it (engine triggers off for the statement)."""

import pytest
from django.db import connection
from tests.support.audit_triggers import audit_tables_with_triggers

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
    (PostgreSQL: the tables' own triggers disabled, which the owner may do without being a
    superuser; SQLite: the triggers dropped and put back; both in this test's transaction)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            tables = audit_tables_with_triggers(connection)
            # ALTER TABLE refuses while this transaction's deferred key checks are pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in tables:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            cursor.execute(sql, params)
            for table in tables:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
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
