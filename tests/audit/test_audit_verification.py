"""`ketacare audit verify` against a database superuser: every way of tampering with the
log is detected, named, and makes verify exit 1 (the checkpoint file outside the database
and the public key are what it trusts)."""

import json

import pytest

from ketacare.audit import keys, merkle
from ketacare.audit.checkpoints import generate_key_file, sign
from ketacare.audit.leaves import entry_bytes
from ketacare.audit.models import AuditCheckpoint, AuditEntry, AuditLeaf
from ketacare.audit.services import record_read, seal, verify_chain, verify_log
from ketacare.cli import main as ketacare_cli


def _problem():
    result = verify_log()
    assert not result.ok
    return result.problem


def test_an_untouched_sealed_log_verifies_against_its_signed_checkpoint(sealed, capsys):
    result = verify_log()
    assert result.ok, result.problem
    assert result.checked == len(sealed)
    assert result.checkpoint.tree_size == len(sealed)
    assert result.unsealed == ()
    assert ketacare_cli(["audit", "verify"]) == 0
    assert f"{len(sealed)} entries verified" in capsys.readouterr().out


def test_the_checkpoint_file_outside_the_database_gets_one_signed_line_per_checkpoint(sealed):
    lines = keys.checkpoint_file().read_text().splitlines()
    assert len(lines) == 1
    line = json.loads(lines[0])
    assert line["tree_size"] == len(sealed)
    assert line["root_hash"] == AuditCheckpoint.objects.get().root_hash
    assert "\n\n\u2014 ketacare/audit/" in line["note"]


def test_entries_newer_than_the_last_checkpoint_are_listed_as_unsealed(sealed, prescriber, capsys):
    newer = record_read(actor=prescriber, target=("patients.Patient", 1))
    result = verify_log()
    assert result.ok
    assert result.unsealed == (newer.pk,)
    assert ketacare_cli(["audit", "verify"]) == 0
    assert f"1 entries not yet sealed (newer than the last checkpoint): #{newer.pk}" in (
        capsys.readouterr().out
    )


def test_successive_checkpoints_are_each_checked_and_consistent(sealed, prescriber):
    record_read(actor=prescriber, target=("patients.Patient", 1))
    second = seal()
    assert second.sealed == 1
    result = verify_log()
    assert result.ok
    assert result.checkpoints == 2
    assert result.checkpoint.tree_size == len(sealed) + 1


def test_an_edited_entry_is_named(sealed, tamper, capsys):
    victim = sealed[2]
    tamper("UPDATE audit_auditentry SET summary = 'nothing to see' WHERE id = %s", [victim.pk])
    problem = _problem()
    assert problem.code == "edited_entry"
    assert (problem.entry_id, problem.leaf_index) == (victim.pk, 2)
    assert ketacare_cli(["audit", "verify"]) == 1
    assert f"entry #{victim.pk} (leaf 2) was changed" in capsys.readouterr().err
    assert verify_chain().first_broken_id == victim.pk


def test_a_deleted_entry_is_named_at_its_own_position_not_the_next(sealed, tamper):
    victim = sealed[1]
    tamper("DELETE FROM audit_auditentry WHERE id = %s", [victim.pk])
    problem = _problem()
    assert problem.code == "deleted_entry"
    assert (problem.entry_id, problem.leaf_index) == (victim.pk, 1)


def test_an_entry_deleted_together_with_its_leaf_is_named_by_its_position(sealed, tamper):
    victim = sealed[1]
    tamper("DELETE FROM audit_auditleaf WHERE entry_id = %s", [victim.pk])
    tamper("DELETE FROM audit_auditentry WHERE id = %s", [victim.pk])
    problem = _problem()
    assert problem.code == "deleted_entry"
    assert problem.leaf_index == 1
    assert "leaf 1 is missing" in problem.message


def test_a_truncated_tail_is_detected_from_the_checkpoint_file(sealed, tamper, capsys):
    """The newest entries, their leaves and the database's checkpoints all removed: only the
    checkpoint file outside the database still remembers how long the log was."""
    size = len(sealed)
    tamper("DELETE FROM audit_auditcheckpoint")
    tamper('DELETE FROM audit_auditleaf WHERE "index" >= %s', [size - 2])
    tamper("DELETE FROM audit_auditentry WHERE id >= %s", [sealed[-2].pk])
    problem = _problem()
    assert problem.code == "truncated_log"
    assert problem.leaf_index == size - 2
    assert ketacare_cli(["audit", "verify"]) == 1
    assert f"leaves {size - 2} to {size - 1} were removed" in capsys.readouterr().err


def test_a_rewritten_and_rehashed_log_is_detected(sealed, tamper):
    """Edit an entry and recompute its leaf hash too: every row agrees with every other, but
    the tree no longer has the root the key signed."""
    victim = sealed[0]
    tamper("UPDATE audit_auditentry SET summary = 'rewritten' WHERE id = %s", [victim.pk])
    rehashed = merkle.leaf_hash(entry_bytes(AuditEntry.objects.get(pk=victim.pk))).hex()
    tamper("UPDATE audit_auditleaf SET leaf_hash = %s WHERE entry_id = %s", [rehashed, victim.pk])
    problem = _problem()
    assert problem.code == "rewritten_log"
    assert f"leaves 0 to {len(sealed) - 1}" in problem.message


