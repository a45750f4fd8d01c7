"""The run sheet at the chair: the next step at the top, the number pad for vitals, one tap to
repeat the last reading and an undo for a mistyped one that the server refuses after a
minute. The pages call the same services as the API (tests/treatment/test_vitals_corrections
has the rules); these check what the nurse sees and that each tap is one audited write."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from ketacare.treatment.models import VitalsCorrection, VitalsReading
from ketacare.treatment.services import record_vitals

NORMAL = {
    "systolic_mmhg": 124,
    "diastolic_mmhg": 78,
    "heart_rate_bpm": 72,
    "spo2_percent": 98,
    "respiratory_rate_per_min": 14,
}


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def sheet(esketamine_course, checked_in, client, nurse):
    session = checked_in(esketamine_course.sessions[0])
    client.force_login(nurse)
    return session


def test_next_step_leads_the_run_sheet_before_any_form(esketamine_course, client, nurse):
    session = esketamine_course.sessions[0]
    client.force_login(nurse)
    body = _text(client.get(f"/sessions/{session.pk}/"))
    assert body.index('id="next-step"') < body.index('id="step-check-in"')
    assert "Next:</span> Check the patient in" in body
    assert 'href="#step-check-in"' in body


def test_vitals_inputs_bring_up_the_number_pad(sheet, client):
    body = client.get(f"/sessions/{sheet.pk}/").content.decode()
    for name in ("systolic_mmhg", "diastolic_mmhg", "heart_rate_bpm", "spo2_percent"):
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', body).group(0)
        assert 'inputmode="numeric"' in tag
        assert 'pattern="[0-9]*"' in tag


def test_one_tap_repeat_records_the_last_values_as_a_new_reading_now(sheet, client, clock):
    clock.shift(timedelta(minutes=10))
    body = _text(client.get(f"/sessions/{sheet.pk}/"))
    assert "Repeat last reading" in body
    assert "124/78, HR 72, SpO2 98%, RR 14" in body
    response = client.post(f"/sessions/{sheet.pk}/vitals/repeat/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    readings = list(VitalsReading.objects.filter(session=sheet).order_by("id"))
    assert len(readings) == 2
    assert readings[1].taken_at == timezone.now()
    assert readings[1].systolic_mmhg == 124


def test_undo_is_offered_for_a_minute_and_puts_the_values_back_in_the_form(
    sheet, client, nurse, clock
):
    clock.shift(timedelta(minutes=5))
    mistyped = record_vitals(
        actor=nurse, session=sheet, taken_at=timezone.now(), **{**NORMAL, "systolic_mmhg": 214}
    ).reading
    clock.shift(timedelta(seconds=20))
    body = _text(client.get(f"/sessions/{sheet.pk}/"))
    assert f'action="/sessions/{sheet.pk}/vitals/{mistyped.pk}/undo/"' in body

    response = client.post(
        f"/sessions/{sheet.pk}/vitals/{mistyped.pk}/undo/", HTTP_HX_REQUEST="true"
    )
    body = _text(response)
    assert VitalsCorrection.objects.filter(reading=mistyped).exists()
    assert "was taken back" in body
    assert re.search(
        r'name="systolic_mmhg"[^>]*value="214"|value="214"[^>]*name="systolic_mmhg"', body
    )
    assert "Taken back as mistyped" in body
    assert "<del>" in body


def test_undo_after_the_minute_is_refused_with_the_reason_and_nothing_changes(
    sheet, client, nurse, clock, unchanged
):
    mistyped = record_vitals(
        actor=nurse, session=sheet, taken_at=timezone.now(), **{**NORMAL, "systolic_mmhg": 214}
    ).reading
    clock.shift(timedelta(seconds=61))
    assert "undo-last-reading" not in client.get(f"/sessions/{sheet.pk}/").content.decode()
    check = unchanged(VitalsCorrection, VitalsReading)
    response = client.post(f"/sessions/{sheet.pk}/vitals/{mistyped.pk}/undo/")
    assert response.status_code == 422
    body = _text(response)
    assert 'data-code="undo_window_passed"' in body
    assert "within a minute" in body
    check()


def test_undo_is_not_offered_for_a_colleagues_reading(sheet, client, prescriber):
    record_vitals(actor=prescriber, session=sheet, taken_at=timezone.now(), **NORMAL)
    assert "undo-last-reading" not in client.get(f"/sessions/{sheet.pk}/").content.decode()


def test_another_clinics_clinician_cannot_repeat_or_undo(sheet, client, outsider, unchanged):
    client.force_login(outsider)
    check = unchanged(VitalsReading, VitalsCorrection)
    reading = VitalsReading.objects.filter(session=sheet).first()
    assert client.post(f"/sessions/{sheet.pk}/vitals/repeat/").status_code == 404
    assert client.post(f"/sessions/{sheet.pk}/vitals/{reading.pk}/undo/").status_code == 404
    check()
