"""The recommendation panel on the clinician chart: top option with its reasons, exclusions,
urgent findings and a link to the full page; its query count does not grow with history."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone


def chart(client, user, patient):
    client.force_login(user)
    response = client.get(f"/patients/{patient.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_chart_shows_the_top_option_with_its_reasons_and_a_link(
    client, prescriber, trd_patient, evaluate
):
    evaluate(trd_patient)
    html = chart(client, prescriber, trd_patient)
    assert 'id="recommendation"' in html
    assert "Top option: Intranasal esketamine (SPRAVATO)" in html
    assert "esketamine_labelled_for_trd" in html
    assert f'href="/patients/{trd_patient.pk}/recommendation"' in html


def test_chart_lists_exclusions_with_their_codes(client, prescriber, trd_patient, evaluate):
    evaluate(trd_patient, intracerebral_hemorrhage_history=True)
    html = chart(client, prescriber, trd_patient)
    assert "Excluded" in html
    assert "contraindication_intracerebral_hemorrhage_history" in html
    assert "Top option: Repetitive transcranial magnetic stimulation (rTMS)" in html


def test_chart_shows_urgent_suicidality_first(client, prescriber, trd_patient, evaluate):
    evaluate(trd_patient, cssrs="high")
    html = chart(client, prescriber, trd_patient)
    assert "acute_suicidality_safety_assessment" in html


def test_chart_without_failed_antidepressants_says_why_there_is_no_top_option(
    client, prescriber, patient, evaluate
):
    evaluate(patient)
    assert "first_line_treatment_not_tried" in chart(client, prescriber, patient)


def _chart_queries(client, patient):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/patients/{patient.pk}/").status_code == 200
    return len(ctx.captured_queries)


def test_recommendation_panel_query_count_does_not_grow_with_history(
    client, prescriber, trd_patient, evaluate, score, give_course
):
    from ketacare.clinical.recommendations import PriorResponse, TreatmentOption
    from ketacare.interop.services import record_prior_treatment, record_treatment_preferences

    now = timezone.now()
    evaluate(trd_patient)
    first = now - timedelta(days=60)
    score(trd_patient, "madrs", 30, first - timedelta(days=1), "baseline")
    give_course(trd_patient, [first])
    score(trd_patient, "madrs", 27, first + timedelta(days=2))
    client.force_login(prescriber)
    _chart_queries(client, trd_patient)  # warm session and caches
    small = _chart_queries(client, trd_patient)

    give_course(trd_patient, [first + timedelta(days=3 * i + 5) for i in range(6)])
    for i in range(6):
        score(trd_patient, "madrs", 26 - i, first + timedelta(days=25 + i))
        score(trd_patient, "phq9", 18 - i, first + timedelta(days=25 + i))
        record_prior_treatment(
            actor=prescriber,
            patient=trd_patient,
            option=TreatmentOption.RTMS,
            sessions=20,
            response=PriorResponse.PARTIAL_RESPONSE,
            adequate=True,
        )
        record_treatment_preferences(actor=prescriber, patient=trd_patient)
    evaluate(trd_patient)
    # Other panels (plan, measures, treatment) are their apps' business; this compares the
    # whole chart, so the recommendation must not add queries per dose, score or report.
    assert _chart_queries(client, trd_patient) == small
