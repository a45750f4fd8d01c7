"""The application's PostgreSQL role may only SELECT and INSERT the audit log: the README's
grants (src/ketacare/audit/app_role.sql), applied to a role in the test database, leave it
refused UPDATE, DELETE and TRUNCATE by privilege (SQLSTATE 42501), before any trigger runs,
while the server's own work (audited reads and writes, the sequencer's seal) still goes
through.

Which role: a role created for the test when the test's login may create roles (CREATEROLE);
otherwise (CI's and this machine's login is CREATEDB only) the grants are applied to the
test's login itself, the tables' owner. PostgreSQL lets an owner revoke its own privileges,
and checks them like anyone else's; what an owner keeps is the power to grant them back or
to switch the triggers off, which is why production runs the server as a role that owns
nothing (README). Everything happens inside the test's transaction and is rolled back.
SQLite has no roles: its triggers refuse the same statements (test_audit_triggers.py)."""

from pathlib import Path

import pytest
from django.db import DatabaseError, connection, transaction

from ketacare.audit.models import AuditCheckpoint, AuditEntry, AuditLeaf

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite has no database roles"
)

ROOT = Path(__file__).resolve().parents[2]
GRANTS = ROOT / "src" / "ketacare" / "audit" / "app_role.sql"
TABLES = ("audit_auditentry", "audit_auditleaf", "audit_auditcheckpoint")
INSUFFICIENT_PRIVILEGE = "42501"


def test_the_readme_gives_the_grants_verbatim():
    readme = (ROOT / "README.md").read_text()
    assert f"```sql\n{GRANTS.read_text()}```" in readme


@pytest.fixture
def app_role(sealed):
    """The README's grants on a role; the server's connection is that role until the end."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = current_user"
        )
        may_create_roles = cursor.fetchone()[0]
        if may_create_roles:
            role = "kc_test_app_role"
            cursor.execute(f"CREATE ROLE {role} NOLOGIN")
            cursor.execute(f"GRANT {role} TO current_user")
        else:
            role = "CURRENT_USER"
        cursor.execute(GRANTS.read_text().replace("ketacare_app", role))
        if may_create_roles:
            cursor.execute(f"SET LOCAL ROLE {role}")
    yield role
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")


def _sqlstate(sql):
    with (
        pytest.raises(DatabaseError) as refused,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    return getattr(refused.value.__cause__, "sqlstate", None)


def _snapshot():
    return [
        list(AuditEntry.objects.order_by("pk").values_list("pk", "summary")),
        list(AuditLeaf.objects.values_list("index", "leaf_hash")),
        list(AuditCheckpoint.objects.values_list("tree_size", "root_hash")),
    ]


@postgresql_only
@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize(
    "statement",
    ["DELETE FROM {table}", "TRUNCATE {table} CASCADE", "UPDATE {table} SET {column} = {column}"],
)
def test_the_app_role_is_refused_changing_the_log_by_privilege(app_role, statement, table):
    column = {"audit_auditentry": "summary", "audit_auditleaf": "leaf_hash"}.get(table, "root_hash")
    before = _snapshot()
    assert _sqlstate(statement.format(table=table, column=column)) == INSUFFICIENT_PRIVILEGE
    assert _snapshot() == before


@postgresql_only
def test_the_app_role_still_records_reads_and_writes_and_seals_them(app_role, prescriber, patient):
    from ketacare.audit.services import seal
    from ketacare.patients.selectors import access_patient
    from ketacare.patients.services import record_demographics

    entries = AuditEntry.objects.count()
    access_patient(prescriber, patient.pk)
    record_demographics(actor=prescriber, patient=patient, changes={"phone": "555-0123"})
    assert AuditEntry.objects.count() == entries + 2
    result = seal()
    assert result.sealed == 2
    assert AuditCheckpoint.objects.filter(tree_size=result.tree_size).exists()
