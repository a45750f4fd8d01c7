"""Reads: a patient's treatment recommendation (computed, audited as a read) and their
recorded treatment choices."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from ketacare.accounts.models import User
from ketacare.clinical.recommendations import Recommendation, recommend_treatment
from ketacare.interop.mappers import recommendation_input_for_patient
from ketacare.interop.models import TreatmentChoice
from ketacare.patients.selectors import access_patient


def access_recommendation(
    actor: User, patient_id: int, *, as_of: datetime | None = None
) -> tuple[object, Recommendation]:
    """The patient (permission, clinic and read audit via ``access_patient``) and the
    engine's recommendation for them now."""
    patient = access_patient(actor, patient_id, purpose="treatment recommendation")
    inp = recommendation_input_for_patient(patient, as_of=as_of or timezone.now())
    return patient, recommend_treatment(inp)


def list_treatment_choices(patient) -> list[TreatmentChoice]:
    return list(TreatmentChoice.objects.filter(patient=patient).order_by("-created_at", "-id"))
