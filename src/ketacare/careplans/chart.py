"""The treatment-plan panel of the clinician chart: the current plan version, its
components, and, when the clinic has switched the integration-session rule on, each dose's
integration status (the rule is the clinic's policy, not a clinical constant)."""

from __future__ import annotations

from django.utils import timezone

from ketacare.accounts.permissions import Permission, has_permission
from ketacare.careplans import selectors
from ketacare.treatment.selectors import list_dose_events
from ketacare.web.chart import ChartPanel

# The chart shows this panel only to a user holding it (web.views.patient_chart).
PANEL_PERMISSION = Permission.VIEW_CARE_PLAN


def chart_panels(request, patient) -> list[ChartPanel]:
    plan = selectors.find_current_plan(request.user, patient)
    window = selectors.get_integration_window_days(patient.clinic_id)
    checks = ()
    if window is not None:
        doses = [event.given_at for event in list_dose_events(patient)]
        checks = selectors.integration_checks_for(patient, dose_times=doses, as_of=timezone.now())
    return [
        ChartPanel(
            key="plan",
            title="Treatment plan",
            template="careplans/chart_panel.html",
            order=40,
            context={
                "plan": plan,
                "integration_window_days": window,
                "integration_checks": checks,
                "can_manage": has_permission(request.user, Permission.MANAGE_PLAN),
            },
        )
    ]
