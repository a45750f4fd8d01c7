"""The sequencer (`ketacare audit seal`): committed entries get gapless leaves in the order
it integrates them, nothing still in flight is sealed or ever passed over, and each run signs
a checkpoint."""

import os
import subprocess
import sys
import threading

import pytest
from django.db import connection, connections, transaction

from ketacare.audit import keys, merkle
from ketacare.audit.checkpoints import load_public_key, verify_note
from ketacare.audit.leaves import entry_bytes
from ketacare.audit.models import AuditCheckpoint, AuditEntry, AuditLeaf
from ketacare.audit.services import record_write, seal, verify_log


def _entry(label: str) -> AuditEntry:
    return record_write(actor=None, action="create", target=("sequencer.test", label))


def test_sealing_gives_every_committed_entry_the_next_leaf_and_signs_the_new_root(trail):
    result = seal()
    leaves = list(AuditLeaf.objects.order_by("index"))
    assert [leaf.index for leaf in leaves] == list(range(len(trail)))
    assert [leaf.entry_id for leaf in leaves] == [e.pk for e in trail]
    hashes = [merkle.leaf_hash(entry_bytes(e)) for e in trail]
    assert [leaf.leaf_hash for leaf in leaves] == [h.hex() for h in hashes]
    checkpoint = verify_note(result.checkpoint.note, load_public_key(keys.public_key_path()))
    assert (checkpoint.tree_size, checkpoint.root) == (len(trail), merkle.root_of(hashes))


def test_a_run_with_nothing_new_signs_nothing(trail):
    seal()
    again = seal()
    assert (again.sealed, again.checkpoint) == (0, None)
    assert AuditCheckpoint.objects.count() == 1


def test_a_full_batch_leaves_the_rest_for_the_next_run_in_order(trail):
    first = seal(batch=2)
    assert (first.sealed, first.tree_size, first.more) == (2, 2, True)
    runs = 1
    while seal(batch=2).more:
        runs += 1
    assert runs == (len(trail) - 2 + 1) // 2  # two per run, in order, until none is left
    assert list(AuditLeaf.objects.values_list("entry_id", flat=True)) == [e.pk for e in trail]
    assert verify_log().ok


def test_the_first_run_creates_the_signing_key_and_its_public_key_when_missing(
    trail, settings, tmp_path
):
    settings.AUDIT_SIGNING_KEY_FILE = tmp_path / "keys" / "signing-key.pem"
    seal()
    assert settings.AUDIT_SIGNING_KEY_FILE.stat().st_mode & 0o777 == 0o600
    assert (
        (tmp_path / "keys" / "signing-key.pem.pub")
        .read_text()
        .startswith("-----BEGIN PUBLIC KEY-----")
    )
    assert verify_log().ok


def test_a_restored_database_whose_transaction_counter_went_back_still_seals_new_entries(
    trail, tamper
):
    """pg_dump restored into a new cluster: stored transaction ids are ahead of the new
    cluster's counter. The sequencer notices and looks at every unsealed entry once."""
    seal()
    tamper("UPDATE audit_auditcheckpoint SET txid_floor = %s", [2**62])
    newer = _entry("after restore")
    assert seal().sealed == 1
    assert AuditLeaf.objects.filter(entry=newer).exists()


@pytest.mark.django_db(transaction=True)
def test_an_entry_committed_after_a_higher_id_is_sealed_next_never_passed_over(clinic_a):
    """Two requests: the first inserts its entry (lower id) and is still working when the
    second inserts and commits (higher id). The sequencer must not seal past the first as if
    it did not exist, nor seal it before it commits."""
    inserted, release, done = threading.Event(), threading.Event(), threading.Event()
    slow_id = []

    def slow_request():
        try:
            with transaction.atomic():
                slow_id.append(_entry("slow").pk)
                inserted.set()
                release.wait(30)
        finally:
            connections.close_all()
            done.set()

    thread = threading.Thread(target=slow_request)
    thread.start()
    assert inserted.wait(30)
    if connection.vendor == "postgresql":
        fast = _entry("fast")  # commits at once (autocommit), while the slow one is open
        assert fast.pk > slow_id[0]
        first = seal()
        sealed_ids = set(AuditLeaf.objects.values_list("entry_id", flat=True))
        assert fast.pk in sealed_ids
        assert slow_id[0] not in sealed_ids
        release.set()
        assert done.wait(30)
        second = seal()
        assert second.sealed == 1
        leaves = list(AuditLeaf.objects.order_by("index").values_list("index", "entry_id"))
        assert leaves[-2:] == [(first.tree_size - 1, fast.pk), (first.tree_size, slow_id[0])]
    else:
        release.set()
        assert done.wait(30)
        # The test database is SQLite in memory, whose shared-cache locking is not the
        # file locking a clinic runs on: the race is run on a file database, as served.
        _race_on_a_sqlite_file()
        return
    indexes = list(AuditLeaf.objects.order_by("index").values_list("index", flat=True))
    assert indexes == list(range(len(indexes)))  # gapless
    assert not AuditEntry.objects.filter(leaf__isnull=True).exists()
    assert verify_log().ok


SQLITE_RACE = """
import threading, django
django.setup()
from django.core.management import call_command
from django.db import connections, transaction
from ketacare.audit.models import AuditEntry, AuditLeaf
from ketacare.audit.services import record_write, seal
call_command("migrate", verbosity=0)
inserted, release, order = threading.Event(), threading.Event(), []
def slow():
    with transaction.atomic():
        order.append(("slow", record_write(actor=None, action="create", target=("t", "s")).pk))
        inserted.set()
        release.wait(30)
    connections.close_all()
def sequencer():
    order.append(("sealed", seal().sealed))
    connections.close_all()
a = threading.Thread(target=slow); a.start(); inserted.wait(30)
b = threading.Thread(target=sequencer); b.start()
b.join(0.5)
assert b.is_alive(), "the sequencer must wait for the open write to commit"
release.set(); a.join(); b.join(30)
fast = record_write(actor=None, action="create", target=("t", "f")).pk
seal()
leaves = list(AuditLeaf.objects.order_by("index").values_list("index", "entry_id"))
assert order[1] == ("sealed", len(leaves) - 1), order
assert leaves[-2:] == [(len(leaves) - 2, order[0][1]), (len(leaves) - 1, fast)], leaves
assert not AuditEntry.objects.filter(leaf__isnull=True).exists()
print("ok")
"""


def _race_on_a_sqlite_file():
    from django.conf import settings

    data = settings.AUDIT_CHECKPOINT_DIR.parent / f"race-{os.getpid()}"
    env = {k: v for k, v in os.environ.items() if k != "KETACARE_DATABASE_URL"}
    env.update(
        KETACARE_DATA_DIR=str(data),
        KETACARE_AUDIT_SIGNING_KEY_FILE=str(settings.AUDIT_SIGNING_KEY_FILE),
        KETACARE_AUDIT_CHECKPOINT_DIR=str(data / "audit"),
        DJANGO_SETTINGS_MODULE="ketacare.settings",
    )
    done = subprocess.run(
        [sys.executable, "-c", SQLITE_RACE], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"
