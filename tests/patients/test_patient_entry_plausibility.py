"""Implausible dates and numbers entering the patient record through the API and the pages
are refused with the field named, and nothing is stored (issue 15.4)."""

from datetime import timedelta

from django.utils import timezone

from ketacare.patients.models import Patient, WeightMeasurement

NEW_PATIENT = {"given_name": "Rowan", "family_name": "Ito", "sex": "male"}


def test_a_birth_date_in_year_one_is_refused_with_the_field_named(api, frontdesk, unchanged):
    check = unchanged(Patient)
    response = api(frontdesk).post("/patients", {**NEW_PATIENT, "date_of_birth": "0001-01-01"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "date_of_birth_implausible"
    assert body["details"]["field"] == "date_of_birth"
    check()


def test_a_birth_date_on_1900_01_01_is_accepted(api, frontdesk):
    response = api(frontdesk).post("/patients", {**NEW_PATIENT, "date_of_birth": "1900-01-01"})
    assert response.status_code == 201, response.content


def test_a_weight_written_in_eastern_arabic_digits_is_refused_not_read_as_80(
    api, nurse, patient, unchanged
):
    check = unchanged(WeightMeasurement)
    response = api(nurse).post(
        f"/patients/{patient.pk}/weights",
        {"weight_kg": "٨٠", "measured_at": timezone.now().isoformat()},
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_input"
    assert body["details"]["errors"][0]["loc"][-1] == "weight_kg"
    assert body["message"].startswith("weight_kg:")
    check()


def test_a_weight_measured_before_the_patient_was_registered_is_refused(
    api, nurse, patient, unchanged
):
    check = unchanged(WeightMeasurement)
    response = api(nurse).post(
        f"/patients/{patient.pk}/weights",
        {"weight_kg": "80.0", "measured_at": "1900-01-01T08:00:00+00:00"},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "time_before_registration"
    assert response.json()["details"]["field"] == "measured_at"
    check()


def test_a_weight_a_minute_ahead_of_the_server_clock_is_accepted(api, nurse, patient):
    ahead = (timezone.now() + timedelta(minutes=1)).isoformat()
    response = api(nurse).post(
        f"/patients/{patient.pk}/weights", {"weight_kg": "80.0", "measured_at": ahead}
    )
    assert response.status_code == 201, response.content


def test_the_registration_page_refuses_a_birth_date_before_1900(client, frontdesk, unchanged):
    check = unchanged(Patient)
    client.force_login(frontdesk)
    response = client.post("/patients/new/", {**NEW_PATIENT, "date_of_birth": "1899-12-31"})
    assert "A date of birth before 1900-01-01 is not plausible." in response.content.decode()
    check()


def test_the_registration_page_refuses_a_birth_date_in_other_digits(client, frontdesk, unchanged):
    check = unchanged(Patient)
    client.force_login(frontdesk)
    response = client.post("/patients/new/", {**NEW_PATIENT, "date_of_birth": "١٩٨٠-٠٥-١٧"})
    assert "Write the date and time with the digits 0-9." in response.content.decode()
    check()
