"""The measurement-based-care panel of the clinician chart (issue 4): each scale's trajectory
(``web/components/trajectory_chart.html`` with ``selectors.trajectory_for``: cited bands, the
clinic's remission line, dose markers), the outcome status per instrument with its reason,
the patient's open safety alerts, and the maintenance recommendation with its reasons.

Everything uses the clinic's outcome policy (protocols app). The chart page has already read
the patient (one audited read), so nothing here audits again. The number of queries does not
depend on how many assessments or doses the patient has.
"""

from __future__ import annotations

from django.utils import timezone

from ketacare.accounts.permissions import Permission, has_permission
from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.measures import presenters, selectors
from ketacare.measures.models import AlertStatus
from ketacare.protocols.mappers import outcome_policy_from
from ketacare.protocols.selectors import get_active_clinic_policy
from ketacare.web.chart import ChartPanel

_STATUS_LABEL = {
    "remission": "Remission",
    "responding": "Responding",
    "partial_response": "Partial response",
    "non_response": "No response",
    "relapse": "Relapse",
    "worsening": "Worsening",
    "no_baseline": "No baseline",
    "not_yet_assessed": "Not yet assessed",
}


# The chart shows this panel only to a user holding it (web.views.patient_chart).
PANEL_PERMISSION = Permission.VIEW_MEASURES


def chart_panels(request, patient) -> list[ChartPanel]:
    now = timezone.now()
    row = get_active_clinic_policy(patient.clinic_id)  # read once for the whole panel
    error = None
    outcomes = maintenance = None
    try:
        policy = outcome_policy_from(row)
        outcomes = presenters.outcomes(selectors.outcomes_for(patient, as_of=now, policy=policy))
        maintenance = presenters.maintenance(
            selectors.maintenance_for(patient, as_of=now, clinic_policy=row)
        )
    except InvalidClinicalInput as exc:  # an inconsistent history: say so, keep the chart
        error = {"code": exc.code, "message": exc.message}
    for item in (outcomes or {}).get("instruments", ()):
        item["status_label"] = _STATUS_LABEL.get(item["status"], item["status"].replace("_", " "))
    trajectories = [
        {"chart_id": f"measures-{code}", "data": data}
        for code, data in selectors.trajectory_for(
            patient, as_of=now, policy=None if error else policy
        ).items()
    ]
    alerts = [a for a in selectors.list_patient_alerts(patient) if a.status == AlertStatus.OPEN]
    return [
        ChartPanel(
            key="measures",
            title="Scores, outcomes and maintenance",
            template="measures/chart_panel.html",
            order=35,
            context={
                "trajectories": trajectories,
                "outcomes": outcomes,
                "maintenance": maintenance,
                "alerts": alerts,
                "error": error,
                "can_acknowledge": has_permission(request.user, Permission.ACKNOWLEDGE_ALERT),
            },
        )
    ]
