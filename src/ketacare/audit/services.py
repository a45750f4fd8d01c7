"""The audit trail's public functions: appending entries, sealing, verifying, proving.

Call ``record_*`` inside the same ``transaction.atomic`` block as the write they describe, so
an entry exists exactly when the change does. Reads of patient data are audited too (one
entry per access or list request). Appending is one INSERT; ``seal`` (the sequencer) gives
entries their place in the Merkle tree and signs checkpoints; ``verify_log`` and the proof
functions check them. See docs/adr/0002-audit-trail.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import BigIntegerField, Func
from django.utils import timezone

from ketacare.audit import context
from ketacare.audit.leaves import GENESIS_HASH
from ketacare.audit.models import AuditAction, AuditEntry
from ketacare.audit.proofs import prove_consistency, prove_inclusion
from ketacare.audit.sequencer import SealResult, seal
from ketacare.audit.verification import LogProblem, LogVerification, verify_log
from ketacare.compiled_inserts import CompiledInsert

__all__ = [
    "GENESIS_HASH",
    "ChainVerification",
    "LogProblem",
    "LogVerification",
    "SealResult",
    "prove_consistency",
    "prove_inclusion",
    "record_read",
    "record_refused",
    "record_write",
    "seal",
    "verify_chain",
    "verify_log",
]


class CurrentTransactionId(Func):
    """PostgreSQL's id of the inserting transaction (64-bit, never wraps)."""

    template = "pg_current_xact_id()::text::bigint"
    arity = 0
    output_field = BigIntegerField()


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


# Every audited request inserts an entry: its SQL is compiled once per connection
# (compiled_inserts.py). On PostgreSQL the inserting transaction's id is computed in the INSERT.
_INSERT_ENTRY = CompiledInsert(
    AuditEntry,
    expressions=lambda c: {"txid": CurrentTransactionId()} if c.vendor == "postgresql" else {},
)


def _target_parts(target: Any) -> tuple[str, str]:
    if isinstance(target, models.Model):
        return target._meta.label, str(target.pk)
    if isinstance(target, tuple):
        return str(target[0]), str(target[1])
    return str(target), ""


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
    actor_row = actor if getattr(actor, "pk", None) else None
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
        changes=_normalise(changes or {}),
        reason=reason,
        channel=ctx.channel,
        ip_address=ctx.ip_address,
        user_agent=ctx.user_agent,
        request_id=ctx.request_id,
    )
    # One INSERT, in the caller's transaction (or its own, in autocommit): nothing is locked
    # that another request waits on. Its place in the log comes later, from the sequencer.
    _INSERT_ENTRY.insert(entry)
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
    """The short answer of ``verify_log`` (kept for callers of the hash-chain era)."""

    ok: bool
    checked: int
    first_broken_id: int | None = None
    problem: str = ""


def verify_chain() -> ChainVerification:
    """Verify the whole log against the configured checkpoint file and public key."""
    result = verify_log()
    problem = result.problem
    return ChainVerification(
        result.ok,
        result.checked,
        problem.entry_id if problem else None,
        problem.message if problem else "",
    )


def now() -> datetime:
    return timezone.now()
