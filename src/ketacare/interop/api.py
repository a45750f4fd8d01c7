"""Treatment recommendation in the chart API: /api/v1/patients/{id}/recommendation, the
prescriber's choice (optionally adopted into the care plan), the prior-treatment reports and
preferences it reads, and the clinic's recommendation settings."""

from __future__ import annotations

from ninja import Router, Status

from ketacare.accounts.permissions import Permission
from ketacare.api.auth import guard
from ketacare.api.schemas import ERROR_RESPONSES, RecordId
from ketacare.clinical.gates import Override
from ketacare.interop import selectors, services
from ketacare.interop.presenters import recommendation_dict
from ketacare.interop.schemas import (
    PriorTreatmentCreate,
    PriorTreatmentRead,
    RecommendationRead,
    RecommendationSettingsRead,
    RecommendationSettingsUpdate,
    TreatmentChoiceCreate,
    TreatmentChoiceRead,
    TreatmentPreferenceCreate,
    TreatmentPreferenceRead,
)
from ketacare.patients.selectors import access_patient

router = Router(tags=["recommendations"])


@router.get(
    "/patients/{patient_id}/recommendation",
    response={200: RecommendationRead, **ERROR_RESPONSES},
    **guard(Permission.VIEW_TREATMENT),
)
def get_recommendation(request, patient_id: RecordId):
    """Ranked treatment options (esketamine, IV/IM ketamine, ECT, rTMS) with suitability,
    reasons for and against, cautions, exclusions and cited evidence, computed from the latest
    evaluation, scores, KetaCare courses and their outcomes, prior-treatment reports,
    preferences and the clinic's capabilities. Facts not recorded are listed as unconfirmed."""
    _, rec = selectors.access_recommendation(request.user, patient_id)
    return recommendation_dict(rec)


@router.post(
    "/patients/{patient_id}/recommendation/choice",
    response={201: TreatmentChoiceRead, **ERROR_RESPONSES},
    **guard(Permission.ORDER_TREATMENT),
)
def record_choice(request, patient_id: RecordId, payload: TreatmentChoiceCreate):
    """Adopt an option. A choice other than the top option needs `reason`; an excluded option
    needs a prescriber override (`override_reason`, `override_codes` ["option_excluded"]); an
    absolutely contraindicated option answers 409. With `adopt_into_plan` the care plan gets a
    new version (reason "adopted recommendation: <option>") in the same transaction."""
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
        adopt_into_plan=payload.adopt_into_plan,
    )
    return Status(201, choice)


@router.get(
    "/patients/{patient_id}/prior-treatments",
    response={200: list[PriorTreatmentRead], **ERROR_RESPONSES},
    **guard(Permission.VIEW_CLINICAL_HISTORY),
)
def get_prior_treatments(request, patient_id: RecordId):
    """Ketamine, esketamine, ECT and rTMS courses given elsewhere, as recorded from the
    history (courses given in KetaCare come from its own treatment records)."""
    _, rows = selectors.list_prior_treatments(request.user, patient_id)
    return rows


@router.post(
    "/patients/{patient_id}/prior-treatments",
    response={201: PriorTreatmentRead, **ERROR_RESPONSES},
    **guard(Permission.RECORD_CLINICAL_HISTORY),
)
def record_prior_treatment(request, patient_id: RecordId, payload: PriorTreatmentCreate):
    """Record a course given elsewhere: sessions, response, how long a benefit lasted
    (`durability_days`, after a response or remission only) and, for ECT and rTMS only, whether
    the course was adequate (clinician judgment; ketamine adequacy is computed)."""
    patient = access_patient(request.user, patient_id, purpose="record prior treatment")
    row = services.record_prior_treatment(
        actor=request.user, patient=patient, **payload.model_dump()
    )
    return Status(201, row)


@router.get(
    "/patients/{patient_id}/treatment-preferences",
    response={200: TreatmentPreferenceRead, **ERROR_RESPONSES},
    **guard(Permission.VIEW_CLINICAL_HISTORY),
)
def get_treatment_preferences(request, patient_id: RecordId):
    """The patient's latest stated preferences (404 when none was recorded)."""
    return selectors.access_treatment_preferences(request.user, patient_id)


@router.post(
    "/patients/{patient_id}/treatment-preferences",
    response={201: TreatmentPreferenceRead, **ERROR_RESPONSES},
    **guard(Permission.RECORD_CLINICAL_HISTORY),
)
def record_treatment_preferences(request, patient_id: RecordId, payload: TreatmentPreferenceCreate):
    """Record what the patient wants: options in order of preference, options declined, the
    travel burden of frequent visits, and whether self-pay is acceptable."""
    patient = access_patient(request.user, patient_id, purpose="record treatment preferences")
    row = services.record_treatment_preferences(
        actor=request.user, patient=patient, **payload.model_dump()
    )
    return Status(201, row)


@router.get(
    "/recommendation-settings",
    response={200: RecommendationSettingsRead, **ERROR_RESPONSES},
    **guard(Permission.VIEW_PATIENT),
)
def get_recommendation_settings(request):
    """Whether the clinic refers for ECT and rTMS and which options it bills as self-pay."""
    return selectors.get_recommendation_settings(request.user)


@router.put(
    "/recommendation-settings",
    response={200: RecommendationSettingsRead, **ERROR_RESPONSES},
    **guard(Permission.MANAGE_PROTOCOLS),
)
def update_recommendation_settings(request, payload: RecommendationSettingsUpdate):
    """Set the clinic's ECT/rTMS referral and self-pay options (clinic admins; audited)."""
    services.record_recommendation_settings(actor=request.user, **payload.model_dump())
    return selectors.get_recommendation_settings(request.user)
