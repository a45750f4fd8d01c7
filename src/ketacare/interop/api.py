"""Treatment recommendation in the chart API: /api/v1/patients/{id}/recommendation..."""

from __future__ import annotations

from ninja import Router, Status

from ketacare.accounts.permissions import Permission
from ketacare.api.auth import guard
from ketacare.api.schemas import ERROR_RESPONSES, RecordId
from ketacare.clinical.gates import Override
from ketacare.interop import selectors, services
from ketacare.interop.presenters import recommendation_dict
from ketacare.interop.schemas import RecommendationRead, TreatmentChoiceCreate, TreatmentChoiceRead
from ketacare.patients.selectors import access_patient

router = Router(tags=["recommendations"])


@router.get(
    "/patients/{patient_id}/recommendation",
    response={200: RecommendationRead, **ERROR_RESPONSES},
    **guard(Permission.VIEW_PATIENT),
)
def get_recommendation(request, patient_id: RecordId):
    """Ranked treatment options (esketamine, IV/IM ketamine, ECT, rTMS) with suitability,
    reasons for and against, cautions, exclusions and cited evidence. Decision support for the
    prescriber; facts not yet recorded are listed as unconfirmed."""
    _, rec = selectors.access_recommendation(request.user, patient_id)
    return recommendation_dict(rec)


@router.post(
    "/patients/{patient_id}/recommendation/choice",
    response={201: TreatmentChoiceRead, **ERROR_RESPONSES},
    **guard(Permission.ORDER_TREATMENT),
)
def record_choice(request, patient_id: RecordId, payload: TreatmentChoiceCreate):
    """Adopt an option for the plan. A choice other than the top option needs `reason`; an
    excluded option needs a prescriber override (`override_reason`, `override_codes`
    ["option_excluded"]); an absolutely contraindicated option answers 409."""
    patient = access_patient(request.user, patient_id, purpose="record treatment choice")
    override = (
        Override(payload.override_reason, frozenset(payload.override_codes))
        if payload.override_reason or payload.override_codes
        else None
    )
    choice = services.record_treatment_choice(
        actor=request.user,
        patient=patient,
        option=payload.option,
        reason=payload.reason,
        override=override,
    )
    return Status(201, choice)
