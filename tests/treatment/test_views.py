"""Chair-side pages: the clinic-day board, the run sheet, course ordering and the chart panel.

Same services as the API, so a refusal shows the API's codes and messages; forms keep what
was typed and put errors next to the field; the board, the run sheet and the chart panel
cost the same number of queries for a clinic of 10 sessions or 60.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from tests.support.registration import registered_long_ago

from ketacare.audit.models import AuditEntry
from ketacare.treatment.models import (
    Course,
    DoseAdministration,
    SessionAcknowledgment,
    SessionObservation,
    SessionOverride,
    TreatmentSession,
    VitalsReading,
)
from ketacare.treatment.services import check_in, record_vitals

NORMAL = {
    "systolic_mmhg": "124",
    "diastolic_mmhg": "78",
    "heart_rate_bpm": "72",
    "spo2_percent": "98",
    "respiratory_rate_per_min": "14",
}
HIGH_BP = {**NORMAL, "systolic_mmhg": "158", "diastolic_mmhg": "96"}


@pytest.fixture
def esketamine_session(esketamine_course):
    return esketamine_course.sessions[0]


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- the board ---------------------------------------------------------------------------------


def test_board_lists_todays_sessions_by_chair_with_state_and_next_step(
    client, nurse, esketamine_session
):
    client.force_login(nurse)
    response = client.get("/board/")
    assert response.status_code == 200
    body = _text(response)
    assert "Alvarez, Avery" in body
    assert "Scheduled" in body
    assert "Check in" in body
    assert f'href="/sessions/{esketamine_session.pk}/"' in body


def test_board_polls_itself_every_30_seconds_and_htmx_gets_only_the_body(
    client, nurse, esketamine_session
):
    client.force_login(nurse)
    full = client.get("/board/").content.decode()
    assert 'hx-trigger="every 30s"' in full
    part = client.get("/board/", HTTP_HX_REQUEST="true").content.decode()
    assert part.lstrip().startswith('<div id="board-body"')
    assert "<html" not in part


@pytest.mark.parametrize(
    ("observation_from", "remaining"),
    [
        # Default: 120-min esketamine minimum from the last device: 120-30 = 90.
        (None, 90),
        # The clinic's choice, the REMS form's count from the first device (5 min before the
        # second): 120-35 = 85.
        ("first_dose", 85),
    ],
)
def test_board_shows_observation_countdown_from_where_the_clinic_counts_it(
    client,
    nurse,
    prescriber,
    clinic_admin,
    esketamine_session,
    cleared,
    clock,
    policy_values,
    observation_from,
    remaining,
):
    from ketacare.protocols.services import record_clinic_policy
    from ketacare.treatment.services import administer_dose, record_observation

    if observation_from:
        record_clinic_policy(
            actor=clinic_admin, values={**policy_values, "observation_from": observation_from}
        )
    session = cleared(esketamine_session)
    now = timezone.now()
    administer_dose(
        actor=prescriber,
        session=session,
        lot_number="L1",
        dose_mg=Decimal("56"),
        device_times=[now - timedelta(minutes=5), now],
        pulse_oximeter_available=True,
    )
    record_observation(actor=nurse, session=session, scale="moaas", items=[5], observed_at=now)
    clock.shift(timedelta(minutes=30))
    client.force_login(nurse)
    body = _text(client.get("/board/"))
    assert f'data-remaining-min="{remaining}"' in body
    assert f"{remaining}</strong> min left of the 120-min minimum" in body


def test_front_desk_sees_the_board_without_safety_alerts(client, frontdesk, esketamine_session):
    client.force_login(frontdesk)
    body = _text(client.get("/board/"))
    assert "Alvarez, Avery" in body
    assert "Safety alerts are shown to clinicians." in body


def test_patient_login_cannot_open_the_board(client, patient_user):
    client.force_login(patient_user)
    assert client.get("/board/").status_code == 403


def test_board_shows_an_open_item9_alert_of_the_clinic(client, nurse, patient, esketamine_session):
    _raise_item9_alert(nurse, patient)
    client.force_login(nurse)
    body = _text(client.get("/board/"))
    assert "phq9_item9_positive" in body
    assert "Alert: Suicidal thoughts reported (PHQ-9 item 9)" in re.sub(r"<[^>]+>", "", body)


def _raise_item9_alert(actor, patient):
    from ketacare.measures.services import record_assessment

    record_assessment(
        actor=actor,
        patient=patient,
        instrument="phq9",
        items=[1, 1, 1, 1, 1, 1, 1, 1, 1],
        context="follow_up",
        taken_at=timezone.now() - timedelta(minutes=1),
    )


# --- the run sheet -----------------------------------------------------------------------------


def test_run_sheet_offers_only_the_legal_next_steps(client, nurse, esketamine_session):
    client.force_login(nurse)
    body = _text(client.get(f"/sessions/{esketamine_session.pk}/"))
    assert 'id="checkin-title"' in body
    assert 'id="dose-title"' not in body
    assert 'id="discharge-title"' not in body
    assert "Cancel the session" in body


def test_front_desk_checks_a_patient_in_from_the_run_sheet(client, frontdesk, esketamine_session):
    client.force_login(frontdesk)
    response = client.post(f"/sessions/{esketamine_session.pk}/check-in/", {})
    assert response.status_code == 302
    esketamine_session.refresh_from_db()
    assert esketamine_session.state == "checked_in"


def test_vitals_over_threshold_are_highlighted_in_words_and_block_clearance(
    client, nurse, esketamine_session
):
    check_in(actor=nurse, session=esketamine_session)
    client.force_login(nurse)
    client.post(f"/sessions/{esketamine_session.pk}/vitals/", HIGH_BP)
    body = _text(client.get(f"/sessions/{esketamine_session.pk}/"))
    assert "(out of range: above the pre-dose limit of 140 mmHg)" in body
    assert 'data-code="bp_above_predose_threshold"' in body


def test_refused_clearance_shows_the_api_blocker_codes_and_keeps_the_typed_values(
    client, api, nurse, esketamine_session, unchanged
):
    check_in(actor=nurse, session=esketamine_session)
    record_vitals(
        actor=nurse, session=esketamine_session, taken_at=timezone.now(), **_ints(HIGH_BP)
    )
    client.force_login(nurse)
    check = unchanged(TreatmentSession, SessionOverride)
    response = client.post(
        f"/sessions/{esketamine_session.pk}/clear/",
        {"npo_confirmed": "on", "ride_home": "Partner drives"},
    )
    check()
    assert response.status_code == 409
    page_codes = set(re.findall(r'<li data-code="([a-z_0-9]+)"', response.content.decode()))
    from_api = api(nurse).post(
        f"/sessions/{esketamine_session.pk}/clear",
        {"npo_confirmed": True, "ride_home": "Partner drives"},
    )
    assert from_api.status_code == 409
    api_blockers = from_api.json()["details"]["blockers"]
    assert page_codes == {b["code"] for b in api_blockers}
    body = _text(response)
    for b in api_blockers:
        assert b["message"] in body
    assert 'value="Partner drives"' in body  # what was typed is kept


def _ints(values):
    return {k: int(v) for k, v in values.items()}


def test_field_errors_show_next_to_the_field_and_nothing_is_recorded(
    client, nurse, esketamine_session, unchanged
):
    check_in(actor=nurse, session=esketamine_session)
    client.force_login(nurse)
    check = unchanged(VitalsReading)
    response = client.post(
        f"/sessions/{esketamine_session.pk}/vitals/", {**NORMAL, "spo2_percent": "180"}
    )
    check()
    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="vitals-spo2_percent_error"' in body
    assert 'value="124"' in body


def test_htmx_step_swaps_the_run_sheet_with_status_200(client, nurse, esketamine_session):
    client.force_login(nurse)
    response = client.post(
        f"/sessions/{esketamine_session.pk}/check-in/", {}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<div id="run-sheet"')
    assert 'data-state="checked_in"' in response.content.decode()


def test_prescriber_sees_the_override_form_and_nurse_does_not(
    client, nurse, prescriber, esketamine_session
):
    check_in(actor=nurse, session=esketamine_session)
    record_vitals(
        actor=nurse, session=esketamine_session, taken_at=timezone.now(), **_ints(HIGH_BP)
    )
    client.force_login(nurse)
    assert (
        'id="override-form"'
        not in client.get(f"/sessions/{esketamine_session.pk}/").content.decode()
    )
    client.force_login(prescriber)
    assert (
        'id="override-form"' in client.get(f"/sessions/{esketamine_session.pk}/").content.decode()
    )


def test_nurse_acknowledges_high_bp_on_the_run_sheet_with_reason_and_it_is_audited(
    client, nurse, esketamine_session
):
    check_in(actor=nurse, session=esketamine_session)
    record_vitals(
        actor=nurse, session=esketamine_session, taken_at=timezone.now(), **_ints(HIGH_BP)
    )
    client.force_login(nurse)
    page = client.get(f"/sessions/{esketamine_session.pk}/").content.decode()
    assert 'id="acknowledge-form"' in page
    assert "Warnings to acknowledge before the next step" in page
    assert "Evidence:" in page  # source and grade, one line
    assert "secondary source" in page
    response = client.post(
        f"/sessions/{esketamine_session.pk}/acknowledge/",
        {"codes": ["bp_above_predose_threshold"], "reason": "Anxious; repeat BP 150/92 trend down"},
    )
    assert response.status_code == 302
    row = SessionAcknowledgment.objects.get(session=esketamine_session)
    assert row.codes == ["bp_above_predose_threshold"]
    assert AuditEntry.objects.filter(summary="clinical warning acknowledged", actor=nurse).exists()
    body = _text(client.get(f"/sessions/{esketamine_session.pk}/"))
    assert "Acknowledged" in body
    assert "Anxious; repeat BP 150/92 trend down" in body


def test_override_without_reason_is_refused_next_to_the_field(
    client, nurse, prescriber, esketamine_session, unchanged
):
    check_in(actor=nurse, session=esketamine_session)
    client.force_login(prescriber)
    check = unchanged(SessionOverride)
    response = client.post(
        f"/sessions/{esketamine_session.pk}/override/",
        {"codes": ["bp_above_predose_threshold"], "reason": "  "},
    )
    check()
    assert response.status_code == 422


def test_nurse_cannot_override(client, nurse, esketamine_session, unchanged):
    check_in(actor=nurse, session=esketamine_session)
    client.force_login(nurse)
    check = unchanged(SessionOverride)
    response = client.post(
        f"/sessions/{esketamine_session.pk}/override/",
        {"codes": ["bp_above_predose_threshold"], "reason": "I think it is fine"},
    )
    check()
    assert response.status_code == 403


def test_outsider_gets_not_found_for_the_run_sheet(client, outsider, esketamine_session):
    client.force_login(outsider)
    assert client.get(f"/sessions/{esketamine_session.pk}/").status_code == 404
    assert client.post(f"/sessions/{esketamine_session.pk}/check-in/", {}).status_code == 404


def test_whole_session_through_the_pages_and_discharge_waits_for_the_minimum(
    client, nurse, prescriber, esketamine_session, clock
):
    pk = esketamine_session.pk
    client.force_login(nurse)
    assert client.post(f"/sessions/{pk}/check-in/", {}).status_code == 302
    assert client.post(f"/sessions/{pk}/vitals/", NORMAL).status_code == 302
    assert client.post(f"/sessions/{pk}/moaas/", {"rating": "5"}).status_code == 302
    response = client.post(
        f"/sessions/{pk}/clear/", {"npo_confirmed": "on", "ride_home": "Partner drives"}
    )
    assert response.status_code == 302, _text(response)
    clock.shift(timedelta(minutes=6))
    local = timezone.localtime()
    first = (local - timedelta(minutes=5)).strftime("%H:%M")
    second = local.strftime("%H:%M")
    response = client.post(
        f"/sessions/{pk}/dose/",
        {
            "lot_number": "ESK-1",
            "dose_mg": "56",
            "device_1": first,
            "device_2": second,
            "prescriber_on_site": str(prescriber.pk),
            "pulse_oximeter_available": "on",
        },
    )
    assert response.status_code == 302, _text(response)
    clock.shift(timedelta(minutes=40))
    client.force_login(nurse)  # idle sessions expire after 30 minutes
    assert client.post(f"/sessions/{pk}/vitals/", NORMAL).status_code == 302
    assert client.post(f"/sessions/{pk}/moaas/", {"rating": "5"}).status_code == 302
    items = {f"item_{n}": "0" for n in range(1, 24)}
    response = client.post(f"/sessions/{pk}/cadss/", {**items, "dissociation_resolved": "on"})
    assert response.status_code == 302
    assert SessionObservation.objects.filter(session_id=pk, scale="cadss").count() == 1
    refused = client.post(f"/sessions/{pk}/discharge/", {"clinician_ready": "on"})
    assert refused.status_code == 409
    assert 'data-code="discharge_too_early"' in refused.content.decode()
    clock.shift(timedelta(minutes=80))
    client.force_login(nurse)
    assert client.post(f"/sessions/{pk}/vitals/", NORMAL).status_code == 302
    response = client.post(f"/sessions/{pk}/discharge/", {"clinician_ready": "on"})
    assert response.status_code == 302, _text(response)
    esketamine_session.refresh_from_db()
    assert esketamine_session.state == "discharged"


# --- course ordering ---------------------------------------------------------------------------


def test_course_ordering_page_previews_schedule_dose_and_pk_curve(
    client, prescriber, patient, clinic_policy, weight
):
    client.force_login(prescriber)
    response = client.get(f"/patients/{patient.pk}/courses/new/")
    assert response.status_code == 200
    preview = client.get(
        f"/patients/{patient.pk}/courses/preview/",
        {
            "protocol_code": "iv_racemic_elektd",
            "start_at": timezone.localtime().strftime("%Y-%m-%dT09:00"),
            "vial_concentration_mg_per_ml": "10",
        },
        HTTP_HX_REQUEST="true",
    )
    body = _text(preview)
    assert "Proposed schedule" in body
    # ELEKT-D: 0.5 mg/kg x 70.0 kg = 35.0 mg, 3.5 mL of 10 mg/mL.
    assert "= <strong>35.0" in body
    assert "/pk/preview/?model=kamp_2020" in body


def test_refused_order_shows_blockers_and_prescriber_orders_with_override(
    client, prescriber, patient, clinic_policy, consent_for, evaluate, unchanged
):
    evaluate("iv", aneurysmal_vascular_disease_or_avm=True)
    consent_for("iv")
    client.force_login(prescriber)
    form = {
        "protocol_code": "iv_racemic_elektd",
        "start_at": timezone.localtime().strftime("%Y-%m-%dT09:00"),
        "open_phase_every_weeks": "1",
        "chair": "Chair 2",
    }
    assert client.get(f"/patients/{patient.pk}/courses/new/").status_code == 200
    check = unchanged(Course, TreatmentSession)
    refused = client.post(f"/patients/{patient.pk}/courses/new/", form)
    check()
    assert refused.status_code == 409
    codes = set(re.findall(r'<li data-code="([a-z_0-9]+)"', refused.content.decode()))
    assert codes == {"not_eligible"}
    assert 'value="Chair 2"' in refused.content.decode()
    overridable = re.findall(
        r'name="override_codes" value="([a-z_0-9]+)"', refused.content.decode()
    )
    response = client.post(
        f"/patients/{patient.pk}/courses/new/",
        {**form, "override_codes": overridable, "override_reason": "Neurosurgery review: clipped"},
    )
    assert response.status_code == 302
    course = Course.objects.get(patient=patient)
    assert (course.override_codes, course.override_reason) == (
        ["not_eligible"],
        "Neurosurgery review: clipped",
    )


def test_nurse_cannot_open_course_ordering(client, nurse, patient):
    client.force_login(nurse)
    assert client.get(f"/patients/{patient.pk}/courses/new/").status_code == 403


# --- the chart panel ---------------------------------------------------------------------------


def test_chart_panel_lists_courses_and_sessions_with_run_sheet_and_pk_curve(
    client, nurse, patient, esketamine_course, weight
):
    client.force_login(nurse)
    body = _text(client.get(f"/patients/{patient.pk}/"))
    assert "Courses and sessions" in body
    for s in esketamine_course.sessions:
        assert f'href="/sessions/{s.pk}/"' in body
    assert "/pk/preview/?model=perez_ruixo_2021" in body


# --- queries stay flat -------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.fixture
def many_sessions(prescriber, nurse, clinic_policy, raw_session, patient):
    """``add(n)``: n more of today's sessions for other patients, each checked in with a
    vitals reading (through the services), so every row of the board has data."""
    from ketacare.audit.models import service_write
    from ketacare.patients.services import register_patient
    from ketacare.protocols.selectors import get_active_protocol_version
    from ketacare.protocols.services import ensure_standard_protocols

    ensure_standard_protocols(clinic=prescriber.clinic)
    version = get_active_protocol_version(prescriber.clinic_id, "in_esketamine_trd")
    count = {"n": 0}

    def add(n: int) -> None:
        for _ in range(n):
            i = count["n"] = count["n"] + 1
            other = register_patient(
                as_of=registered_long_ago(),
                actor=prescriber,
                given_name=f"Load{i}",
                family_name="Patient",
                date_of_birth=timezone.localdate().replace(year=1980),
                sex="female",
            )
            now = timezone.now()
            with service_write():
                course = Course.objects.create(
                    clinic=prescriber.clinic,
                    created_at=now,
                    created_by=prescriber,
                    patient=other,
                    protocol_version=version,
                    protocol_code=version.code,
                    route=version.route,
                    drug=version.drug,
                    start_at=now,
                    planned_sessions=1,
                )
                session = TreatmentSession.objects.create(
                    clinic=prescriber.clinic,
                    created_at=now,
                    created_by=prescriber,
                    course=course,
                    patient=other,
                    number=1,
                    course_week=1,
                    scheduled_at=now,
                    chair=f"Chair {i % 4 + 1}",
                    updated_at=now,
                )
            session = check_in(actor=nurse, session=session)
            record_vitals(actor=nurse, session=session, taken_at=now, **_ints(NORMAL))

    return add


def test_board_query_count_is_the_same_for_10_and_60_sessions(
    client, nurse, many_sessions, patient
):
    _raise_item9_alert(nurse, patient)
    many_sessions(10)
    client.force_login(nurse)
    _queries(client, "/board/")  # warm the session and caches
    ten = _queries(client, "/board/")
    many_sessions(50)
    assert TreatmentSession.objects.count() == 60
    assert _queries(client, "/board/") == ten


def test_run_sheet_query_count_does_not_grow_with_the_clinic(
    client, nurse, many_sessions, esketamine_session
):
    check_in(actor=nurse, session=esketamine_session)
    url = f"/sessions/{esketamine_session.pk}/"
    many_sessions(10)
    client.force_login(nurse)
    _queries(client, url)
    ten = _queries(client, url)
    many_sessions(50)
    assert _queries(client, url) == ten


def test_chart_panel_query_count_does_not_grow_with_courses(
    client, nurse, prescriber, patient, esketamine_course, many_sessions
):
    from ketacare.treatment.services import order_course

    url = f"/patients/{patient.pk}/"
    many_sessions(10)
    client.force_login(nurse)
    _queries(client, url)
    few = _queries(client, url)
    for _ in range(3):
        order_course(
            actor=prescriber,
            patient=patient,
            protocol_code="in_esketamine_trd",
            start_at=timezone.now() + timedelta(days=60),
            sessions=8,
        )
    many_sessions(50)
    assert _queries(client, url) == few


def test_moaas_needs_an_explicit_rating_and_nothing_is_recorded(
    client, nurse, esketamine_session, unchanged
):
    check_in(actor=nurse, session=esketamine_session)
    client.force_login(nurse)
    check = unchanged(SessionObservation)
    response = client.post(f"/sessions/{esketamine_session.pk}/moaas/", {"rating": ""})
    check()
    assert response.status_code == 422
    assert 'id="moaas-rating_error"' in response.content.decode()


def test_nurse_records_an_adverse_event_from_the_run_sheet(client, nurse, esketamine_session):
    from ketacare.treatment.models import AdverseEventRecord

    check_in(actor=nurse, session=esketamine_session)
    client.force_login(nurse)
    response = client.post(
        f"/sessions/{esketamine_session.pk}/adverse-events/",
        {
            "event_type": "dissociation",
            "severity": "mild",
            "action_taken": "Reassurance, lights dimmed",
            "outcome": "Resolved",
        },
    )
    assert response.status_code == 302
    row = AdverseEventRecord.objects.get(session=esketamine_session)
    assert (row.event_type, row.ctcae_grade) == ("dissociation", 1)


def test_front_desk_sees_check_in_but_no_clinical_forms(client, frontdesk, esketamine_session):
    client.force_login(frontdesk)
    body = client.get(f"/sessions/{esketamine_session.pk}/").content.decode()
    assert 'id="checkin-title"' in body
    assert 'id="vitals-title"' not in body
    check_in(actor=frontdesk, session=esketamine_session)
    body = client.get(f"/sessions/{esketamine_session.pk}/").content.decode()
    assert 'id="vitals-title"' not in body
    assert 'id="clear-title"' not in body
    assert "Cancel the session" in body


def test_therapist_reads_the_run_sheet_without_forms(client, therapist, esketamine_session):
    client.force_login(therapist)
    body = client.get(f"/sessions/{esketamine_session.pk}/").content.decode()
    assert 'id="status-title"' in body
    assert 'action="/sessions/' not in body


# --- the evidence line on refusals (issue 16.5) -------------------------------------------


def _evidence_links(body: str, code: str) -> list[str]:
    """The sources-page links of the evidence line inside the finding ``code``."""
    match = re.search(rf'<li[^>]*data-code="{code}".*?</li>', body, re.S)
    assert match, f"{code} is not on the page"
    assert 'class="evidence"' in match.group(0)
    return re.findall(r'href="(/sources/#source-[^"]+)"', match.group(0))


def test_dose_above_the_ceiling_refusal_names_its_source_and_grade(
    client, nurse, prescriber, iv_course, cleared, unchanged
):
    session = cleared(iv_course.sessions[0])
    client.force_login(prescriber)
    check = unchanged(DoseAdministration)
    refused = client.post(
        f"/sessions/{session.pk}/dose/",
        {
            "lot_number": "K-1",
            "mg_per_kg": "1.5",  # above the 1.0 mg/kg ceiling (the highest tested dose, S22)
            "vial_concentration_mg_per_ml": "10",
            "prescriber_on_site": str(prescriber.pk),
            "pulse_oximeter_available": "on",
        },
    )
    check()
    assert refused.status_code == 409
    body = refused.content.decode()
    [link] = _evidence_links(body, "dose_above_ceiling")
    assert client.get(link.split("#")[0]).status_code == 200  # the sources page
    assert f'id="{link.split("#")[1]}"' in client.get("/sources/").content.decode()
    assert "primary source" in re.search(
        r'<li[^>]*data-code="dose_above_ceiling".*?</li>', body, re.S
    ).group(0)


def test_consent_refusal_on_the_run_sheet_names_the_clinic_consent_rule(
    client, nurse, esketamine_session, unchanged
):
    from ketacare.consent.models import ConsentSignature
    from ketacare.consent.services import withdraw_consent

    withdraw_consent(actor=nurse, signature=ConsentSignature.objects.get(), reason="changed mind")
    check_in(actor=nurse, session=esketamine_session)
    client.force_login(nurse)
    pk = esketamine_session.pk
    assert client.post(f"/sessions/{pk}/vitals/", NORMAL).status_code == 302
    assert client.post(f"/sessions/{pk}/moaas/", {"rating": "5"}).status_code == 302
    check = unchanged(TreatmentSession)
    refused = client.post(
        f"/sessions/{esketamine_session.pk}/clear/",
        {"npo_confirmed": "on", "ride_home": "Partner drives"},
    )
    check()
    assert refused.status_code == 409
    body = refused.content.decode()
    assert _evidence_links(body, "consent_missing") == ["/sources/#source-clinic-consent"]
    assert "clinic setting" in body
