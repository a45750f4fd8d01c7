from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from ketacare.accounts.permissions import Permission, require_permission
from ketacare.audit.models import AuditEntry

AUDIT_PAGE_SIZE = 20  # entries per page of a patient's access log (the chart's audit panel)


def list_audit_entries_for_patient(
    actor, patient_id: int, limit: int = 200
) -> QuerySet[AuditEntry]:
    """Who read or changed a patient's record (clinic admins and prescribers)."""
    require_permission(actor, Permission.VIEW_AUDIT)
    return AuditEntry.objects.filter(
        patient_id_snapshot=patient_id, clinic_id_snapshot=actor.clinic_id
    ).order_by("-id")[:limit]


@dataclass(frozen=True, slots=True)
class AuditPage:
    """One page of a patient's access log, newest first."""

    entries: list[AuditEntry]
    number: int
    pages: int
    total: int
    first: int  # 1-based position of the first entry shown (0 when there are none)
    last: int

    @property
    def has_newer(self) -> bool:
        return self.number > 1

    @property
    def has_older(self) -> bool:
        return self.number < self.pages


def page_number(text: object) -> int:
    """A ``?page=`` value as a page number: anything that is not a whole number from 1 is 1."""
    try:
        value = int(str(text))
    except (TypeError, ValueError):
        return 1
    return max(1, value)


def audit_page_for_patient(
    actor, patient, *, page: int = 1, per_page: int = AUDIT_PAGE_SIZE
) -> AuditPage:
    """Page ``page`` of who read or changed ``patient``'s record (a page past the end shows
    the last one): two queries whatever the log's length. The caller accessed the patient
    (audited); this checks the actor may see the audit log."""
    require_permission(actor, Permission.VIEW_AUDIT)
    rows = AuditEntry.objects.filter(
        patient_id_snapshot=patient.pk, clinic_id_snapshot=patient.clinic_id
    ).order_by("-id")
    total = rows.count()
    pages = max(1, -(-total // per_page))
    number = min(max(1, page), pages)
    offset = (number - 1) * per_page
    entries = list(rows[offset : offset + per_page])
    return AuditPage(
        entries=entries,
        number=number,
        pages=pages,
        total=total,
        first=offset + 1 if entries else 0,
        last=offset + len(entries),
    )
