"""Appending to the audit trail: one INSERT in the caller's transaction, nothing locked that
another request would wait on; entries record who, what and when."""

import importlib

from django.db import connection
from django.test.utils import CaptureQueriesContext

from ketacare.audit import leaves
from ketacare.audit.models import AuditEntry, AuditLeaf
from ketacare.audit.services import record_read, record_write, seal, verify_log


def test_an_audited_read_appends_its_entry_with_one_insert_and_no_lock(prescriber):
    with CaptureQueriesContext(connection) as ctx:
        entry = record_read(actor=prescriber, target=("patients.Patient", 7), patient_id=7)
    statements = [q["sql"] for q in ctx.captured_queries]
    assert len(statements) == 1
    assert statements[0].startswith('INSERT INTO "audit_auditentry"')
    assert "FOR UPDATE" not in statements[0]
    assert not AuditLeaf.objects.filter(entry=entry).exists()  # the sequencer seals it later
    if connection.vendor == "postgresql":
        assert entry.txid > 0  # the inserting transaction, read back from the INSERT
    else:
        assert entry.txid is None


def test_update_records_who_what_before_and_after(trail, prescriber, patient):
    update = trail[-1]
    assert update.action == "update"
    assert update.actor_id == prescriber.pk
    assert update.patient_id_snapshot == patient.pk
    assert update.changes == {"before": {"phone": ""}, "after": {"phone": "555-0199"}}
    assert (update.prev_hash, update.entry_hash) == ("", "")  # new entries do not chain


def test_migration_seals_the_old_chain_as_the_first_leaves_and_verify_keeps_its_links(
    clinic_a, tamper
):
    """A database from before the Merkle log: entries linked by the old hash chain and no
    leaves. The migration's step seals them in id order; the first seal signs them; verify
    checks the old links too, so an entry edited before the migration is still caught."""
    chained, prev = [], leaves.GENESIS_HASH
    for n in range(3):
        entry = record_write(actor=None, action="create", target=("accounts.Clinic", n))
        entry = AuditEntry.objects.get(pk=entry.pk)  # as stored
        entry.prev_hash = prev
        fingerprint = leaves.chain_fingerprint(entry)
        tamper(
            "UPDATE audit_auditentry SET prev_hash = %s, entry_hash = %s WHERE id = %s",
            [prev, fingerprint, entry.pk],
        )
        chained.append(entry.pk)
        prev = fingerprint
    older = AuditEntry.objects.exclude(pk__in=chained)
    assert not older.exists()  # only the three chained entries: a pre-Merkle database
    migration = importlib.import_module(
        "ketacare.audit.migrations.0005_seal_chain_and_refuse_changes"
    )
    from django.apps import apps

    migration.seal_chain(apps, None)
    assert list(AuditLeaf.objects.values_list("index", "entry_id")) == list(enumerate(chained))
    assert seal().tree_size == 3
    assert verify_log().ok
    tamper("UPDATE audit_auditentry SET summary = 'edited' WHERE id = %s", [chained[1]])
    problem = verify_log().problem
    assert (problem.code, problem.entry_id) == ("edited_entry", chained[1])
    assert "its content was changed" in problem.message
