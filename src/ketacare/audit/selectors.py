from __future__ import annotations

from django.db.models import QuerySet

from ketacare.accounts.permissions import Permission, require_permission
from ketacare.audit.models import AuditEntry


def list_audit_entries_for_patient(
    actor, patient_id: int, limit: int = 200
) -> QuerySet[AuditEntry]:
    """Who read or changed a patient's record (clinic admins and prescribers)."""
    require_permission(actor, Permission.VIEW_AUDIT)
    return AuditEntry.objects.filter(
        patient_id_snapshot=patient_id, clinic_id_snapshot=actor.clinic_id
    ).order_by("-id")[:limit]
