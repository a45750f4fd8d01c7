"""The treatment panel of the clinician chart: the patient's courses with their sessions (state,
dose, run-sheet link), the order-a-course link for prescribers, and the predicted curve of the
active course's dose against the reference exposure (issue 8, ``pharmacokinetics:preview``)."""

from __future__ import annotations

from django.utils import timezone

from ketacare.accounts.permissions import Permission, has_permission
from ketacare.protocols.mappers import protocol_for_clinic
from ketacare.protocols.selectors import get_clinic_policy_values
from ketacare.treatment import page_selectors as pages
from ketacare.treatment.models import CourseStatus
from ketacare.web.chart import ChartPanel


def chart_panels(request, patient) -> list[ChartPanel]:
    courses = pages.list_courses_for_chart(patient)
    active = next((c for c in courses if c.status == CourseStatus.ACTIVE), None)
    pk_params = None
    if active is not None and has_permission(request.user, Permission.USE_CLINICAL_TOOLS):
        now = timezone.now()
        protocol = protocol_for_clinic(
            active.protocol_version.parameters, get_clinic_policy_values(patient.clinic_id)
        )
        preview = pages.dose_preview(
            patient=patient,
            protocol=protocol,
            values=None,
            mg_per_kg=active.mg_per_kg,
            dose_mg=active.dose_mg,
            vial_concentration_mg_per_ml=None,
            now=now,
        )
        pk_params = pages.pk_preview_params(patient, protocol, preview, now)
    return [
        ChartPanel(
            key="treatment",
            title="Courses and sessions",
            template="treatment/chart_panel.html",
            order=30,
            context={
                "courses": courses,
                "active_course": active,
                "pk_params": pk_params,
                "can_order": has_permission(request.user, Permission.ORDER_TREATMENT),
                "ordered_id": request.GET.get("ordered", ""),
            },
        )
    ]
