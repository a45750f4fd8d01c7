"""Appending to the hash-chained audit trail.

Call these inside the same ``transaction.atomic`` block as the write they describe, so an
entry exists exactly when the change does. Reads of patient data are audited too (one entry
per access or list request).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from ketacare.audit import context
from ketacare.audit.models import AuditAction, AuditChainHead, AuditEntry

GENESIS_HASH = "0" * 64


class _Encoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, Decimal):
            return str(o)
        if isinstance(o, models.Model):
            return o.pk
        if isinstance(o, (set, frozenset, tuple)):
            return list(o)
        return super().default(o)


def _normalise(value: Any) -> Any:
    """JSON-safe and stable across SQLite and PostgreSQL (floats become strings)."""
    loaded = json.loads(json.dumps(value, cls=_Encoder))

    def fix(v: Any) -> Any:
        if isinstance(v, float):
            return repr(v)
        if isinstance(v, dict):
            return {str(k): fix(x) for k, x in v.items()}
        if isinstance(v, list):
            return [fix(x) for x in v]
        return v

    return fix(loaded)


def _fingerprint(entry: AuditEntry) -> str:
    occurred = entry.occurred_at.astimezone(UTC).isoformat(timespec="microseconds")
    payload = {
        "occurred_at": occurred,
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
        "prev_hash": entry.prev_hash,
    }
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _target_parts(target: Any) -> tuple[str, str]:
    if isinstance(target, models.Model):
        return target._meta.label, str(target.pk)
    if isinstance(target, tuple):
        return str(target[0]), str(target[1])
    return str(target), ""


def _locked_head() -> AuditChainHead:
    """The chain head, locked; recreated at genesis if the table was emptied (a fresh
    database flushed by tests, where the data migration's row is gone with everything)."""
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        if AuditEntry.objects.exists():
            raise RuntimeError("audit chain head is missing while entries exist")
        head, _ = AuditChainHead.objects.get_or_create(
            pk=1, defaults={"last_hash": GENESIS_HASH, "last_entry_id": 0}
        )
    return head


def _append(
    *,
    actor: Any,
    action: str,
    target: Any,
    patient_id: int | None,
    summary: str = "",
    changes: dict[str, Any] | None = None,
    reason: str = "",
    clinic_id: int | None = None,
) -> AuditEntry:
    ctx = context.current()
    target_type, target_id = _target_parts(target)
    # Everything that does not need the chain head is built before it is locked: from the
    # head's SELECT ... FOR UPDATE to the commit, every other audited transaction waits.
    # No savepoint inside a service's transaction (``savepoint=False``): a failed append
    # fails the whole write, as it must, and the lock is not held across a RELEASE round
    # trip. On its own (a read entry) the block is the transaction.
    actor_row = actor if getattr(actor, "pk", None) else None
    changes = _normalise(changes or {})
    with transaction.atomic(savepoint=False):
        head = _locked_head()
        entry = AuditEntry(
            occurred_at=timezone.now(),
            actor=actor_row,
            actor_username=getattr(actor, "username", "") or "system",
            actor_role=getattr(actor, "role", "") or "",
            clinic_id_snapshot=clinic_id
            if clinic_id is not None
            else getattr(actor, "clinic_id", None),
            action=action,
            target_type=target_type,
            target_id=target_id,
            patient_id_snapshot=patient_id,
            summary=summary[:300],
            changes=changes,
            reason=reason,
            channel=ctx.channel,
            ip_address=ctx.ip_address,
            user_agent=ctx.user_agent,
            request_id=ctx.request_id,
            prev_hash=head.last_hash,
        )
        entry.entry_hash = _fingerprint(entry)
        entry.save(force_insert=True)
        AuditChainHead.objects.filter(pk=1).update(
            last_hash=entry.entry_hash, last_entry_id=entry.pk
        )
    return entry


def record_write(
    *,
    actor: Any,
    action: str,
    target: Any,
    patient_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
    summary: str = "",
    clinic_id: int | None = None,
) -> AuditEntry:
    """Audit a change; ``before``/``after`` hold only the fields that changed."""
    changes: dict[str, Any] = {}
    if before is not None:
        changes["before"] = before
    if after is not None:
        changes["after"] = after
    return _append(
        actor=actor,
        action=action,
        target=target,
        patient_id=patient_id,
        summary=summary,
        changes=changes,
        reason=reason,
        clinic_id=clinic_id,
    )


def record_read(
    *, actor: Any, target: Any, patient_id: int | None = None, summary: str = ""
) -> AuditEntry:
    return _append(
        actor=actor, action=AuditAction.READ, target=target, patient_id=patient_id, summary=summary
    )


def record_refused(
    *, actor: Any, target: Any, patient_id: int | None, codes: list[str], summary: str = ""
) -> AuditEntry:
    """Log a refused clinical action (gate blocked). Written outside the refused write's
    transaction, which has rolled back, so the refusal is kept while nothing else is."""
    return _append(
        actor=actor,
        action=AuditAction.REFUSED,
        target=target,
        patient_id=patient_id,
        summary=summary,
        changes={"blockers": codes},
    )


@dataclass(frozen=True, slots=True)
class ChainVerification:
    ok: bool
    checked: int
    first_broken_id: int | None = None
    problem: str = ""


def verify_chain() -> ChainVerification:
    """Recompute every link; name the first entry whose hash or link does not match."""
    prev = GENESIS_HASH
    checked = 0
    last_id = 0
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        if entry.prev_hash != prev:
            return ChainVerification(
                False,
                checked,
                entry.pk,
                "its link to the previous entry does not match "
                "(an entry before it was changed or removed)",
            )
        if _fingerprint(entry) != entry.entry_hash:
            return ChainVerification(False, checked, entry.pk, "its content was changed")
        prev = entry.entry_hash
        last_id = entry.pk
        checked += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None:
        return ChainVerification(
            checked == 0, checked, None, "" if checked == 0 else "chain head missing"
        )
    if head.last_hash != prev or head.last_entry_id != last_id:
        return ChainVerification(
            False,
            checked,
            head.last_entry_id or None,
            "the newest entries were removed (chain head points past the last entry)",
        )
    return ChainVerification(True, checked)


def now() -> datetime:
    return timezone.now()
