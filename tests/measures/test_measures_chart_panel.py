"""The measures panel of the clinician chart: trajectory (bands, the clinic's remission line,
doses), outcome status per instrument with its reason, open alerts, and the maintenance
recommendation with reasons; its query count does not grow with the patient's history."""

import re
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ketacare.protocols.demo import DEMO_POLICY
from ketacare.protocols.services import record_clinic_policy

POLICY = DEMO_POLICY  # the clinic's required settings; the tests vary the outcome ones


def _chart(client, patient) -> str:
    response = client.get(f"/patients/{patient.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_chart_shows_trajectory_outcome_with_reason_alerts_and_maintenance(
    client, prescriber, patient, give_doses, score_phq9
):
    now = timezone.now()
    first = now - timedelta(days=28)
    give_doses([first + timedelta(days=d) for d in (0, 3, 7, 10, 14, 17)])
    score_phq9(20, first - timedelta(days=2), "baseline")
    score_phq9(8, first + timedelta(days=14))
    score_phq9(3, first + timedelta(days=21), item9=1)  # item 9 positive: an alert
    client.force_login(prescriber)
    body = _chart(client, patient)
    assert "Scores, outcomes and maintenance" in body
    assert 'data-trajectory-chart data-source="trajectory-data-measures-phq9"' in body
    row = re.search(r'<tr data-instrument="phq9" data-status="(\w+)">', body)
    assert row is not None
    assert row.group(1) == "remission"
    assert "remission cutoff of 4" in body  # the reason, from the core
    assert 'data-alert-code="phq9_item9_positive"' in body
    assert "Review and acknowledge on the alerts page" in body
    assert "data-maintenance-status=" in body


def test_chart_outcome_follows_the_clinics_phq9_remission_cutoff(
    client, prescriber, clinic_admin, patient, give_doses, score_phq9
):
    now = timezone.now()
    give_doses([now - timedelta(days=10)])
    score_phq9(20, now - timedelta(days=11), "baseline")
    score_phq9(4, now - timedelta(days=1))  # at the default cutoff (PHQ-9 < 5)
    client.force_login(prescriber)
    assert 'data-instrument="phq9" data-status="remission"' in _chart(client, patient)
    record_clinic_policy(actor=clinic_admin, values={**POLICY, "phq9_remission_max_total": 3})
    assert 'data-instrument="phq9" data-status="responding"' in _chart(client, patient)


def test_front_desk_sees_neither_scores_nor_alerts(client, frontdesk, patient, score_phq9):
    # Issue 14.2: front desk reads demographics and status, never scale answers (this test
    # asserted the opposite before the minimum-necessary split of VIEW_PATIENT).
    score_phq9(12, timezone.now() - timedelta(hours=1), item9=1)
    client.force_login(frontdesk)
    body = _chart(client, patient)
    assert 'data-alert-code="phq9_item9_positive"' not in body
    assert 'data-instrument="phq9"' not in body
    assert "Scores, outcomes and maintenance" not in body


def _queries(client, patient) -> int:
    with CaptureQueriesContext(connection) as ctx:
        _chart(client, patient)
    return len(ctx.captured_queries)


def test_chart_query_count_is_the_same_with_1_and_20_assessments_and_doses(
    client, prescriber, clinic_admin, patient, give_doses, score_phq9
):
    record_clinic_policy(actor=clinic_admin, values={**POLICY, "maintenance_min_interval_days": 7})
    now = timezone.now()
    start = now - timedelta(days=90)
    score_phq9(20, start - timedelta(days=1), "baseline")
    give_doses([start])
    client.force_login(prescriber)
    _queries(client, patient)  # warm the session and caches
    small = _queries(client, patient)
    give_doses([start + timedelta(days=4 * d) for d in range(1, 20)])
    for d in range(1, 20):
        score_phq9(10 + d % 8, start + timedelta(days=4 * d, hours=2), item9=d % 2)
    assert _queries(client, patient) == small
