"""Treatment pages: the printable REMS Patient Monitoring Form of a session (same selectors
as the API)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from ketacare.treatment import selectors
from ketacare.web.pages import staff_page

_LABELS = {
    "patient_first_name": "Patient first name",
    "patient_middle_initial": "Middle initial",
    "patient_last_name": "Patient last name",
    "patient_birthdate": "Birthdate",
    "patient_sex": "Sex",
    "first_treatment": "First treatment",
    "patient_enrolled": "Patient enrolled in the REMS",
    "concomitant_medications": "Concomitant medications (sedation / BP)",
    "monitoring_provider_name": "Healthcare provider conducting monitoring",
    "monitoring_provider_phone": "Provider phone",
    "monitoring_provider_email": "Provider email",
    "setting_name": "Healthcare setting",
    "setting_address": "Setting address",
    "treatment_date": "Treatment date",
    "dose_mg": "Dose administered (mg)",
    "lot_number": "Lot number",
    "first_device_at": "First device administered at",
    "monitoring_completed_at": "Monitoring completed at",
    "ready_to_leave_without_minimum_min": "Ready to leave without the 2-hour minimum (min)",
    "vitals_acceptable_before_administration": "Vital signs acceptable before administration",
    "vitals_acceptable_before_completion": "Vital signs acceptable before completion",
    "bp_before_administration": "BP before administration",
    "bp_40_min_after_administration": "BP 40 min after administration",
    "bp_before_completion": "BP before session completion",
    "sedation": "Sedation",
    "dissociation": "Dissociation",
    "respiratory_depression": "Respiratory depression",
}


def _shown(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dict):
        return f"{value['systolic_mmhg']}/{value['diastolic_mmhg']} mmHg"
    if isinstance(value, list):
        return ", ".join(value) if value else "None"
    return str(value)


@login_required
@staff_page
def rems_form(request: HttpRequest, session_id: int) -> HttpResponse:
    form = selectors.access_rems_form(request.user, session_id)
    read = selectors.rems_form_read(form, timezone.now())
    answers = read["data"].get("answers", {})
    missing = set(read["data"].get("missing", []))
    rows = [
        {"label": label, "value": _shown(answers.get(key)), "missing": key in missing}
        for key, label in _LABELS.items()
    ]
    return render(request, "treatment/rems_form.html", {"form": read, "rows": rows})
