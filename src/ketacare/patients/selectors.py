"""Reads of the patient record. ``access_patient`` is the only way a view or handler gets a
patient: it checks permission and clinic, answers the same ``NotFound`` for "absent" and
"not yours", and audits the read."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from ketacare.access import NotFound
from ketacare.accounts.models import Role, User
from ketacare.accounts.permissions import Permission, require_permission
from ketacare.audit.services import record_read
from ketacare.compiled_reads import CompiledRead, Slot, slot
from ketacare.patients.models import (
    Diagnosis,
    Medication,
    MedicationTrial,
    Patient,
    WeightMeasurement,
)
from ketacare.read_scope import shared_read

# Every chart, page and API read of a patient starts here: compiled to SQL once per
# connection (compiled_reads.py).
_PATIENT_OF_CLINIC = CompiledRead(
    lambda: (
        Patient.objects.filter(pk=Slot("id", Patient._meta.pk))
        .filter(clinic_id=Slot("clinic", Patient._meta.get_field("clinic").target_field))
        .select_related("clinic")
        .order_by("pk")[:1]
    )
)


def access_patient(
    actor: User,
    patient_id: int,
    *,
    purpose: str = "chart",
    permission: Permission = Permission.VIEW_PATIENT,
) -> Patient:
    """The patient for a read that needs ``permission`` (``VIEW_PATIENT``: demographics and
    status; a clinical read names its own, e.g. ``VIEW_MEASURES``)."""
    require_permission(actor, permission)
    patient = _PATIENT_OF_CLINIC.first(id=patient_id, clinic=actor.clinic_id)
    if patient is None:
        raise NotFound("patient")
    record_read(actor=actor, target=patient, patient_id=patient.pk, summary=purpose)
    return patient


def access_own_patient(actor: User) -> Patient:
    """The portal's door: a patient login reaches exactly its own record."""
    require_permission(actor, Permission.USE_PORTAL)
    if actor.role != Role.PATIENT or actor.patient_id is None:
        raise NotFound("patient")
    patient = Patient.objects.select_related("clinic").get(pk=actor.patient_id)
    record_read(actor=actor, target=patient, patient_id=patient.pk, summary="portal")
    return patient


def list_patients(
    actor: User, *, search: str = "", limit: int = 50, offset: int = 0
) -> tuple[list[Patient], int]:
    """One page of the clinic's patients; the list request is audited once, not per row."""
    require_permission(actor, Permission.VIEW_PATIENT)
    qs: QuerySet[Patient] = Patient.objects.filter(clinic_id=actor.clinic_id)
    term = search.strip()
    if term:
        qs = qs.filter(
            Q(family_name__icontains=term) | Q(given_name__icontains=term) | Q(mrn__iexact=term)
        )
    total = qs.count()
    page = list(qs.order_by("family_name", "given_name", "id")[offset : offset + limit])
    record_read(
        actor=actor,
        target=("patients.Patient", "list"),
        summary=f"patient list: {total} matched, {len(page)} shown",
    )
    return page, total


RECENT_WEIGHTS = 5  # how many the chart's summary lists

# The chart's history reads, compiled to SQL once per connection (compiled_reads.py).
_RECENT_WEIGHTS = CompiledRead(
    lambda: WeightMeasurement.objects.filter(
        patient_id=slot(WeightMeasurement, "patient"), superseded_by__isnull=True
    ).order_by("-measured_at", "-id")[:RECENT_WEIGHTS]
)
_CURRENT_MEDICATIONS = CompiledRead(
    lambda: Medication.objects.filter(
        patient_id=slot(Medication, "patient"), superseded_by__isnull=True
    ).order_by("name")
)
_CURRENT_TRIALS = CompiledRead(
    lambda: MedicationTrial.objects.filter(
        patient_id=slot(MedicationTrial, "patient"), superseded_by__isnull=True
    ).order_by("id")
)
_CURRENT_DIAGNOSES = CompiledRead(
    lambda: Diagnosis.objects.filter(
        patient_id=slot(Diagnosis, "patient"), superseded_by__isnull=True
    ).order_by("-id")
)


@shared_read
def recent_weights(patient: Patient) -> list[WeightMeasurement]:
    """The patient's current (not superseded) weights, newest first, up to RECENT_WEIGHTS."""
    return _RECENT_WEIGHTS.rows(patient=patient.pk)


def latest_weight(patient: Patient) -> WeightMeasurement | None:
    weights = recent_weights(patient)
    return weights[0] if weights else None


@shared_read
def current_medications(patient: Patient) -> list[Medication]:
    """Current (not superseded) medication records, stopped ones included, by name."""
    return _CURRENT_MEDICATIONS.rows(patient=patient.pk)


@shared_read
def current_trials(patient: Patient) -> list[MedicationTrial]:
    """Current (not superseded) antidepressant trials, in the order they were recorded."""
    return _CURRENT_TRIALS.rows(patient=patient.pk)


def current_diagnoses(patient: Patient) -> list[Diagnosis]:
    """Current (not superseded) diagnoses, newest first."""
    return _CURRENT_DIAGNOSES.rows(patient=patient.pk)
