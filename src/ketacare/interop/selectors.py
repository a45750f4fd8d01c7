"""Reads: a patient's treatment recommendation (computed, audited as a read), their recorded
treatment choices, prior-treatment reports and preferences, and the clinic's recommendation
settings (clinic configuration: no read audit)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from ketacare.access import NotFound
from ketacare.accounts.models import User
from ketacare.accounts.permissions import Permission, require_permission
from ketacare.clinical.recommendations import Recommendation, recommend_treatment
from ketacare.interop.mappers import latest_preference, recommendation_input_for_patient
from ketacare.interop.models import (
    PriorTreatmentReport,
    RecommendationSettings,
    TreatmentChoice,
    TreatmentPreference,
)
from ketacare.patients.models import Patient
from ketacare.patients.selectors import access_patient


def recommendation_for(patient: Patient, *, as_of: datetime | None = None) -> Recommendation:
    """The engine's recommendation for a patient the caller already accessed (no audit)."""
    return recommend_treatment(
        recommendation_input_for_patient(patient, as_of=as_of or timezone.now())
    )


def access_recommendation(
    actor: User, patient_id: int, *, as_of: datetime | None = None
) -> tuple[Patient, Recommendation]:
    """The patient (permission, clinic and read audit via ``access_patient``) and the
    engine's recommendation for them now."""
    patient = access_patient(
        actor, patient_id, purpose="treatment recommendation", permission=Permission.VIEW_TREATMENT
    )
    return patient, recommendation_for(patient, as_of=as_of)


def list_treatment_choices(patient: Patient) -> list[TreatmentChoice]:
    return list(
        TreatmentChoice.objects.filter(patient=patient)
        .select_related("care_plan")
        .order_by("-created_at", "-id")
    )


def list_prior_treatments(
    actor: User, patient_id: int
) -> tuple[Patient, list[PriorTreatmentReport]]:
    patient = access_patient(
        actor, patient_id, purpose="prior treatments", permission=Permission.VIEW_CLINICAL_HISTORY
    )
    rows = PriorTreatmentReport.objects.filter(patient=patient).order_by("created_at", "id")
    return patient, list(rows)


def access_treatment_preferences(actor: User, patient_id: int) -> TreatmentPreference:
    patient = access_patient(
        actor,
        patient_id,
        purpose="treatment preferences",
        permission=Permission.VIEW_CLINICAL_HISTORY,
    )
    row = latest_preference(patient)
    if row is None:
        raise NotFound("treatment preferences")
    return row


def get_recommendation_settings(actor: User) -> dict:
    """The clinic's recommendation settings (the defaults when it has set none)."""
    require_permission(actor, Permission.VIEW_PATIENT)
    row = RecommendationSettings.objects.filter(clinic_id=actor.clinic_id).first()
    if row is None:
        return {"ect_referral": True, "rtms_referral": True, "self_pay_options": []}
    return {
        "ect_referral": row.ect_referral,
        "rtms_referral": row.rtms_referral,
        "self_pay_options": list(row.self_pay_options),
    }
