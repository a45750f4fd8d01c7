from dataclasses import fields, replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from session_builders import DOSE_AT

from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.session.rems import (
    BloodPressure,
    ConcomitantMedicationCategory,
    RemsDoseCategory,
    RemsFormData,
    build_rems_monitoring_form,
    rems_form_due_at,
    rems_form_overdue,
)

COMPLETED_AT = DOSE_AT + timedelta(minutes=135)


def complete_answers(**overrides) -> RemsFormData:
    values = {
        "patient_first_name": "Alex",
        "patient_last_name": "Example",
        "patient_birthdate": date(1980, 1, 2),
        "patient_sex": "female",
        "first_treatment": False,
        "concomitant_medications": frozenset({ConcomitantMedicationCategory.BENZODIAZEPINES}),
        "monitoring_provider_name": "RN Test",
        "monitoring_provider_phone": "555-0100",
        "monitoring_provider_email": "rn@example.org",
        "setting_name": "Test Clinic",
        "setting_address": "1 Test Street",
        "treatment_date": DOSE_AT.date(),
        "dose_mg": Decimal("56"),
        "lot_number": "LOT123",
        "first_device_at": DOSE_AT,
        "monitoring_completed_at": COMPLETED_AT,
        "ready_to_leave_without_minimum_min": 75,
        "vitals_acceptable_before_administration": True,
        "vitals_acceptable_before_completion": True,
        "bp_before_administration": BloodPressure(128, 82),
        "bp_40_min_after_administration": BloodPressure(146, 90),
        "bp_before_completion": BloodPressure(130, 84),
        "sedation": True,
        "dissociation": True,
    }
    values.update(overrides)
    return RemsFormData(**values)


def test_a_complete_form_computes_duration_from_first_device_to_completion():
    form = build_rems_monitoring_form(complete_answers())
    assert form.treatment_duration_min == 135  # 10:00 -> 12:15
    assert form.dose_category is RemsDoseCategory.MG_56
    assert form.bp_40_min_after_administration == BloodPressure(146, 90)
    assert form.respiratory_depression is None


@pytest.mark.parametrize(
    ("dose_mg", "category"),
    [
        (Decimal("56"), RemsDoseCategory.MG_56),
        (Decimal("84.0"), RemsDoseCategory.MG_84),
        (Decimal("28"), RemsDoseCategory.OTHER),
    ],
)
def test_dose_is_recorded_as_56_84_or_other(dose_mg, category):
    form = build_rems_monitoring_form(complete_answers(dose_mg=dose_mg))
    assert form.dose_category is category
    assert form.dose_mg == dose_mg


REQUIRED = [
    f.name
    for f in fields(RemsFormData)
    if f.name not in {"patient_middle_initial", "patient_enrolled", "respiratory_depression"}
]


@pytest.mark.parametrize("field", REQUIRED)
def test_each_required_field_left_blank_is_named(field):
    with pytest.raises(InvalidClinicalInput) as error:
        build_rems_monitoring_form(replace(complete_answers(), **{field: None}))
    assert error.value.code == "rems_form_incomplete"
    assert error.value.details["missing"] == [field]


def test_blank_text_counts_as_missing_and_all_gaps_are_listed_at_once():
    answers = complete_answers(lot_number="  ", setting_name="")
    with pytest.raises(InvalidClinicalInput) as error:
        build_rems_monitoring_form(answers)
    assert error.value.details["missing"] == ["setting_name", "lot_number"]


def test_first_treatment_requires_the_enrolment_answer():
    with pytest.raises(InvalidClinicalInput) as error:
        build_rems_monitoring_form(complete_answers(first_treatment=True))
    assert error.value.details["missing"] == ["patient_enrolled"]
    form = build_rems_monitoring_form(complete_answers(first_treatment=True, patient_enrolled=True))
    assert form.patient_enrolled is True


def test_no_concomitant_medications_is_an_empty_answer_not_a_missing_one():
    form = build_rems_monitoring_form(complete_answers(concomitant_medications=frozenset()))
    assert form.concomitant_medications == frozenset()


def test_completion_before_the_first_device_is_refused():
    with pytest.raises(InvalidClinicalInput) as error:
        build_rems_monitoring_form(complete_answers(monitoring_completed_at=DOSE_AT))
    assert error.value.code == "rems_form_invalid"


def test_implausible_blood_pressure_on_the_form_is_refused():
    with pytest.raises(InvalidClinicalInput):
        BloodPressure(80, 120)


# S6b: submit within 7 days; exactly 7 days is on time, one second later is overdue.
@pytest.mark.parametrize(
    ("after", "overdue"),
    [
        (timedelta(days=6, hours=23, minutes=59), False),
        (timedelta(days=7), False),
        (timedelta(days=7, seconds=1), True),
    ],
)
def test_unsubmitted_form_becomes_overdue_after_7_days(after, overdue):
    assert rems_form_overdue(COMPLETED_AT, None, COMPLETED_AT + after) is overdue


@pytest.mark.parametrize(
    ("submitted_after", "late"),
    [(timedelta(days=7), False), (timedelta(days=7, seconds=1), True)],
)
def test_a_form_submitted_after_the_deadline_is_reported_late(submitted_after, late):
    submitted = COMPLETED_AT + submitted_after
    assert rems_form_overdue(COMPLETED_AT, submitted, submitted + timedelta(days=1)) is late


def test_the_deadline_is_seven_days_after_the_session():
    assert rems_form_due_at(COMPLETED_AT) == COMPLETED_AT + timedelta(days=7)


def test_a_submission_time_in_the_future_is_refused():
    with pytest.raises(InvalidClinicalInput):
        rems_form_overdue(COMPLETED_AT, COMPLETED_AT + timedelta(days=2), COMPLETED_AT)
