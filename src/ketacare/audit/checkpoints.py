"""Signed checkpoints of the audit log, and the verifier a third party runs with only the
public key.

A checkpoint is a C2SP ``tlog-checkpoint`` (a signed note, c2sp.org/signed-note) whose body is

    <origin>
    <tree size>
    <base64 RFC 9162 root hash>
    time <RFC 3339 UTC time it was signed>

followed by a blank line and one Ed25519 signature line (``— <key name> base64(key ID ||
signature)``, key ID = SHA-256(key name || 0x0A || 0x01 || public key)[:4]). The time is an
extension line, so the signature covers it. Signatures come from ``cryptography``; nothing
here hand-rolls crypto.

On disk the checkpoint file holds one JSON object per line: the signed note plus its parsed
size, root and time for people reading the file; only the note counts when verifying.

No Django: ``verify_inclusion_bundle`` and ``verify_consistency_bundle`` check what
``ketacare audit prove`` and ``ketacare audit consistency`` print, given the public key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ketacare.audit import merkle

ED25519_TYPE = b"\x01"
EM_DASH = "\u2014"


class CheckpointError(ValueError):
    """A checkpoint is malformed or its signature does not verify with the public key."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    origin: str
    tree_size: int
    root: bytes
    signed_at: datetime
    note: str  # the whole signed note, as published

    @property
    def root_hex(self) -> str:
        return self.root.hex()

    def line(self) -> str:
        """The checkpoint file's line for this checkpoint (no newline)."""
        return json.dumps(
            {
                "tree_size": self.tree_size,
                "root_hash": self.root_hex,
                "time": format_time(self.signed_at),
                "note": self.note,
            },
            separators=(",", ":"),
        )


# --- Keys --------------------------------------------------------------------------------


def generate_key_file(path: Path) -> Ed25519PrivateKey:
    """Create a new Ed25519 signing key at ``path`` (owner-only) and its public key beside
    it (``<path>.pub``)."""
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    public_key_path(path).write_bytes(public_pem(key.public_key()))
    return key


def public_key_path(signing_key_path: Path) -> Path:
    return signing_key_path.with_name(signing_key_path.name + ".pub")


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointError(f"{path} is not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise CheckpointError(f"{path} is not an Ed25519 public key")
    return key


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def default_origin(key: Ed25519PublicKey) -> str:
    """A log identity unique to the key: ``ketacare/audit/`` and 16 hex digits of its hash."""
    return f"ketacare/audit/{hashlib.sha256(_raw(key)).hexdigest()[:16]}"


def key_id(name: str, key: Ed25519PublicKey) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + ED25519_TYPE + _raw(key)).digest()[:4]


# --- Signing and verifying -------------------------------------------------------------------


