"""The access-log panel of the clinician chart: who viewed or changed this record, 20 entries
a page, newest first, for clinic admins and prescribers. The chart shows the first page (in a
panel closed by default, out of the way); the older pages load with htmx from
``web:patient_audit`` (``web/views.py``), each request an audited read of the patient."""

from __future__ import annotations

from ketacare.accounts.permissions import Permission, has_permission
from ketacare.audit.selectors import audit_page_for_patient
from ketacare.web.chart import ChartPanel

# The chart shows this panel only to a user holding it (web.views.patient_chart).
PANEL_PERMISSION = Permission.VIEW_AUDIT


def chart_panels(request, patient) -> list[ChartPanel]:
    if not has_permission(request.user, Permission.VIEW_AUDIT):
        return []
    return [
        ChartPanel(
            key="access-log",
            title="Who viewed or changed this record",
            template="audit/chart_panel.html",
            order=900,
            context={"audit": audit_page_for_patient(request.user, patient, page=1)},
            open_by_default=False,
        )
    ]
