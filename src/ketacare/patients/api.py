"""Patients and intake: /api/v1/patients..."""

from __future__ import annotations

from ninja import Query, Router, Schema, Status
from pydantic import Field

from ketacare.accounts.permissions import Permission
from ketacare.api.auth import guard
from ketacare.api.schemas import ERROR_RESPONSES, RecordId
from ketacare.patients import selectors, services
from ketacare.patients.schemas import (
    DiagnosisCreate,
    DiagnosisRead,
    MedicationCreate,
    MedicationRead,
    MedicationTrialCreate,
    MedicationTrialRead,
    PatientCreate,
    PatientListRead,
    PatientRead,
    PatientUpdate,
    WeightCreate,
    WeightRead,
)

router = Router(tags=["patients"])


class PatientFilter(Schema):
    search: str = Field("", max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=10_000_000)


@router.get(
    "/patients",
    response={200: PatientListRead, **ERROR_RESPONSES},
    **guard(Permission.VIEW_PATIENT),
)
def list_patients(request, filters: Query[PatientFilter]):
    """The clinic's patients, searched by name or MRN, one page at a time."""
    items, total = selectors.list_patients(
        request.user, search=filters.search, limit=filters.limit, offset=filters.offset
    )
    return {"items": items, "total": total, "limit": filters.limit, "offset": filters.offset}


@router.post(
    "/patients",
    response={201: PatientRead, **ERROR_RESPONSES},
    **guard(
        Permission.REGISTER_PATIENT,
        links={
            "GetPatient": (
                "ketacare_patients_api_get_patient",
                {"patient_id": "$response.body#/id"},
            ),
            "UpdatePatient": (
                "ketacare_patients_api_update_patient",
                {"patient_id": "$response.body#/id"},
            ),
        },
    ),
)
def register_patient(request, payload: PatientCreate):
    """Register a new patient at the caller's clinic. A medical record number is assigned."""
    created = services.register_patient(actor=request.user, **payload.dict())
    return Status(201, created)


@router.get(
    "/patients/{patient_id}",
    response={200: PatientRead, **ERROR_RESPONSES},
    **guard(Permission.VIEW_PATIENT),
)
def get_patient(request, patient_id: RecordId):
    """One patient's demographics (the read is audited)."""
    return selectors.access_patient(request.user, patient_id)


@router.patch(
    "/patients/{patient_id}",
    response={200: PatientRead, **ERROR_RESPONSES},
    **guard(Permission.EDIT_DEMOGRAPHICS),
)
def update_patient(request, patient_id: RecordId, payload: PatientUpdate):
    """Change demographics; the audit trail keeps the before and after values."""
    patient = selectors.access_patient(request.user, patient_id, purpose="edit")
    changes = payload.dict(exclude_unset=True)
    if any(v is None and k != "current_episode_onset" for k, v in changes.items()):
        from ketacare.clinical.errors import InvalidClinicalInput

        raise InvalidClinicalInput("required_field_null", "Only the episode onset can be cleared.")
    return services.record_demographics(actor=request.user, patient=patient, changes=changes)


@router.post(
    "/patients/{patient_id}/medication-trials",
    response={201: MedicationTrialRead, **ERROR_RESPONSES},
    **guard(Permission.RECORD_CLINICAL_HISTORY),
)
def record_medication_trial(request, patient_id: RecordId, payload: MedicationTrialCreate):
    """Add an antidepressant trial to the current episode's history (drives TRD staging)."""
    patient = selectors.access_patient(request.user, patient_id, purpose="record trial")
    created = services.record_medication_trial(
        actor=request.user, patient=patient, **payload.dict()
    )
    return Status(201, created)


@router.post(
    "/patients/{patient_id}/weights",
    response={201: WeightRead, **ERROR_RESPONSES},
    **guard(Permission.RECORD_CLINICAL_HISTORY),
)
def record_weight(request, patient_id: RecordId, payload: WeightCreate):
    """Record a dated body weight (weight-based doses use the latest one)."""
    patient = selectors.access_patient(request.user, patient_id, purpose="record weight")
    created = services.record_weight(actor=request.user, patient=patient, **payload.dict())
    return Status(201, created)


@router.post(
    "/patients/{patient_id}/diagnoses",
    response={201: DiagnosisRead, **ERROR_RESPONSES},
    **guard(Permission.RECORD_CLINICAL_HISTORY),
)
def record_diagnosis(request, patient_id: RecordId, payload: DiagnosisCreate):
    """Record an ICD-10-CM F32/F33 depressive-disorder diagnosis."""
    patient = selectors.access_patient(request.user, patient_id, purpose="record diagnosis")
    created = services.record_diagnosis(actor=request.user, patient=patient, **payload.dict())
    return Status(201, created)


@router.post(
    "/patients/{patient_id}/medications",
    response={201: MedicationRead, **ERROR_RESPONSES},
    **guard(Permission.RECORD_CLINICAL_HISTORY),
)
def record_medication(request, patient_id: RecordId, payload: MedicationCreate):
    """Record a current or past medicine (interacting classes raise cautions at evaluation)."""
    patient = selectors.access_patient(request.user, patient_id, purpose="record medication")
    created = services.record_medication(actor=request.user, patient=patient, **payload.dict())
    return Status(201, created)
