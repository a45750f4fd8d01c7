"""The engine refuses to change the log, even to raw SQL through the application's own
connection: UPDATE and DELETE on both engines, TRUNCATE on PostgreSQL. (A superuser or the
SQLite file's owner can switch the triggers off; the signed checkpoints catch what they do
then, tests/audit/test_verification.py.)"""

import pytest
from django.core.management.color import no_style
from django.db import DatabaseError, connection, transaction

from ketacare.audit.models import AuditCheckpoint, AuditEntry, AuditLeaf, ImmutableRecordError


def _snapshot():
    return [
        list(AuditEntry.objects.order_by("pk").values_list("pk", "summary")),
        list(AuditLeaf.objects.values_list("index", "leaf_hash")),
        list(AuditCheckpoint.objects.values_list("tree_size", "root_hash")),
    ]


def _refused(sql, params=()):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditentry SET summary = 'rewritten'",
        "DELETE FROM audit_auditentry",
        "UPDATE audit_auditleaf SET leaf_hash = 'x'",
        "DELETE FROM audit_auditleaf",
        "UPDATE audit_auditcheckpoint SET root_hash = 'x'",
        "DELETE FROM audit_auditcheckpoint",
    ],
)
def test_raw_update_and_delete_of_the_log_are_refused_and_change_nothing(sealed, sql):
    before = _snapshot()
    _refused(sql)
    assert _snapshot() == before


@pytest.mark.parametrize("table", ["audit_auditentry", "audit_auditleaf", "audit_auditcheckpoint"])
def test_emptying_a_log_table_wholesale_is_refused(sealed, table):
    """TRUNCATE on PostgreSQL (row triggers do not see it; a statement trigger does); SQLite
    has no TRUNCATE, and its table-emptying DELETE runs the triggers."""
    before = _snapshot()
    if connection.vendor == "postgresql":
        _refused(f"TRUNCATE {table} CASCADE")
    else:
        _refused(f"DELETE FROM {table}")
    assert _snapshot() == before


def test_djangos_own_flush_of_the_audit_tables_is_refused(sealed):
    """What `ketacare manage flush` would run (and what pytest-django runs between
    transactional tests, past the triggers: see tests/conftest.py)."""
    before = _snapshot()
    statements = connection.ops.sql_flush(
        no_style(), ["audit_auditcheckpoint", "audit_auditleaf", "audit_auditentry"]
    )
    for sql in statements:  # one TRUNCATE on PostgreSQL, a DELETE per table on SQLite
        _refused(sql)
    assert _snapshot() == before


def test_the_orm_refuses_to_change_entries_leaves_and_checkpoints(sealed):
    before = _snapshot()
    entry = AuditEntry.objects.first()
    entry.summary = "rewritten"
    for attempt in (
        entry.save,
        entry.delete,
        lambda: AuditEntry.objects.update(summary="x"),
        lambda: AuditEntry.objects.all().delete(),
        AuditLeaf.objects.first().save,
        AuditLeaf.objects.first().delete,
        lambda: AuditLeaf.objects.update(leaf_hash="x"),
        AuditCheckpoint.objects.first().save,
        lambda: AuditCheckpoint.objects.all().delete(),
    ):
        with pytest.raises(ImmutableRecordError):
            attempt()
    assert _snapshot() == before
