from __future__ import annotations

from ketacare.accounts.permissions import Permission, has_permission
from ketacare.patients.models import Diagnosis
from ketacare.patients.selectors import current_medications, current_trials, recent_weights
from ketacare.web.chart import ChartPanel


def chart_panels(request, patient) -> list[ChartPanel]:
    current = {"superseded_by__isnull": True, "patient": patient}
    return [
        ChartPanel(
            key="summary",
            title="Summary",
            template="patients/chart_summary.html",
            order=0,
            context={
                "weights": recent_weights(patient),
                "diagnoses": list(Diagnosis.objects.filter(**current).order_by("-id")),
                "medications": current_medications(patient),
                "trials": current_trials(patient),
                "can_edit": has_permission(request.user, Permission.EDIT_DEMOGRAPHICS),
            },
        )
    ]
