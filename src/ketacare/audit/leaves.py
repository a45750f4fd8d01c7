"""The bytes each audit entry contributes to the Merkle tree (its leaf is SHA-256(0x00 ||
these bytes)), and the old hash chain's fingerprint.

This is a published format: a leaf sealed today must hash the same in ten years, so the
encoding never changes in place. A new encoding gets a new version number ``v``.

- ``v: 1``: entries written before the Merkle log (the hash chain). The leaf commits to the
  entry's id and its chain hash; the chain hash commits to its content and its predecessor
  (``chain_fingerprint``), and ``ketacare audit verify`` checks both.
- ``v: 2``: every entry since. The leaf commits to the id and every content column.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC
from typing import Any

GENESIS_HASH = "0" * 64


def _dumps(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _content(entry: Any) -> dict[str, Any]:
    return {
        "occurred_at": entry.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": entry.actor_id,
        "actor_username": entry.actor_username,
        "actor_role": entry.actor_role,
        "clinic": entry.clinic_id_snapshot,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "patient": entry.patient_id_snapshot,
        "summary": entry.summary,
        "changes": entry.changes,
        "reason": entry.reason,
        "channel": entry.channel,
        "ip": entry.ip_address,
        "user_agent": entry.user_agent,
        "request_id": entry.request_id,
    }


def is_chained(entry: Any) -> bool:
    """Written under the old hash chain (before the Merkle log)."""
    return bool(entry.entry_hash)


def chain_fingerprint(entry: Any) -> str:
    """The old chain's hash of an entry: its content and its predecessor's hash."""
    return hashlib.sha256(_dumps({**_content(entry), "prev_hash": entry.prev_hash})).hexdigest()


def entry_bytes(entry: Any) -> bytes:
    """The canonical bytes of an entry, as its leaf hashes them."""
    if is_chained(entry):
        return _dumps({"v": 1, "id": entry.pk, "entry_hash": entry.entry_hash})
    return _dumps({"v": 2, "id": entry.pk, **_content(entry)})