def test_a_rewritten_log_with_a_checkpoint_signed_by_another_key_is_a_forged_checkpoint(
    sealed, tamper, tmp_path
):
    victim = sealed[0]
    tamper("UPDATE audit_auditentry SET summary = 'rewritten' WHERE id = %s", [victim.pk])
    leaves = [merkle.leaf_hash(entry_bytes(e)) for e in AuditEntry.objects.order_by("id")]
    tamper("UPDATE audit_auditleaf SET leaf_hash = %s WHERE entry_id = %s",
           [leaves[0].hex(), victim.pk])  # fmt: skip
    forger = generate_key_file(tmp_path / "forger.pem")
    real = AuditCheckpoint.objects.get()
    fake = sign(forger, len(leaves), merkle.root_of(leaves), real.signed_at, real.note.split()[0])
    tamper("DELETE FROM audit_auditcheckpoint")
    AuditCheckpoint(
        tree_size=fake.tree_size, root_hash=fake.root_hex, signed_at=fake.signed_at,
        note=fake.note, frontier=[],
    ).save(force_insert=True)  # fmt: skip
    problem = _problem()
    assert problem.code == "forged_checkpoint"
    assert "no signature by the log's public key" in problem.message


def test_a_wholly_emptied_log_is_detected(sealed, tamper, capsys):
    for table in ("audit_auditcheckpoint", "audit_auditleaf", "audit_auditentry"):
        tamper(f"DELETE FROM {table}")
    assert AuditEntry.objects.count() == 0
    problem = _problem()
    assert problem.code == "emptied_log"
    assert ketacare_cli(["audit", "verify"]) == 1
    assert f"covers {len(sealed)} entries: it was emptied" in capsys.readouterr().err


def test_a_checkpoint_line_edited_in_the_file_is_a_forged_checkpoint(sealed):
    path = keys.checkpoint_file()
    line = json.loads(path.read_text())
    note = line["note"].splitlines()
    note[1] = str(int(note[1]) + 5)  # claim five more entries than were signed
    line["note"] = "\n".join(note) + "\n"
    line["tree_size"] += 5
    path.write_text(json.dumps(line) + "\n")
    problem = _problem()
    assert problem.code == "forged_checkpoint"
    assert "line 1" in problem.message
    assert "does not verify" in problem.message


def test_a_log_rewritten_and_signed_again_with_a_stolen_key_contradicts_the_shipped_checkpoint(
    sealed, tamper, prescriber
):
    """The attacker holds the signing key (a stolen app server): they rewrite an entry,
    rehash its leaf, drop the database's checkpoints and let the sequencer sign the new tree.
    The checkpoint file shipped earlier (kept write-once elsewhere) still holds the old root
    for that size, so the two checkpoints are not consistent with one log."""
    shipped = keys.checkpoint_file().read_text()
    victim = sealed[1]
    tamper("UPDATE audit_auditentry SET reason = 'never happened' WHERE id = %s", [victim.pk])
    rehashed = merkle.leaf_hash(entry_bytes(AuditEntry.objects.get(pk=victim.pk))).hex()
    tamper("UPDATE audit_auditleaf SET leaf_hash = %s WHERE entry_id = %s", [rehashed, victim.pk])
    tamper("DELETE FROM audit_auditcheckpoint")
    keys.checkpoint_file().unlink()
    record_read(actor=prescriber, target=("patients.Patient", 1))
    assert seal().tree_size == len(sealed) + 1
    assert verify_log().ok  # the rewritten log agrees with its own new checkpoint...
    copy = keys.checkpoint_file().with_name("shipped.jsonl")
    copy.write_text(shipped + keys.checkpoint_file().read_text())
    result = verify_log(checkpoint_file=copy)  # ...but not with the one shipped before
    assert result.problem.code == "inconsistent_checkpoints"
    assert f"earlier one for {len(sealed)} leaves" in result.problem.message


def test_verify_refuses_a_checkpoint_file_it_was_pointed_at_but_cannot_find(sealed, tmp_path):
    result = verify_log(checkpoint_file=tmp_path / "missing.jsonl")
    assert result.problem.code == "no_checkpoint_file"


@pytest.mark.parametrize("entries", [0, 1])
def test_a_log_without_any_checkpoint_yet_verifies_with_everything_listed_unsealed(
    entries, db, clinic_a
):
    from ketacare.audit.services import record_write

    made = [
        record_write(actor=None, action="create", target=("accounts.Clinic", clinic_a.pk)).pk
        for _ in range(entries)
    ]
    before = AuditEntry.objects.values_list("pk", flat=True)
    result = verify_log()
    assert result.ok
    assert result.checkpoint is None
    assert set(result.unsealed) == set(before)
    assert set(made) <= set(result.unsealed)
    assert AuditLeaf.objects.count() == 0
