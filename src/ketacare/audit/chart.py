from __future__ import annotations

from ketacare.accounts.permissions import Permission, has_permission
from ketacare.audit.models import AuditEntry
from ketacare.web.chart import ChartPanel


def chart_panels(request, patient) -> list[ChartPanel]:
    """Who viewed or changed this record: for clinic admins and prescribers."""
    if not has_permission(request.user, Permission.VIEW_AUDIT):
        return []
    entries = list(
        AuditEntry.objects.filter(
            patient_id_snapshot=patient.pk, clinic_id_snapshot=patient.clinic_id
        ).order_by("-id")[:50]
    )
    return [
        ChartPanel(
            key="access-log",
            title="Who viewed or changed this record",
            template="audit/chart_panel.html",
            order=900,
            context={"entries": entries},
        )
    ]
