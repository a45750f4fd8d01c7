"""`ketacare audit prove`, `consistency` and `check`: proofs a third party checks with only
the public key, and that fail once the entry or the log is not what was signed."""

import json

from ketacare.audit import keys
from ketacare.audit.services import record_read, seal
from ketacare.cli import main as ketacare_cli


def _run(capsys, *argv):
    code = ketacare_cli(["audit", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_seal_command_reports_what_it_sealed(trail, capsys):
    code, out, _ = _run(capsys, "seal")
    assert code == 0
    assert f"sealed {len(trail)} entries: checkpoint of {len(trail)} leaves" in out
    assert "nothing new to seal" in _run(capsys, "seal")[1]


def test_an_inclusion_proof_checks_with_only_the_public_key(sealed, capsys, tmp_path):
    victim = sealed[2]
    code, out, _ = _run(capsys, "prove", str(victim.pk))
    assert code == 0
    bundle = json.loads(out)
    assert (bundle["entry_id"], bundle["leaf_index"]) == (victim.pk, 2)
    proof = tmp_path / "proof.json"
    proof.write_text(out)
    pub = str(keys.public_key_path())
    code, out, _ = _run(capsys, "check", str(proof), "--public-key", pub)
    assert code == 0
    assert f"entry #{victim.pk} is leaf 2" in out

    bundle["leaf_index"] = 1  # the same proof for another position
    proof.write_text(json.dumps(bundle))
    code, _, err = _run(capsys, "check", str(proof), "--public-key", pub)
    assert code == 1
    assert "does NOT verify" in err


def test_an_inclusion_proof_of_an_edited_entry_does_not_verify(sealed, capsys, tmp_path, tamper):
    tamper("UPDATE audit_auditentry SET summary = 'edited' WHERE id = %s", [sealed[0].pk])
    code, out, _ = _run(capsys, "prove", str(sealed[0].pk))
    (tmp_path / "p.json").write_text(out)
    code, _, err = _run(
        capsys, "check", str(tmp_path / "p.json"), "--public-key", str(keys.public_key_path())
    )
    assert code == 1
    assert "does not lead to the signed root" in err


def test_a_consistency_proof_between_two_checkpoints_checks_with_the_public_key(
    sealed, prescriber, capsys, tmp_path
):
    for _ in range(3):
        record_read(actor=prescriber, target=("patients.Patient", 1))
    new = seal().tree_size
    old = len(sealed)
    code, out, _ = _run(capsys, "consistency", str(old), str(new))
    assert code == 0
    (tmp_path / "c.json").write_text(out)
    code, out, _ = _run(
        capsys, "check", str(tmp_path / "c.json"), "--public-key", str(keys.public_key_path())
    )
    assert code == 0
    assert f"the log of {new} leaves extends the log of {old} leaves" in out


def test_a_proof_of_an_unsealed_entry_is_refused_with_a_reason(sealed, prescriber, capsys):
    newer = record_read(actor=prescriber, target=("patients.Patient", 1))
    code, _, err = _run(capsys, "prove", str(newer.pk))
    assert code == 2
    assert f"entry #{newer.pk} is not in the sealed log (yet)" in err
