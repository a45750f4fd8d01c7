"""Writes to the patient record. Each is atomic, authorised and audited in the same
transaction; bad input raises ``InvalidClinicalInput`` and changes nothing."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.models import Clinic, User
from ketacare.accounts.permissions import Permission, require_permission
from ketacare.audit.models import AuditAction
from ketacare.audit.services import record_write
from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.plausibility import require_plausible, require_plausible_birth_date
from ketacare.patients.models import (
    Diagnosis,
    HeightMeasurement,
    Medication,
    MedicationTrial,
    Patient,
    WeightMeasurement,
)
from ketacare.plausible import require_reading_time
from ketacare.records import save_validated

DEMOGRAPHIC_FIELDS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "phone",
    "email",
    "address",
    "emergency_contact",
    "current_episode_onset",
    "status",
)


def _not_in_future(when: date | datetime, field: str, now: datetime) -> None:
    limit = now if isinstance(when, datetime) else now.date()
    if when > limit:
        raise InvalidClinicalInput("date_in_future", f"{field} cannot be in the future.")


def _next_mrn(clinic: Clinic) -> str:
    Clinic.objects.select_for_update().get(pk=clinic.pk)
    count = Patient.objects.filter(clinic=clinic).count()
    return f"KC{clinic.pk:02d}-{count + 1:06d}"


@transaction.atomic
def register_patient(
    *,
    actor: User,
    given_name: str,
    family_name: str,
    date_of_birth: date,
    sex: str,
    phone: str = "",
    email: str = "",
    address: str = "",
    emergency_contact: str = "",
    current_episode_onset: date | None = None,
    as_of: datetime | None = None,
) -> Patient:
    require_permission(actor, Permission.REGISTER_PATIENT)
    # ``as_of`` dates the registration (an import, the demo); "not in the future" is always
    # the wall clock's.
    now = as_of or timezone.now()
    wall_clock = timezone.now()
    require_plausible_birth_date(date_of_birth, today=timezone.localdate(wall_clock))
    if current_episode_onset:
        _not_in_future(current_episode_onset, "Episode onset", wall_clock)
    patient = Patient(
        clinic_id=actor.clinic_id,
        mrn=_next_mrn(actor.clinic),
        given_name=given_name.strip(),
        family_name=family_name.strip(),
        date_of_birth=date_of_birth,
        sex=sex,
        phone=phone,
        email=email,
        address=address,
        emergency_contact=emergency_contact,
        current_episode_onset=current_episode_onset,
        created_at=now,
        created_by=actor,
        updated_at=now,
    )
    save_validated(patient)
    record_write(
        actor=actor,
        action=AuditAction.CREATE,
        target=patient,
        patient_id=patient.pk,
        after={f: getattr(patient, f) for f in DEMOGRAPHIC_FIELDS},
        summary="patient registered",
    )
    return patient


@transaction.atomic
def record_demographics(*, actor: User, patient: Patient, changes: dict[str, Any]) -> Patient:
    """Update demographics in place; the audit entry keeps the before and after values."""
    require_permission(actor, Permission.EDIT_DEMOGRAPHICS)
    unknown = set(changes) - set(DEMOGRAPHIC_FIELDS)
    if unknown:
        raise InvalidClinicalInput(
            "unknown_field", f"These fields cannot be changed here: {sorted(unknown)}"
        )
    now = timezone.now()
    if changes.get("date_of_birth"):
        require_plausible_birth_date(changes["date_of_birth"], today=timezone.localdate(now))
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    before = {f: getattr(patient, f) for f in changes}
    changed = [f for f, v in changes.items() if getattr(patient, f) != v]
    if not changed:
        return patient
    for field in changed:
        setattr(patient, field, changes[field])
    patient.updated_at = now
    save_validated(patient, update_fields=[*changed, "updated_at"])
    record_write(
        actor=actor,
        action=AuditAction.UPDATE,
        target=patient,
        patient_id=patient.pk,
        before={f: before[f] for f in changed},
        after={f: changes[f] for f in changed},
        summary="demographics updated",
    )
    return patient


def _history_record(actor: User, patient: Patient, record: Any, summary: str, after: dict) -> Any:
    require_permission(actor, Permission.RECORD_CLINICAL_HISTORY)
    if patient.clinic_id != actor.clinic_id:
        raise InvalidClinicalInput("wrong_clinic", "This patient belongs to another clinic.")
    record.patient = patient
    record.clinic_id = patient.clinic_id
    record.created_at = timezone.now()
    record.created_by = actor
    save_validated(record)
    record_write(
        actor=actor,
        action=AuditAction.CREATE,
        target=record,
        patient_id=patient.pk,
        after=after,
        summary=summary,
    )
    return record


@transaction.atomic
def record_weight(
    *, actor: User, patient: Patient, weight_kg: Decimal, measured_at: datetime
) -> WeightMeasurement:
    require_plausible("weight_kg", weight_kg)
    require_reading_time(patient, measured_at, "measured_at", future_code="date_in_future")
    return _history_record(
        actor,
        patient,
        WeightMeasurement(weight_kg=weight_kg, measured_at=measured_at),
        "weight recorded",
        {"weight_kg": weight_kg, "measured_at": measured_at},
    )


@transaction.atomic
def record_height(
    *, actor: User, patient: Patient, height_cm: Decimal, measured_at: datetime
) -> HeightMeasurement:
    require_plausible("height_cm", height_cm)
    require_reading_time(patient, measured_at, "measured_at", future_code="date_in_future")
    return _history_record(
        actor,
        patient,
        HeightMeasurement(height_cm=height_cm, measured_at=measured_at),
        "height recorded",
        {"height_cm": height_cm, "measured_at": measured_at},
    )


# ICD-10-CM major depressive disorder codes: F32.x single episode, F33.x recurrent
# (clinical-reference §6.4, S54/S54b).
_DEPRESSION_CODE_PREFIXES = ("F32", "F33")


@transaction.atomic
def record_diagnosis(
    *,
    actor: User,
    patient: Patient,
    icd10_code: str,
    description: str,
    onset_date: date | None = None,
) -> Diagnosis:
    code = icd10_code.strip().upper()
    if not code.startswith(_DEPRESSION_CODE_PREFIXES) or len(code) > 7:
        raise InvalidClinicalInput(
            "diagnosis_code_not_supported",
            "Record depressive-disorder diagnoses as ICD-10-CM F32.x or F33.x codes.",
            {"icd10_code": icd10_code},
        )
    return _history_record(
        actor,
        patient,
        Diagnosis(icd10_code=code, description=description, onset_date=onset_date),
        "diagnosis recorded",
        {"icd10_code": code, "description": description},
    )


@transaction.atomic
def record_medication(
    *,
    actor: User,
    patient: Patient,
    name: str,
    drug_class: str,
    dose_text: str = "",
    started_on: date | None = None,
    stopped_on: date | None = None,
) -> Medication:
    return _history_record(
        actor,
        patient,
        Medication(
            name=name,
            drug_class=drug_class,
            dose_text=dose_text,
            started_on=started_on,
            stopped_on=stopped_on,
        ),
        "medication recorded",
        {"name": name, "drug_class": drug_class},
    )


@transaction.atomic
def record_medication_trial(
    *,
    actor: User,
    patient: Patient,
    drug: str,
    dose_mg_per_day: Decimal,
    weeks: int,
    adherence: str,
    adequate: bool,
    outcome: str,
    augmentation: bool = False,
    in_current_episode: bool = True,
    notes: str = "",
) -> MedicationTrial:
    if dose_mg_per_day <= 0:
        raise InvalidClinicalInput("dose_not_positive", "The daily dose must be above 0 mg.")
    return _history_record(
        actor,
        patient,
        MedicationTrial(
            drug=drug,
            dose_mg_per_day=dose_mg_per_day,
            weeks=weeks,
            adherence=adherence,
            adequate=adequate,
            outcome=outcome,
            augmentation=augmentation,
            in_current_episode=in_current_episode,
            notes=notes,
        ),
        "antidepressant trial recorded",
        {"drug": drug, "weeks": weeks, "adequate": adequate, "outcome": outcome},
    )
