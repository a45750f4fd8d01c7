"""The treatment panel of the clinician chart: the patient's courses with their sessions (state,
dose, run-sheet link) and the order-a-course link for prescribers. The predicted curve of the
next dose is the pharmacokinetics panel's (``pharmacokinetics/chart.py``). Without
``VIEW_TREATMENT`` (front desk, clinic admin) it is the appointments: when, which chair, the
state and the run-sheet link for checking in; no dose, no order details."""

from __future__ import annotations

from ketacare.accounts.permissions import Permission, has_permission
from ketacare.treatment import page_selectors as pages
from ketacare.treatment.models import CourseStatus
from ketacare.web.chart import ChartPanel

# The chart shows this panel only to a user holding it (web.views.patient_chart).
PANEL_PERMISSION = Permission.VIEW_PATIENT


def chart_panels(request, patient) -> list[ChartPanel]:
    courses = pages.list_courses_for_chart(patient)
    active = next((c for c in courses if c.status == CourseStatus.ACTIVE), None)
    clinical = has_permission(request.user, Permission.VIEW_TREATMENT)
    return [
        ChartPanel(
            key="treatment",
            title="Courses and sessions" if clinical else "Appointments",
            template="treatment/chart_panel.html",
            order=30,
            context={
                "courses": courses,
                "clinical": clinical,
                "active_course": active,
                "can_order": has_permission(request.user, Permission.ORDER_TREATMENT),
                "ordered_id": request.GET.get("ordered", ""),
            },
        )
    ]
