"""Session readings and doses: not before the patient's registration, not beyond the
clinic's clock skew in the future, numbers in ASCII digits, the field named (issue 15.4)."""

from datetime import timedelta

from django.test import override_settings
from django.utils import timezone

from ketacare.treatment.models import DoseAdministration, VitalsReading

VITALS = {
    "systolic_mmhg": 120,
    "diastolic_mmhg": 75,
    "heart_rate_bpm": 70,
    "spo2_percent": 98,
    "respiratory_rate_per_min": 14,
}


def _post_vitals(api, nurse, session, **changes):
    body = {**VITALS, "taken_at": timezone.now().isoformat(), **changes}
    return api(nurse).post(f"/sessions/{session.pk}/vitals", body)


def test_vitals_taken_in_1900_are_refused_with_the_field_named(
    api, nurse, esketamine_course, unchanged
):
    from ketacare.treatment.services import check_in

    session = check_in(actor=nurse, session=esketamine_course.sessions[0])
    check = unchanged(VitalsReading)
    response = _post_vitals(api, nurse, session, taken_at="1900-01-01T10:00:00+00:00")
    assert response.status_code == 422
    assert response.json()["code"] == "time_before_registration"
    assert response.json()["details"]["field"] == "taken_at"
    check()


def test_vitals_from_a_device_clock_two_minutes_ahead_are_accepted(api, nurse, esketamine_course):
    from ketacare.treatment.services import check_in

    session = check_in(actor=nurse, session=esketamine_course.sessions[0])
    ahead = (timezone.now() + timedelta(minutes=2)).isoformat()
    assert _post_vitals(api, nurse, session, taken_at=ahead).status_code == 201


@override_settings(CLOCK_SKEW_SECONDS=0)
def test_with_no_clock_skew_allowed_a_reading_ahead_of_the_server_is_refused(
    api, nurse, esketamine_course
):
    from ketacare.treatment.services import check_in

    session = check_in(actor=nurse, session=esketamine_course.sessions[0])
    ahead = (timezone.now() + timedelta(seconds=30)).isoformat()
    response = _post_vitals(api, nurse, session, taken_at=ahead)
    assert response.status_code == 422
    assert response.json()["code"] == "time_in_future"


def test_a_reading_well_in_the_future_is_refused(api, nurse, esketamine_course, unchanged):
    from ketacare.treatment.services import check_in

    session = check_in(actor=nurse, session=esketamine_course.sessions[0])
    check = unchanged(VitalsReading)
    ahead = (timezone.now() + timedelta(minutes=6)).isoformat()
    response = _post_vitals(api, nurse, session, taken_at=ahead)
    assert response.status_code == 422
    assert response.json()["details"]["field"] == "taken_at"
    check()


def test_a_heart_rate_written_with_an_underscore_is_refused(api, nurse, esketamine_course):
    from ketacare.treatment.services import check_in

    session = check_in(actor=nurse, session=esketamine_course.sessions[0])
    response = _post_vitals(api, nurse, session, heart_rate_bpm="7_0")
    assert response.status_code == 422
    assert response.json()["details"]["errors"][0]["loc"][-1] == "heart_rate_bpm"


def test_the_vitals_page_refuses_eastern_arabic_digits(client, nurse, esketamine_course, unchanged):
    from ketacare.treatment.services import check_in

    session = check_in(actor=nurse, session=esketamine_course.sessions[0])
    client.force_login(nurse)
    check = unchanged(VitalsReading)
    form = {k: str(v) for k, v in VITALS.items()} | {"systolic_mmhg": "١٢٠"}
    response = client.post(f"/sessions/{session.pk}/vitals/", form)
    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="vitals-systolic_mmhg_error"' in body
    assert "Write the number with the digits 0-9" in body
    check()


def test_a_dose_dated_before_the_patient_was_registered_is_refused(
    api, prescriber, esketamine_course, cleared, unchanged
):
    session = cleared(esketamine_course.sessions[0])
    check = unchanged(DoseAdministration)
    response = api(prescriber).post(
        f"/sessions/{session.pk}/dose",
        {
            "dose_mg": "56",
            "device_times": ["1900-01-01T10:00:00+00:00", "1900-01-01T10:05:00+00:00"],
            "lot_number": "LOT-1",
            "pulse_oximeter_available": True,
        },
    )
    assert response.status_code == 422
    assert response.json()["code"] == "time_before_registration"
    assert response.json()["details"]["field"] == "started_at"
    check()
