"""Chart page: the patient's treatment recommendation with its reasons (same selector and
presenter as the API)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ketacare.accounts.permissions import Permission
from ketacare.interop import selectors
from ketacare.interop.presenters import recommendation_dict
from ketacare.web.pages import requires, staff_page


@login_required
@staff_page  # patients and researchers get 403, another clinic's patient 404, as the API
@requires(Permission.VIEW_TREATMENT)
def recommendation_page(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient, rec = selectors.access_recommendation(request.user, patient_id)
    return render(
        request,
        "interop/recommendation.html",
        {
            "patient": patient,
            "rec": recommendation_dict(rec),
            "choices": selectors.list_treatment_choices(patient),
        },
    )
