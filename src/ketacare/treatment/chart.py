"""The treatment panel of the clinician chart: the patient's courses with their sessions (state,
dose, run-sheet link) and the order-a-course link for prescribers. The predicted curve of the
next dose is the pharmacokinetics panel's (``pharmacokinetics/chart.py``)."""

from __future__ import annotations

from ketacare.accounts.permissions import Permission, has_permission
from ketacare.treatment import page_selectors as pages
from ketacare.treatment.models import CourseStatus
from ketacare.web.chart import ChartPanel


def chart_panels(request, patient) -> list[ChartPanel]:
    courses = pages.list_courses_for_chart(patient)
    active = next((c for c in courses if c.status == CourseStatus.ACTIVE), None)
    return [
        ChartPanel(
            key="treatment",
            title="Courses and sessions",
            template="treatment/chart_panel.html",
            order=30,
            context={
                "courses": courses,
                "active_course": active,
                "can_order": has_permission(request.user, Permission.ORDER_TREATMENT),
                "ordered_id": request.GET.get("ordered", ""),
            },
        )
    ]
