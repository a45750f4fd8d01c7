"""Chart page: the patient's treatment recommendation with its reasons (same selector and
presenter as the API)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from ketacare.access import NotFound
from ketacare.interop import selectors
from ketacare.interop.presenters import recommendation_dict


@login_required
def recommendation_page(request: HttpRequest, patient_id: int) -> HttpResponse:
    try:
        patient, rec = selectors.access_recommendation(request.user, patient_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    return render(
        request,
        "interop/recommendation.html",
        {
            "patient": patient,
            "rec": recommendation_dict(rec),
            "choices": selectors.list_treatment_choices(patient),
        },
    )
