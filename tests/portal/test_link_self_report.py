"""A patient answers a PHQ-9 from a signed, single-use link sent by the clinic, without
signing in."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django.utils.html import escape

from ketacare.measures.models import Assessment, SafetyAlert
from ketacare.measures.services import issue_portal_link

NO_RISK = ["1", "1", "1", "0", "0", "0", "0", "0", "0"]
ITEM9_POSITIVE = ["0", "0", "0", "0", "0", "0", "0", "0", "2"]


def _answers(values):
    return {f"item_{i}": v for i, v in enumerate(values, start=1)}


@pytest.fixture
def link(nurse, patient):
    return issue_portal_link(
        actor=nurse, patient=patient, instrument="phq9", expires_in=timedelta(days=2)
    )


def test_link_opens_the_questionnaire_without_sign_in(client, link):
    response = client.get(f"/r/{link.token}/")
    assert response.status_code == 200
    assert "PHQ-9 check-in for Avery" in response.content.decode()


def test_item_9_positive_through_a_link_shows_crisis_text_and_raises_an_alert(
    client, link, patient
):
    response = client.post(f"/r/{link.token}/", _answers(ITEM9_POSITIVE))
    body = response.content.decode()
    assert "Please reach out now" in body
    assert escape(patient.clinic.crisis_text) in body
    assert SafetyAlert.objects.filter(patient=patient, code="phq9_item9_positive").exists()


def test_a_link_works_once(client, link, unchanged):
    assert client.post(f"/r/{link.token}/", _answers(NO_RISK)).status_code == 200
    check = unchanged(Assessment)
    again = client.post(f"/r/{link.token}/", _answers(NO_RISK))
    assert again.status_code == 410
    assert "portal_link_used" in again.content.decode()
    check()


def test_an_expired_link_is_gone(client, link):
    with time_machine.travel(timezone.now() + timedelta(days=2, seconds=1)):
        response = client.get(f"/r/{link.token}/")
    assert response.status_code == 410
    assert "portal_link_expired" in response.content.decode()


def test_a_forged_link_is_not_found(client, link):
    assert client.get(f"/r/{link.token}x/").status_code == 404
