"""The audit trail, and the guard that keeps clinical records append-only.

The trail is a Merkle-tree log (docs/adr/0002-audit-trail.md): a request appends an
``AuditEntry`` with one INSERT; the sequencer (``ketacare audit seal``) later gives each
committed entry its place as an ``AuditLeaf`` of an RFC 9162 tree and signs an
``AuditCheckpoint`` (tree size, root, time) with a key kept outside the database. Entries
written before the log existed keep their old hash-chain columns (``prev_hash``,
``entry_hash``), which ``ketacare audit verify`` still checks. The models refuse updates and
deletes; database triggers refuse them too (migrations 0002 and 0005).

``GuardedModel`` is the base for clinical records: raw ``save()`` outside a service write,
any ``delete()`` and bulk updates raise. Corrections are new rows that supersede old ones.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import models


class ImmutableRecordError(RuntimeError):
    """Raised when code tries to change or delete a clinical record outside a service."""


_service_write = contextvars.ContextVar("ketacare_service_write", default=False)


@contextmanager
def service_write():
    """Marks the block as a service write: guarded models may be saved inside it."""
    token = _service_write.set(True)
    try:
        yield
    finally:
        _service_write.reset(token)


def in_service_write() -> bool:
    return _service_write.get()


def require_service_write(record: Any) -> None:
    """``GuardedModel.save``'s check, also run by inserts that bypass ``save()``
    (compiled_inserts.py)."""
    if not in_service_write():
        raise ImmutableRecordError(
            f"{type(record).__name__} is a clinical record: write it through a service."
        )


class GuardedQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        if not in_service_write():
            raise ImmutableRecordError("Clinical records change only through services.")
        return super().update(**kwargs)

    def delete(self) -> Any:
        raise ImmutableRecordError("Clinical records are never deleted; supersede or withdraw.")

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> Any:
        if not in_service_write():
            raise ImmutableRecordError("Clinical records are created only through services.")
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs: Any, *args: Any, **kwargs: Any) -> Any:
        if not in_service_write():
            raise ImmutableRecordError("Clinical records change only through services.")
        return super().bulk_update(objs, *args, **kwargs)


class GuardedModel(models.Model):
    """Abstract base for patient data: saved only inside ``service_write()``, never deleted."""

    objects = GuardedQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        require_service_write(self)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableRecordError("Clinical records are never deleted; supersede or withdraw.")


class ClinicalRecord(GuardedModel):
    """Common columns: tenancy, who created it and when."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )

    class Meta:
        abstract = True


class AuditAction(models.TextChoices):
    CREATE = "create", "Create"
    READ = "read", "Read"
    UPDATE = "update", "Update"
    WITHDRAW = "withdraw", "Withdraw"
    SUPERSEDE = "supersede", "Supersede"
    OVERRIDE = "override", "Override"
    REFUSED = "refused", "Refused"
    LOGIN = "login", "Login"
    LOGIN_FAILED = "login_failed", "Login failed"
    LOGOUT = "logout", "Logout"
    EXPORT = "export", "Export"
    # Sign-in and credential events (issue 13.6, issue 14): who, from where, never a secret.
    LOCKOUT = "lockout", "Account locked"
    TOKEN_ISSUED = "token_issued", "API token issued"
    TOKEN_REVOKED = "token_revoked", "API token revoked"
    MFA_ENROLLED = "mfa_enrolled", "Second factor enrolled"
    MFA_VERIFIED = "mfa_verified", "Second factor verified"
    MFA_FAILED = "mfa_failed", "Second factor refused"
    MFA_RESET = "mfa_reset", "Second factor reset"
    MFA_CODES_RENEWED = "mfa_codes_renewed", "Recovery codes renewed"
    MFA_REMOVED = "mfa_removed", "Second factor removed"
    PASSWORD_CHANGED = "password_changed", "Password changed"


class TransactionIdField(models.BigIntegerField):
    """Read back from the INSERT (``RETURNING``), so the saved instance holds the value the
    database computed rather than the expression that computed it."""

    db_returning = True


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise ImmutableRecordError("Audit entries are append-only.")

    def delete(self) -> Any:
        raise ImmutableRecordError("Audit entries are append-only.")


class AuditEntry(models.Model):
    occurred_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_entries",
    )
    actor_username = models.CharField(max_length=150, blank=True)
    actor_role = models.CharField(max_length=20, blank=True)
    clinic_id_snapshot = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    target_type = models.CharField(max_length=60)
    target_id = models.CharField(max_length=64, blank=True)
    patient_id_snapshot = models.BigIntegerField(null=True, blank=True, db_index=True)
    summary = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    channel = models.CharField(max_length=10, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    # The hash chain of entries written before the Merkle log (empty on newer entries).
    prev_hash = models.CharField(max_length=64, blank=True)
    entry_hash = models.CharField(max_length=64, blank=True)
    # PostgreSQL: the id of the transaction that inserted the entry (pg_current_xact_id()),
    # so the sequencer knows which entries may still be in flight. Empty on SQLite, where
    # writers commit one at a time in id order.
    txid = TransactionIdField(null=True, blank=True, editable=False)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["target_type", "target_id"]),
            models.Index(
                fields=["txid"],
                name="audit_entry_txid_idx",
                condition=models.Q(txid__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return (
            f"#{self.pk} {self.action} {self.target_type}:{self.target_id} by {self.actor_username}"
        )

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None or not kwargs.get("force_insert"):
            raise ImmutableRecordError("Audit entries are appended through audit.services only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableRecordError("Audit entries are append-only.")


class _AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise ImmutableRecordError("The audit log is append-only.")

    def delete(self) -> Any:
        raise ImmutableRecordError("The audit log is append-only.")


class _AppendOnly(models.Model):
    objects = _AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not kwargs.get("force_insert"):
            raise ImmutableRecordError("The audit log is appended by the sequencer only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableRecordError("The audit log is append-only.")


class AuditLeaf(_AppendOnly):
    """An entry's place in the Merkle tree: leaf ``index`` holds SHA-256(0x00 || the entry's
    canonical bytes). Written by the sequencer, in the order it integrates entries."""

    index = models.BigIntegerField(primary_key=True)
    # No database foreign key: a deleted entry must leave its leaf behind for verify to
    # name (the append-only triggers are what stop the deletion).
    entry = models.OneToOneField(
        AuditEntry, on_delete=models.PROTECT, related_name="leaf", db_constraint=False
    )
    leaf_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["index"]

    def __str__(self) -> str:
        return f"leaf {self.index}: entry #{self.entry_id}"


class AuditCheckpoint(_AppendOnly):
    """A signed tree head: the first ``tree_size`` leaves have root ``root_hash``. The
    signed note is also appended to the checkpoint file outside the database, which is what
    a verifier trusts; this copy is a convenience (and is checked against the key too)."""

    tree_size = models.BigIntegerField(primary_key=True)
    root_hash = models.CharField(max_length=64)
    signed_at = models.DateTimeField()
    note = models.TextField()
    # The sequencer's working state, not trusted by verify: the compact range (roots of the
    # complete subtrees, largest first) to extend the tree without rereading it, and on
    # PostgreSQL the transaction id below which every entry is already sealed.
    frontier = models.JSONField(default=list)
    txid_floor = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["tree_size"]

    def __str__(self) -> str:
        return f"checkpoint at {self.tree_size} leaves"
