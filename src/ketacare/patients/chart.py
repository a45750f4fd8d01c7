from __future__ import annotations

from ketacare.accounts.permissions import Permission, has_permission
from ketacare.patients.models import Diagnosis, Medication, MedicationTrial, WeightMeasurement
from ketacare.web.chart import ChartPanel


def chart_panels(request, patient) -> list[ChartPanel]:
    current = {"superseded_by__isnull": True, "patient": patient}
    weights = WeightMeasurement.objects.filter(**current).order_by("-measured_at")
    return [
        ChartPanel(
            key="summary",
            title="Summary",
            template="patients/chart_summary.html",
            order=0,
            context={
                "weights": list(weights[:5]),
                "diagnoses": list(Diagnosis.objects.filter(**current).order_by("-id")),
                "medications": list(Medication.objects.filter(**current).order_by("name")),
                "trials": list(MedicationTrial.objects.filter(**current).order_by("id")),
                "can_edit": has_permission(request.user, Permission.EDIT_DEMOGRAPHICS),
            },
        )
    ]
