"""The chart's SMART apps panel: each registered app with a launch address opens for this
patient (an EHR launch). No panel when the clinic has registered none."""

from __future__ import annotations

from ketacare.accounts.models import Role
from ketacare.accounts.permissions import Permission
from ketacare.smart.selectors import launchable_apps
from ketacare.web.chart import ChartPanel

# The chart shows this panel only to a user holding it (web.views.patient_chart); a launched
# app gets no more than the user's role allows (FHIR scopes, docs/roles.md).
PANEL_PERMISSION = Permission.VIEW_PATIENT


def chart_panels(request, patient) -> list[ChartPanel]:
    if request.user.role == Role.PATIENT:
        return []
    apps = list(launchable_apps())
    if not apps:
        return []
    return [
        ChartPanel(
            key="smart-apps",
            title="SMART apps",
            template="smart/chart_panel.html",
            order=95,
            context={"apps": apps, "patient": patient},
        )
    ]
