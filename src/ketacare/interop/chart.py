"""The recommendation panel of the clinician chart: the top option with its reasons, the
excluded options with why, anything urgent, and a link to the full recommendation page. The
same selector and presenter as the page and the API; the reads are a fixed set of queries, so
the panel's cost does not grow with the patient's history."""

from __future__ import annotations

from django.urls import reverse

from ketacare.accounts.permissions import Permission
from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.interop.presenters import recommendation_dict
from ketacare.interop.selectors import recommendation_for
from ketacare.web.chart import ChartPanel

# The chart shows this panel only to a user holding it (web.views.patient_chart).
PANEL_PERMISSION = Permission.VIEW_TREATMENT


def chart_panels(request, patient) -> list[ChartPanel]:
    try:
        rec = recommendation_dict(recommendation_for(patient))
    except InvalidClinicalInput as exc:  # a record the engine refuses: say so, keep the chart
        rec = {
            "options": [],
            "urgent": [],
            "top_option": None,
            "no_top_reason": {"code": exc.code, "message": exc.message},
        }
    top = next((o for o in rec["options"] if o["option"] == rec["top_option"]), None)
    return [
        ChartPanel(
            key="recommendation",
            title="Treatment recommendation",
            template="interop/chart_panel.html",
            order=45,
            context={
                "rec": rec,
                "top": top,
                "excluded": [o for o in rec["options"] if o["exclusion"]],
                "url": reverse("interop:recommendation", args=[patient.pk]),
            },
        )
    ]
