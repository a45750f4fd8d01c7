"""Evaluation pages: the screening form, its live verdict (computed, never saved), saving it,
the prescriber's acknowledgment of cautions, and the chart panel."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ketacare.audit.models import AuditEntry
from ketacare.evaluation.models import CautionAcknowledgment, Evaluation
from ketacare.evaluation.services import record_evaluation
from ketacare.patients.services import record_medication_trial

YES_NO_QUESTIONS = (
    "ect_used",
    "aneurysmal_vascular_disease_or_avm",
    "intracerebral_hemorrhage_history",
    "hypersensitivity_to_ketamine_or_esketamine",
    "psychosis_history",
    "current_psychosis",
    "pregnant",
    "breastfeeding",
    "uncontrolled_hypertension",
    "hypertensive_encephalopathy_history",
    "takes_cns_depressants",
    "takes_psychostimulants",
    "takes_maois",
)


def form_data(**changes) -> dict[str, str]:
    """Intranasal, moderate, no contraindication or caution, low C-SSRS and negative screens
    from last week, BP 124/78."""
    week_ago = (timezone.localtime() - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    data = {
        "route": "intranasal",
        "severity": "moderate",
        "substance_use_disorder": "none",
        "hepatic_impairment": "none",
        "cssrs_risk": "low",
        "cssrs_assessed_at": week_ago,
        "heavy_drinking_days_past_year": "0",
        "drug_use_times_past_year": "0",
        "screened_at": week_ago,
        "latest_systolic_mmhg": "124",
        "latest_diastolic_mmhg": "78",
        **dict.fromkeys(YES_NO_QUESTIONS, "no"),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def trd_patient(prescriber, patient):
    """Avery: two adequate failed antidepressants in the current episode."""
    for drug in ("sertraline", "venlafaxine"):
        record_medication_trial(
            actor=prescriber,
            patient=patient,
            drug=drug,
            dose_mg_per_day=Decimal("150"),
            weeks=8,
            adherence="good",
            adequate=True,
            outcome="no_response",
        )
    return patient


def new_url(patient):
    return f"/patients/{patient.pk}/evaluation/new/"


def preview_url(patient):
    return f"/patients/{patient.pk}/evaluation/preview/"


def test_evaluation_form_asks_every_yes_no_question_as_a_radio_group_with_a_legend(
    client, prescriber, patient
):
    client.force_login(prescriber)
    body = client.get(new_url(patient)).content.decode()
    for name in YES_NO_QUESTIONS:
        assert f'id="id_{name}_group"' in body
        assert f'name="{name}" value="yes"' in body
    assert body.count("<legend>") >= len(YES_NO_QUESTIONS) + 5
    assert "checked" not in body  # nothing pre-answered: unanswered is not "no"
    assert 'aria-live="polite"' in body


def test_live_preview_shows_the_verdict_and_reasons_and_saves_nothing(
    client, prescriber, trd_patient, unchanged
):
    check = unchanged(Evaluation, CautionAcknowledgment)
    client.force_login(prescriber)
    response = client.post(
        preview_url(trd_patient), form_data(psychosis_history="yes"), HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body  # only the verdict region
    assert 'data-verdict="eligible_with_cautions"' in body
    assert 'data-code="psychosis_history"' in body
    assert "treatment resistant" in body
    check()


def test_live_preview_agrees_with_the_verdict_that_is_then_saved(client, prescriber, trd_patient):
    client.force_login(prescriber)
    data = form_data(intracerebral_hemorrhage_history="yes")
    preview = client.post(preview_url(trd_patient), data, HTTP_HX_REQUEST="true")
    assert 'data-verdict="not_eligible"' in preview.content.decode()
    response = client.post(new_url(trd_patient), data)
    assert response.status_code == 302
    assert response["Location"] == f"/patients/{trd_patient.pk}/#evaluation"
    saved = Evaluation.objects.get(patient=trd_patient)
    assert saved.verdict == "not_eligible"
    assert saved.adequate_failed_trials == 2
    assert AuditEntry.objects.filter(action="create", target_type__contains="evaluation").exists()


def test_live_preview_lists_the_questions_still_to_answer(client, prescriber, patient):
    client.force_login(prescriber)
    body = client.post(
        preview_url(patient), form_data(pregnant=None, route=None), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "<strong>2</strong> still to answer" in body
    assert "Pregnant?" in body
    assert "data-verdict" not in body


def test_live_preview_shows_the_cores_message_for_input_it_refuses(client, prescriber, patient):
    future = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    client.force_login(prescriber)
    body = client.post(
        preview_url(patient), form_data(cssrs_assessed_at=future), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "cannot be computed" in body
    assert "data-verdict" not in body


def test_unanswered_questions_show_errors_next_to_them_and_keep_what_was_typed(
    client, prescriber, patient, unchanged
):
    check = unchanged(Evaluation)
    client.force_login(prescriber)
    response = client.post(
        new_url(patient), form_data(pregnant=None, latest_systolic_mmhg="131", route=None)
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_pregnant_error"' in body
    assert 'id="id_route_error"' in body
    assert 'value="131"' in body
    assert 'value="no" id="id_breastfeeding_1" required checked' in body
    check()


def test_blood_pressure_field_bounds_are_the_cited_physiological_limits(
    client, prescriber, patient
):
    client.force_login(prescriber)
    body = client.get(new_url(patient)).content.decode()
    assert 'name="latest_systolic_mmhg" min="1" max="399"' in body
    assert 'name="latest_diastolic_mmhg" min="1" max="299"' in body


def test_core_refusal_is_shown_next_to_the_question_it_concerns(
    client, prescriber, patient, unchanged
):
    check = unchanged(Evaluation)
    future = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    client.force_login(prescriber)
    body = client.post(new_url(patient), form_data(cssrs_assessed_at=future)).content.decode()
    assert 'id="id_cssrs_assessed_at_error"' in body
    check()


def test_substance_screen_half_filled_is_an_error_next_to_the_missing_field(
    client, prescriber, patient, unchanged
):
    check = unchanged(Evaluation)
    client.force_login(prescriber)
    body = client.post(new_url(patient), form_data(screened_at="")).content.decode()
    assert 'id="id_screened_at_error"' in body
    check()


def test_nurse_cannot_open_the_evaluation_form(client, nurse, patient):
    client.force_login(nurse)
    assert client.get(new_url(patient)).status_code == 403
    assert client.post(preview_url(patient), form_data()).status_code == 403


def test_other_clinic_prescriber_gets_not_found(client, outsider, patient, unchanged):
    check = unchanged(Evaluation)
    client.force_login(outsider)
    assert client.get(new_url(patient)).status_code == 404
    assert client.post(preview_url(patient), form_data()).status_code == 404
    assert client.post(new_url(patient), form_data()).status_code == 404
    check()


@pytest.fixture
def cautioned(prescriber, trd_patient):
    """A saved evaluation with one caution (history of psychosis) awaiting acknowledgment."""
    client_data = form_data(psychosis_history="yes")
    from ketacare.evaluation.forms import EvaluationForm

    form = EvaluationForm(client_data)
    assert form.is_valid(), form.errors
    return record_evaluation(actor=prescriber, patient=trd_patient, answers=form.answers())


def test_prescriber_acknowledges_a_caution_with_a_reason(client, prescriber, cautioned):
    client.force_login(prescriber)
    url = f"/evaluations/{cautioned.pk}/acknowledge/"
    assert "psychosis_history" in client.get(url).content.decode()
    response = client.post(url, {"reason": "Remote history, stable for 10 years."})
    assert response.status_code == 302
    ack = CautionAcknowledgment.objects.get(evaluation=cautioned)
    assert ack.codes == ["psychosis_history"]
    assert AuditEntry.objects.filter(action="override", reason__contains="stable").exists()


def test_blank_acknowledgment_reason_is_an_error_next_to_the_field(
    client, prescriber, cautioned, unchanged
):
    check = unchanged(CautionAcknowledgment)
    client.force_login(prescriber)
    body = client.post(
        f"/evaluations/{cautioned.pk}/acknowledge/", {"reason": "   "}
    ).content.decode()
    assert 'id="id_reason_error"' in body
    check()


def test_acknowledging_twice_shows_the_same_blocker_code_as_the_api(
    client, prescriber, cautioned, unchanged
):
    client.force_login(prescriber)
    url = f"/evaluations/{cautioned.pk}/acknowledge/"
    client.post(url, {"reason": "Discussed."})
    check = unchanged(CautionAcknowledgment)
    # A second tab still showing the form posts again: the service refuses, as in the API.
    body = client.post(url, {"reason": "Again."}).content.decode()
    assert 'data-code="cautions_already_acknowledged"' in body
    assert "already acknowledged" in body
    check()


def test_nurse_cannot_acknowledge_cautions(client, nurse, cautioned, unchanged):
    check = unchanged(CautionAcknowledgment)
    client.force_login(nurse)
    url = f"/evaluations/{cautioned.pk}/acknowledge/"
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": "x"}).status_code == 403
    check()


def test_outsider_gets_not_found_for_the_acknowledgment_page(client, outsider, cautioned):
    client.force_login(outsider)
    assert client.get(f"/evaluations/{cautioned.pk}/acknowledge/").status_code == 404


def test_chart_panel_shows_latest_verdict_reasons_trd_msm_and_acknowledgments(
    client, prescriber, cautioned
):
    client.force_login(prescriber)
    body = client.get(f"/patients/{cautioned.patient_id}/").content.decode()
    assert 'id="evaluation"' in body
    assert 'data-verdict="eligible_with_cautions"' in body
    assert 'data-code="psychosis_history"' in body
    assert "of 15" in body  # Maudsley total
    assert f"/evaluations/{cautioned.pk}/acknowledge/" in body
    assert f"/patients/{cautioned.patient_id}/evaluation/new/" in body


def test_chart_panel_offers_no_evaluation_or_acknowledgment_links_to_a_therapist(
    client, therapist, cautioned
):
    client.force_login(therapist)
    body = client.get(f"/patients/{cautioned.patient_id}/").content.decode()
    # Issue 14.2: evaluations are the treatment record (view_treatment), not a therapist's
    # (this asserted the verdict was shown before the split).
    assert 'data-verdict="eligible_with_cautions"' not in body
    assert "/acknowledge/" not in body
    assert "/evaluation/new/" not in body


def _chart_queries(client, patient_id):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/patients/{patient_id}/").status_code == 200
    return len(ctx.captured_queries)


def test_chart_query_count_does_not_grow_with_evaluations_and_acknowledgments(
    client, prescriber, cautioned
):
    from ketacare.evaluation.services import acknowledge_cautions

    patient = cautioned.patient
    client.force_login(prescriber)
    _chart_queries(client, patient.pk)  # warm session and caches
    one = _chart_queries(client, patient.pk)
    from ketacare.evaluation.forms import EvaluationForm

    form = EvaluationForm(form_data(psychosis_history="yes", takes_maois="yes"))
    assert form.is_valid()
    for _ in range(14):
        evaluation = record_evaluation(actor=prescriber, patient=patient, answers=form.answers())
    for code in ("psychosis_history", "maoi_use"):
        acknowledge_cautions(actor=prescriber, evaluation=evaluation, reason="ok", codes=[code])
    assert Evaluation.objects.filter(patient=patient).count() == 15
    assert _chart_queries(client, patient.pk) == one


def test_each_reason_names_its_source_and_grade_with_a_link_to_the_sources_page(
    client, prescriber, trd_patient
):
    # Issue 16.5: a caution (history of psychosis) shows one evidence line: the source, its
    # grade, and a link to the source's entry on /sources/.
    client.force_login(prescriber)
    body = client.post(
        preview_url(trd_patient), form_data(psychosis_history="yes"), HTTP_HX_REQUEST="true"
    ).content.decode()
    reason = re.search(r'<li data-code="psychosis_history">.*?</li>', body, re.S).group(0)
    assert 'class="evidence"' in reason
    [anchor] = re.findall(r'href="/sources/#(source-[^"]+)"', reason)
    assert re.search(r"\[[a-z ,]*(source|statement|heuristic|setting)[a-z ,]*\]", reason)
    assert f'id="{anchor}"' in client.get("/sources/").content.decode()
