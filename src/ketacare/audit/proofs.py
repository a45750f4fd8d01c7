"""Inclusion and consistency proofs from the stored tree, as JSON bundles a third party
checks with only the public key (``checkpoints.verify_inclusion_bundle`` and
``checkpoints.verify_consistency_bundle``, or ``ketacare audit check``)."""

from __future__ import annotations

import base64
from typing import Any

from ketacare.audit import merkle
from ketacare.audit.leaves import entry_bytes
from ketacare.audit.models import AuditCheckpoint, AuditEntry, AuditLeaf


class ProofUnavailable(LookupError):
    """No such entry, not sealed yet, or no checkpoint of that size."""


def _leaf_hashes(size: int) -> list[bytes]:
    rows = AuditLeaf.objects.filter(index__lt=size).order_by("index")
    return [bytes.fromhex(h) for h in rows.values_list("leaf_hash", flat=True).iterator(10_000)]


def _checkpoint(size: int) -> AuditCheckpoint:
    row = AuditCheckpoint.objects.filter(tree_size=size).first()
    if row is None:
        raise ProofUnavailable(f"no checkpoint was signed for {size} leaves")
    return row


def prove_inclusion(entry_id: int, *, tree_size: int | None = None) -> dict[str, Any]:
    """The entry's canonical bytes, its leaf index and the audit path to the root of the
    checkpoint for ``tree_size`` leaves (default: the newest checkpoint)."""
    entry = AuditEntry.objects.filter(pk=entry_id).first()
    leaf = AuditLeaf.objects.filter(entry_id=entry_id).first()
    if entry is None or leaf is None:
        raise ProofUnavailable(f"entry #{entry_id} is not in the sealed log (yet)")
    if tree_size is None:
        newest = AuditCheckpoint.objects.order_by("-tree_size").first()
        if newest is None:
            raise ProofUnavailable("no checkpoint has been signed yet")
        tree_size = newest.tree_size
    row = _checkpoint(tree_size)
    if leaf.index >= tree_size:
        raise ProofUnavailable(
            f"entry #{entry_id} is leaf {leaf.index}, after the checkpoint of {tree_size} leaves"
        )
    path = merkle.inclusion_proof(leaf.index, _leaf_hashes(tree_size))
    return {
        "entry_id": entry_id,
        "leaf_index": leaf.index,
        "leaf_data": base64.b64encode(entry_bytes(entry)).decode(),
        "tree_size": tree_size,
        "root_hash": row.root_hash,
        "inclusion_path": [h.hex() for h in path],
        "checkpoint": row.note,
    }


def prove_consistency(old_size: int, new_size: int) -> dict[str, Any]:
    """The consistency path from the checkpoint of ``old_size`` leaves to the one of
    ``new_size`` leaves."""
    if not 0 < old_size <= new_size:
        raise ProofUnavailable("give two checkpoint sizes, the older first")
    old, new = _checkpoint(old_size), _checkpoint(new_size)
    path = merkle.consistency_proof(old_size, _leaf_hashes(new_size))
    return {
        "old_size": old_size,
        "new_size": new_size,
        "old_root_hash": old.root_hash,
        "new_root_hash": new.root_hash,
        "consistency_path": [h.hex() for h in path],
        "old_checkpoint": old.note,
        "new_checkpoint": new.note,
    }
