"""Self-report in the portal, through measures' ``record_self_report``."""

import pytest
from django.utils.html import escape

from ketacare.measures.models import Assessment

# PHQ-9 answers: items 1-8 then item 9 (thoughts of death or self-harm).
ITEM9_POSITIVE = [1, 1, 1, 1, 0, 0, 0, 0, 1]  # total 1+1+1+1+1 = 5, item 9 = 1
ALL_ZERO = [0] * 9


def _post(client, instrument, answers, **extra):
    data = {f"item_{n}": v for n, v in enumerate(answers, start=1)}
    return client.post(f"/portal/self-report/{instrument}/", data, **extra)


@pytest.fixture
def portal(client, patient_user):
    client.force_login(patient_user)
    return client


def test_phq9_with_item_9_positive_shows_the_clinics_crisis_text_at_once(portal, patient):
    response = _post(portal, "phq9", ITEM9_POSITIVE)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' in body
    assert "Please reach out now" in body
    assert escape(patient.clinic.crisis_text) in body.split("Please reach out now")[1]
    assert "score is <strong>5</strong>" in body
    assert Assessment.objects.get().total == 5


def test_phq9_without_risk_shows_the_score_and_no_crisis_alert(portal):
    body = _post(portal, "phq9", ALL_ZERO).content.decode()
    assert "score is <strong>0</strong>" in body
    assert "Please reach out now" not in body


def test_htmx_submit_returns_only_the_result_region(portal):
    response = _post(portal, "gad7", [0] * 7, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert 'id="self-report-region"' in body
    assert "<html" not in body


def test_an_unanswered_item_is_shown_next_to_it_and_nothing_is_recorded(portal, unchanged):
    check = unchanged(Assessment)
    body = _post(portal, "phq9", ALL_ZERO[:8]).content.decode()
    assert body.count("Choose one answer.") == 1
    assert 'id="id_item_9_error"' in body
    check()


def test_staff_cannot_self_report_for_a_patient(client, nurse, unchanged):
    check = unchanged(Assessment)
    client.force_login(nurse)
    assert _post(client, "phq9", ALL_ZERO).status_code == 403
    check()


def test_home_shows_the_patients_own_phq9_chart_after_a_report(portal):
    _post(portal, "phq9", ALL_ZERO)
    body = portal.get("/portal/").content.decode()
    assert "Your mood scores" in body
    assert "PHQ-9 over time." in body
    assert "/static/ketacare/vendor/chartjs/chart.umd.min.js" in body
