from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ketacare.access import NotFound
from ketacare.accounts.permissions import PermissionDenied
from ketacare.audit.models import AuditEntry, ImmutableRecordError
from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.patients.models import MedicationTrial, Patient, WeightMeasurement
from ketacare.patients.selectors import access_patient, latest_weight, list_patients
from ketacare.patients.services import (
    record_demographics,
    record_diagnosis,
    record_medication_trial,
    record_weight,
    register_patient,
)


def test_registration_assigns_a_clinic_mrn_and_audits_the_creation(frontdesk):
    patient = register_patient(
        actor=frontdesk,
        given_name="Rowan",
        family_name="Ito",
        date_of_birth=date(1990, 1, 2),
        sex="male",
    )
    assert patient.mrn == f"KC{frontdesk.clinic_id:02d}-000001"
    entry = AuditEntry.objects.get(action="create", target_type="patients.Patient")
    assert entry.actor_id == frontdesk.pk
    assert entry.patient_id_snapshot == patient.pk


def test_birth_date_in_the_future_is_refused_and_nothing_is_recorded(frontdesk, unchanged):
    check = unchanged(Patient)
    with pytest.raises(InvalidClinicalInput) as err:
        register_patient(
            actor=frontdesk,
            given_name="A",
            family_name="B",
            date_of_birth=timezone.localdate() + timedelta(days=1),
            sex="female",
        )
    assert err.value.code == "date_in_future"
    check()


def test_therapist_cannot_register_patients(therapist, unchanged):
    check = unchanged(Patient)
    with pytest.raises(PermissionDenied):
        register_patient(
            actor=therapist,
            given_name="A",
            family_name="B",
            date_of_birth=date(1990, 1, 1),
            sex="female",
        )
    check()


def test_other_clinic_clinician_gets_not_found_for_patient(outsider, patient):
    with pytest.raises(NotFound):
        access_patient(outsider, patient.pk)


def test_absent_and_foreign_patients_get_the_same_answer(outsider, patient):
    with pytest.raises(NotFound) as foreign:
        access_patient(outsider, patient.pk)
    with pytest.raises(NotFound) as absent:
        access_patient(outsider, 999_999)
    assert str(foreign.value) == str(absent.value)


def test_reading_a_chart_leaves_a_read_entry(nurse, patient):
    access_patient(nurse, patient.pk)
    entry = AuditEntry.objects.filter(action="read").latest("id")
    assert (entry.actor_id, entry.patient_id_snapshot) == (nurse.pk, patient.pk)


def test_listing_patients_is_audited_once_not_per_row(nurse, patient):
    before = AuditEntry.objects.filter(action="read").count()
    page, total = list_patients(nurse)
    assert total == 1
    assert page == [patient]
    assert AuditEntry.objects.filter(action="read").count() == before + 1


def test_demographic_change_keeps_before_and_after(frontdesk, patient):
    record_demographics(actor=frontdesk, patient=patient, changes={"family_name": "Alvarez-Ruiz"})
    entry = AuditEntry.objects.filter(action="update").latest("id")
    assert entry.changes["before"] == {"family_name": "Alvarez"}
    assert entry.changes["after"] == {"family_name": "Alvarez-Ruiz"}


def test_unknown_demographic_field_is_refused(frontdesk, patient, unchanged):
    check = unchanged(Patient)
    with pytest.raises(InvalidClinicalInput):
        record_demographics(actor=frontdesk, patient=patient, changes={"mrn": "X"})
    check()
    patient.refresh_from_db()
    assert patient.mrn.startswith("KC")


def test_latest_weight_is_the_most_recent_measurement(nurse, patient):
    now = timezone.now()
    record_weight(
        actor=nurse,
        patient=patient,
        weight_kg=Decimal("80.0"),
        measured_at=now - timedelta(days=60),
    )
    record_weight(
        actor=nurse, patient=patient, weight_kg=Decimal("78.5"), measured_at=now - timedelta(days=2)
    )
    assert latest_weight(patient).weight_kg == Decimal("78.5")


@pytest.mark.parametrize(
    ("weight_kg", "accepted"),
    # Input sanity: the lightest and heaviest adults on record, 2.1-635 kg
    # (ketacare.clinical.plausibility; not a clinical threshold).
    [("2.0", False), ("2.1", True), ("635.0", True), ("635.1", False)],
)
def test_implausible_weight_is_refused(nurse, patient, weight_kg, accepted, unchanged):
    check = unchanged(WeightMeasurement)
    if accepted:
        record_weight(
            actor=nurse, patient=patient, weight_kg=Decimal(weight_kg), measured_at=timezone.now()
        )
        assert WeightMeasurement.objects.count() == 1
    else:
        with pytest.raises(InvalidClinicalInput):
            record_weight(
                actor=nurse,
                patient=patient,
                weight_kg=Decimal(weight_kg),
                measured_at=timezone.now(),
            )
        check()


def test_non_depression_diagnosis_code_is_refused(prescriber, patient):
    with pytest.raises(InvalidClinicalInput) as err:
        record_diagnosis(
            actor=prescriber, patient=patient, icd10_code="I10", description="Hypertension"
        )
    assert err.value.code == "diagnosis_code_not_supported"


def test_medication_trial_is_recorded_for_the_current_episode(prescriber, patient):
    trial = record_medication_trial(
        actor=prescriber,
        patient=patient,
        drug="sertraline",
        dose_mg_per_day=Decimal("150"),
        weeks=8,
        adherence="good",
        adequate=True,
        outcome="no_response",
    )
    assert trial.in_current_episode
    assert MedicationTrial.objects.filter(patient=patient).count() == 1


def test_clinical_records_cannot_be_saved_or_deleted_outside_a_service(patient):
    patient.given_name = "Changed"
    with pytest.raises(ImmutableRecordError):
        patient.save()
    with pytest.raises(ImmutableRecordError):
        patient.delete()
    with pytest.raises(ImmutableRecordError):
        Patient.objects.filter(pk=patient.pk).update(given_name="Changed")
