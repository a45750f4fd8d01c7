"""The audit trail is append-only and hash-chained: tampering is detected and located."""

import itertools

import pytest
from django.db import connection, transaction

from ketacare.audit.models import AuditEntry, ImmutableRecordError
from ketacare.audit.services import verify_chain
from ketacare.cli import main as ketacare_cli


@pytest.fixture
def trail(prescriber, patient):
    from ketacare.patients.selectors import access_patient
    from ketacare.patients.services import record_demographics

    access_patient(prescriber, patient.pk)
    record_demographics(actor=prescriber, patient=patient, changes={"phone": "555-0199"})
    return list(AuditEntry.objects.order_by("id"))


def test_every_entry_links_to_the_previous_one_and_the_chain_verifies(trail):
    assert len(trail) >= 4  # two accounts, registration, read, update
    for earlier, later in itertools.pairwise(trail):
        assert later.prev_hash == earlier.entry_hash
    result = verify_chain()
    assert result.ok
    assert result.checked == len(trail)


def test_update_records_who_what_before_and_after(trail, prescriber, patient):
    update = trail[-1]
    assert update.action == "update"
    assert update.actor_id == prescriber.pk
    assert update.patient_id_snapshot == patient.pk
    assert update.changes == {"before": {"phone": ""}, "after": {"phone": "555-0199"}}


def test_entries_cannot_be_changed_or_deleted_through_the_app(trail):
    entry = trail[0]
    entry.summary = "rewritten"
    with pytest.raises(ImmutableRecordError):
        entry.save()
    with pytest.raises(ImmutableRecordError):
        entry.delete()
    with pytest.raises(ImmutableRecordError):
        AuditEntry.objects.filter(pk=entry.pk).update(summary="rewritten")
    with pytest.raises(ImmutableRecordError):
        AuditEntry.objects.all().delete()


def _raw(sql: str, params: list) -> None:
    """Tamper as a database superuser would: on PostgreSQL the append-only trigger must be
    switched off first (CI connects as the postgres superuser)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")  # triggers off
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")


def test_raw_sql_tampering_is_detected_at_the_first_changed_entry(trail, capsys):
    victim = trail[2]
    _raw("UPDATE audit_auditentry SET summary = 'nothing to see' WHERE id = %s", [victim.pk])
    result = verify_chain()
    assert not result.ok
    assert result.first_broken_id == victim.pk
    assert ketacare_cli(["audit", "verify"]) == 1
    assert f"#{victim.pk}" in capsys.readouterr().err


def test_deleting_an_entry_in_the_middle_is_detected_at_the_next_entry(trail):
    _raw("DELETE FROM audit_auditentry WHERE id = %s", [trail[1].pk])
    result = verify_chain()
    assert not result.ok
    assert result.first_broken_id == trail[2].pk


def test_removing_the_newest_entries_is_detected(trail):
    _raw("DELETE FROM audit_auditentry WHERE id = %s", [trail[-1].pk])
    assert not verify_chain().ok


def test_cli_reports_an_intact_chain(trail, capsys):
    assert ketacare_cli(["audit", "verify"]) == 0
    assert f"{len(trail)} entries verified" in capsys.readouterr().out


def test_raw_update_is_refused_by_postgresql_and_detected_on_sqlite(trail):
    from django.db.utils import DatabaseError

    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE audit_auditentry SET summary = 'x' WHERE id = %s", [trail[0].pk])
        assert verify_chain().ok
    else:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE audit_auditentry SET summary = 'x' WHERE id = %s", [trail[0].pk])
        assert verify_chain().first_broken_id == trail[0].pk
