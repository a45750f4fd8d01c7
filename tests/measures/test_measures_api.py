"""Assessments, safety alerts and acknowledgement through /api/v1 (issue 4, items 1, 3, 8)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ketacare.audit.models import AuditEntry
from ketacare.measures.models import Assessment, SafetyAlert


def _body(items, **extra):
    taken = (timezone.now() - timedelta(minutes=5)).isoformat()
    return {
        "instrument": "phq9",
        "items": items,
        "context": "follow_up",
        "taken_at": taken,
        **extra,
    }


def test_assessment_stores_every_answer_and_the_core_computed_total(api, nurse, patient, phq9):
    items = phq9(12)
    response = api(nurse).post(f"/patients/{patient.pk}/assessments", _body(items))
    assert response.status_code == 201, response.content
    body = response.json()
    # 3 + 3 + 3 + 3 + 0 x 5 = 12 -> Kroenke band "moderate" (10-14)
    assert body["assessment"]["total"] == 12
    assert body["assessment"]["severity"] == "moderate"
    assert body["assessment"]["items"] == items
    assert body["assessment"]["channel"] == "clinician"
    assert body["assessment"]["submitted_by_id"] == nurse.pk
    assert body["alerts"] == []
    assert body["crisis_text"] is None
    row = Assessment.objects.get()
    assert row.instrument_version == "PHQ-9 (Kroenke 2001)"


def test_a_client_supplied_total_is_refused_and_nothing_is_stored(
    api, nurse, patient, phq9, unchanged
):
    check = unchanged(Assessment, SafetyAlert)
    response = api(nurse).post(f"/patients/{patient.pk}/assessments", _body(phq9(12), total=3))
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
    check()


def test_item_9_response_creates_an_alert_in_the_same_request_with_the_crisis_text(
    api, nurse, patient, phq9
):
    response = api(nurse).post(f"/patients/{patient.pk}/assessments", _body(phq9(3, item9=1)))
    assert response.status_code == 201
    body = response.json()
    assert [a["code"] for a in body["alerts"]] == ["phq9_item9_positive"]
    assert body["alerts"][0]["status"] == "open"
    assert body["crisis_text"] == patient.clinic.crisis_text
    alert = SafetyAlert.objects.get()
    assert alert.assessment_id == body["assessment"]["id"]
    assert AuditEntry.objects.filter(
        action="create", target_type="measures.SafetyAlert", target_id=str(alert.pk)
    ).exists()
    listed = api(nurse).get("/alerts").json()
    assert [a["id"] for a in listed] == [alert.pk]


@pytest.mark.parametrize(
    ("instrument", "items", "code"),
    [
        # QIDS-SR16 item 12 (suicidal ideation) = 1
        ("qids_sr16", [0] * 11 + [1] + [0] * 4, "qids_item12_positive"),
        # C-SSRS screener Q1 yes only: low risk, a positive screen
        ("cssrs_screener", [1, 0, None, None, None, 0], "cssrs_positive_screen"),
        # C-SSRS Q2 yes, Q4 yes (intent): Columbia high risk
        ("cssrs_screener", [1, 1, 0, 1, 0, 0], "cssrs_high_risk"),
    ],
)
def test_other_safety_items_open_their_alert(api, nurse, patient, instrument, items, code):
    response = api(nurse).post(
        f"/patients/{patient.pk}/assessments", _body(items, instrument=instrument)
    )
    assert response.status_code == 201, response.content
    assert [a["code"] for a in response.json()["alerts"]] == [code]


def test_cssrs_none_raises_no_alert(api, nurse, patient):
    items = [0, 0, None, None, None, 0]
    response = api(nurse).post(
        f"/patients/{patient.pk}/assessments", _body(items, instrument="cssrs_screener")
    )
    assert response.json()["alerts"] == []


def test_sharp_worsening_against_the_previous_score_opens_an_alert(
    api, nurse, patient, phq9, score_phq9
):
    score_phq9(10, timezone.now() - timedelta(days=7))
    # 10 -> 13 is +30% and +3 points: at or beyond 20% and 2 points (Kounali 2020)
    response = api(nurse).post(f"/patients/{patient.pk}/assessments", _body(phq9(13)))
    alerts = response.json()["alerts"]
    assert [a["code"] for a in alerts] == ["sharp_worsening"]
    assert alerts[0]["compared_with_id"] == Assessment.objects.order_by("taken_at").first().pk


def test_wrong_item_count_names_the_count_and_writes_nothing(api, nurse, patient, unchanged):
    check = unchanged(Assessment, SafetyAlert)
    response = api(nurse).post(f"/patients/{patient.pk}/assessments", _body([0] * 10))
    assert response.status_code == 422
    assert response.json()["code"] == "wrong_item_count"
    check()


def test_out_of_range_answer_names_the_item_and_writes_nothing(api, nurse, patient, unchanged):
    check = unchanged(Assessment, SafetyAlert)
    response = api(nurse).post(f"/patients/{patient.pk}/assessments", _body([0] * 8 + [7]))
    assert response.status_code == 422
    assert "item 9" in response.json()["message"]
    check()


def test_future_dated_assessment_is_refused(api, nurse, patient, phq9, unchanged):
    check = unchanged(Assessment)
    future = (timezone.now() + timedelta(hours=2)).isoformat()
    response = api(nurse).post(
        f"/patients/{patient.pk}/assessments", _body(phq9(5), taken_at=future)
    )
    assert response.status_code == 422
    assert response.json()["code"] == "date_in_future"
    check()


def test_front_desk_cannot_record_assessments(api, frontdesk, patient, phq9):
    response = api(frontdesk).post(f"/patients/{patient.pk}/assessments", _body(phq9(5)))
    assert response.status_code == 403


def test_other_clinic_clinician_gets_not_found_for_assessments_and_alerts(
    api, outsider, nurse, patient, phq9, score_phq9, unchanged
):
    score_phq9(2, timezone.now() - timedelta(days=1), item9=1)
    alert = SafetyAlert.objects.get()
    client = api(outsider)
    check = unchanged(Assessment, SafetyAlert)
    assert client.post(f"/patients/{patient.pk}/assessments", _body(phq9(5))).status_code == 404
    assert client.get(f"/patients/{patient.pk}/assessments").status_code == 404
    assert client.get(f"/patients/{patient.pk}/outcomes").status_code == 404
    assert client.get(f"/patients/{patient.pk}/maintenance").status_code == 404
    ack = client.post(f"/alerts/{alert.pk}/acknowledge", {"note": "seen"})
    assert ack.status_code == 404
    assert client.get("/alerts").json() == []
    check()


def test_acknowledgement_requires_a_note_and_writes_nothing_without_one(
    api, therapist, patient, score_phq9, unchanged
):
    score_phq9(2, timezone.now() - timedelta(hours=1), item9=1)
    alert = SafetyAlert.objects.get()
    check = unchanged(SafetyAlert)
    for note in ("", "   "):
        response = api(therapist).post(f"/alerts/{alert.pk}/acknowledge", {"note": note})
        assert response.status_code == 422
    check()
    alert.refresh_from_db()
    assert alert.status == "open"


def test_acknowledgement_with_a_note_closes_the_alert_and_is_audited(
    api, therapist, patient, score_phq9
):
    score_phq9(2, timezone.now() - timedelta(hours=1), item9=1)
    alert = SafetyAlert.objects.get()
    note = "Phoned patient; C-SSRS screen negative; safety plan reviewed."
    response = api(therapist).post(f"/alerts/{alert.pk}/acknowledge", {"note": note})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "acknowledged"
    assert body["acknowledged_by_id"] == therapist.pk
    assert body["acknowledgement_note"] == note
    entry = AuditEntry.objects.get(
        action="update", target_type="measures.SafetyAlert", target_id=str(alert.pk)
    )
    assert entry.reason == note
    assert entry.actor_id == therapist.pk
    assert api(therapist).get("/alerts").json() == []
    again = api(therapist).post(f"/alerts/{alert.pk}/acknowledge", {"note": "again"})
    assert again.status_code == 422
    assert again.json()["code"] == "alert_already_acknowledged"


def test_assessment_list_returns_every_answer_oldest_first(api, prescriber, patient, score_phq9):
    now = timezone.now()
    score_phq9(15, now - timedelta(days=14), "baseline")
    score_phq9(9, now - timedelta(days=7))
    rows = api(prescriber).get(f"/patients/{patient.pk}/assessments").json()
    assert [r["total"] for r in rows] == [15, 9]
    assert len(rows[0]["items"]) == 9
