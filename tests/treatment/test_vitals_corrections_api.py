"""The API's one-tap vitals actions: POST /sessions/{id}/vitals/repeat and
/sessions/{id}/vitals/{reading_id}/supersede call the same services as the run sheet and
answer the API's error shape (422 with the code; 404 for another clinic)."""

from datetime import timedelta

from django.utils import timezone

from ketacare.treatment.models import VitalsCorrection, VitalsReading

VITALS = {
    "systolic_mmhg": 214,
    "diastolic_mmhg": 78,
    "heart_rate_bpm": 72,
    "spo2_percent": 98,
    "respiratory_rate_per_min": 14,
}


def test_nurse_takes_back_a_mistyped_reading_over_the_api_within_the_minute(
    esketamine_course, checked_in, api, nurse, clock
):
    session = checked_in(esketamine_course.sessions[0])
    client = api(nurse)
    made = client.post(
        f"/sessions/{session.pk}/vitals", {**VITALS, "taken_at": timezone.now().isoformat()}
    )
    assert made.status_code == 201
    reading_id = made.json()["id"]
    clock.shift(timedelta(seconds=30))
    taken_back = client.post(f"/sessions/{session.pk}/vitals/{reading_id}/supersede", {})
    assert taken_back.status_code == 201
    assert taken_back.json()["reading_id"] == reading_id
    assert VitalsCorrection.objects.filter(reading_id=reading_id).exists()


def test_supersede_after_the_minute_answers_422_with_the_code_and_writes_nothing(
    esketamine_course, checked_in, api, nurse, clock, unchanged
):
    session = checked_in(esketamine_course.sessions[0])
    reading = VitalsReading.objects.filter(session=session).get()
    clock.shift(timedelta(seconds=61))
    check = unchanged(VitalsCorrection)
    response = api(nurse).post(f"/sessions/{session.pk}/vitals/{reading.pk}/supersede", {})
    assert response.status_code == 422
    assert response.json()["code"] == "undo_window_passed"
    check()


def test_repeat_over_the_api_records_the_last_values_now(
    esketamine_course, checked_in, api, nurse, clock
):
    session = checked_in(esketamine_course.sessions[0])
    clock.shift(timedelta(minutes=10))
    response = api(nurse).post(f"/sessions/{session.pk}/vitals/repeat", {})
    assert response.status_code == 201
    body = response.json()
    assert body["systolic_mmhg"] == 124
    assert VitalsReading.objects.filter(session=session).count() == 2


def test_another_clinic_gets_not_found_for_repeat_and_supersede(
    esketamine_course, checked_in, api, outsider, unchanged
):
    session = checked_in(esketamine_course.sessions[0])
    reading = VitalsReading.objects.filter(session=session).get()
    check = unchanged(VitalsReading, VitalsCorrection)
    client = api(outsider)
    assert client.post(f"/sessions/{session.pk}/vitals/repeat", {}).status_code == 404
    supersede = f"/sessions/{session.pk}/vitals/{reading.pk}/supersede"
    assert client.post(supersede, {}).status_code == 404
    check()
