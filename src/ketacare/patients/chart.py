from __future__ import annotations

from ketacare.accounts.permissions import Permission, has_permission
from ketacare.patients.selectors import (
    current_diagnoses,
    current_medications,
    current_trials,
    recent_weights,
)
from ketacare.web.chart import ChartPanel

# The chart shows this panel only to a user holding it (web.views.patient_chart).
PANEL_PERMISSION = Permission.VIEW_PATIENT


def chart_panels(request, patient) -> list[ChartPanel]:
    if not has_permission(request.user, Permission.VIEW_CLINICAL_HISTORY):
        return [  # demographics only (front desk, clinic admin)
            ChartPanel(
                key="summary",
                title="Summary",
                template="patients/chart_summary.html",
                order=0,
                context={
                    "history": False,
                    "can_edit": has_permission(request.user, Permission.EDIT_DEMOGRAPHICS),
                },
            )
        ]
    return [
        ChartPanel(
            key="summary",
            title="Summary",
            template="patients/chart_summary.html",
            order=0,
            context={
                "history": True,
                "weights": recent_weights(patient),
                "diagnoses": current_diagnoses(patient),
                "medications": current_medications(patient),
                "trials": current_trials(patient),
                "can_edit": has_permission(request.user, Permission.EDIT_DEMOGRAPHICS),
            },
        )
    ]
