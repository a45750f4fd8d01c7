"""The safety-alert dashboard page: open alerts listed, acknowledged with a note."""

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from ketacare.measures.models import SafetyAlert


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_open_item9_alert_is_listed_on_the_dashboard(nurse, score_phq9):
    score_phq9(2, timezone.now() - timedelta(hours=1), item9=1)
    page = _client(nurse).get("/alerts/")
    assert page.status_code == 200
    assert b"phq9_item9_positive" in page.content


def test_acknowledging_without_a_note_shows_the_error_code_and_keeps_it_open(
    nurse, score_phq9, unchanged
):
    score_phq9(2, timezone.now() - timedelta(hours=1), item9=1)
    alert = SafetyAlert.objects.get()
    check = unchanged(SafetyAlert)
    page = _client(nurse).post(f"/alerts/{alert.pk}/acknowledge/", {"note": " "})
    assert page.status_code == 422
    assert b"acknowledgement_note_required" in page.content
    check()


def test_acknowledging_with_a_note_removes_it_from_the_list(therapist, score_phq9):
    score_phq9(2, timezone.now() - timedelta(hours=1), item9=1)
    alert = SafetyAlert.objects.get()
    client = _client(therapist)
    response = client.post(
        f"/alerts/{alert.pk}/acknowledge/",
        {"note": "Called; safe."},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert b"No open alerts." in response.content
    alert.refresh_from_db()
    assert alert.status == "acknowledged"


def test_front_desk_cannot_see_alerts(frontdesk):
    assert _client(frontdesk).get("/alerts/").status_code == 403


def test_outsider_cannot_acknowledge_another_clinics_alert(outsider, score_phq9):
    score_phq9(2, timezone.now() - timedelta(hours=1), item9=1)
    alert = SafetyAlert.objects.get()
    page = _client(outsider).post(f"/alerts/{alert.pk}/acknowledge/", {"note": "x"})
    assert page.status_code == 404