def format_time(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def body(origin: str, tree_size: int, root: bytes, signed_at: datetime) -> str:
    return (
        f"{origin}\n{tree_size}\n{base64.b64encode(root).decode()}\ntime {format_time(signed_at)}\n"
    )


def sign(
    key: Ed25519PrivateKey, tree_size: int, root: bytes, signed_at: datetime, origin: str = ""
) -> Checkpoint:
    origin = origin or default_origin(key.public_key())
    text = body(origin, tree_size, root, signed_at)
    signature = key.sign(text.encode())
    stamp = base64.b64encode(key_id(origin, key.public_key()) + signature).decode()
    note = f"{text}\n{EM_DASH} {origin} {stamp}\n"
    return Checkpoint(origin, tree_size, root, signed_at, note)


def verify_note(note: str, public_key: Ed25519PublicKey) -> Checkpoint:
    """Parse a signed checkpoint note and check its signature; raise CheckpointError."""
    text, sep, signatures = note.rpartition("\n\n")
    if not sep or not text:
        raise CheckpointError("not a signed note (no blank line before the signatures)")
    text += "\n"
    lines = text.splitlines()
    if len(lines) < 3:
        raise CheckpointError("a checkpoint needs an origin, a tree size and a root hash")
    origin = lines[0]
    verified = False
    for line in signatures.splitlines():
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != EM_DASH:
            raise CheckpointError("malformed signature line")
        name, stamp = parts[1], parts[2]
        try:
            raw = base64.b64decode(stamp, validate=True)
        except ValueError as exc:
            raise CheckpointError("signature is not base64") from exc
        if name != origin or raw[:4] != key_id(name, public_key):
            continue  # another key's signature (a witness, say): not ours to check
        try:
            public_key.verify(raw[4:], text.encode())
        except InvalidSignature as exc:
            raise CheckpointError(
                "the signature does not verify with the log's public key"
            ) from exc
        verified = True
    if not verified:
        raise CheckpointError("no signature by the log's public key")
    try:
        size = int(lines[1])
        if str(size) != lines[1] or size < 0:
            raise ValueError(lines[1])
        root = base64.b64decode(lines[2], validate=True)
    except ValueError as exc:
        raise CheckpointError("malformed tree size or root hash") from exc
    if len(root) != merkle.HASH_SIZE:
        raise CheckpointError("the root hash is not a SHA-256 hash")
    times = [line[5:] for line in lines[3:] if line.startswith("time ")]
    if len(times) != 1:
        raise CheckpointError("a KetaCare checkpoint carries exactly one time line")
    signed_at = datetime.fromisoformat(times[0].replace("Z", "+00:00"))
    return Checkpoint(origin, size, root, signed_at, note)


def verify_line(line: str, public_key: Ed25519PublicKey) -> Checkpoint:
    """One line of the checkpoint file: its note verified, and the readable fields beside it
    matching the note (so nobody is misled by an edited copy)."""
    try:
        record = json.loads(line)
        note = record["note"]
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckpointError("not a checkpoint line") from exc
    checkpoint = verify_note(note, public_key)
    if record.get("tree_size") != checkpoint.tree_size or (
        record.get("root_hash") != checkpoint.root_hex
    ):
        raise CheckpointError("the line's size or root differs from what its note signs")
    return checkpoint


def read_file(path: Path, public_key: Ed25519PublicKey) -> list[tuple[int, Checkpoint | str]]:
    """Each line of a checkpoint file: (line number, checkpoint) or (line number, problem)."""
    found: list[tuple[int, Checkpoint | str]] = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                found.append((number, verify_line(line, public_key)))
            except CheckpointError as exc:
                found.append((number, str(exc)))
    return found


def last_line(path: Path) -> str:
    """The file's last non-empty line, read from the end (the file only grows)."""
    if not path.exists():
        return ""
    with path.open("rb") as f:
        f.seek(0, os.SEEK_END)
        end = f.tell()
        chunk = 4096
        data = b""
        while end > 0:
            start = max(0, end - chunk)
            f.seek(start)
            data = f.read(end - start) + data
            end = start
            if data.rstrip(b"\n").count(b"\n") >= 1:
                break
        lines = [x for x in data.split(b"\n") if x.strip()]
        return lines[-1].decode("utf-8") if lines else ""


# --- Proof bundles: what `prove` and `consistency` print, checked with the public key only ---


def verify_inclusion_bundle(bundle: dict[str, Any], public_key: Ed25519PublicKey) -> Checkpoint:
    """Check an inclusion proof as ``ketacare audit prove`` prints it: the checkpoint's
    signature, then that the entry's leaf (its canonical bytes, hashed here) sits at
    ``leaf_index`` in the signed tree. Returns the checkpoint; raises CheckpointError or
    merkle.ProofError."""
    checkpoint = verify_note(bundle["checkpoint"], public_key)
    data = base64.b64decode(bundle["leaf_data"], validate=True)
    merkle.verify_inclusion(
        int(bundle["leaf_index"]),
        checkpoint.tree_size,
        merkle.leaf_hash(data),
        [bytes.fromhex(h) for h in bundle["inclusion_path"]],
        checkpoint.root,
    )
    return checkpoint


def verify_consistency_bundle(
    bundle: dict[str, Any], public_key: Ed25519PublicKey
) -> tuple[Checkpoint, Checkpoint]:
    """Check a consistency proof as ``ketacare audit consistency`` prints it: both
    checkpoints signed by the key, and the newer tree extending the older."""
    old = verify_note(bundle["old_checkpoint"], public_key)
    new = verify_note(bundle["new_checkpoint"], public_key)
    merkle.verify_consistency(
        old.tree_size,
        new.tree_size,
        old.root,
        new.root,
        [bytes.fromhex(h) for h in bundle["consistency_path"]],
    )
    return old, new
