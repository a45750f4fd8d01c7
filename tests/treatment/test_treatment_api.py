"""The public contract: /api/v1/patients/{id}/courses and /api/v1/sessions/{id}/... .
A gate refusal answers 409 with the blockers, invalid input 422; nothing is written on
either."""

from datetime import timedelta

from django.utils import timezone

from ketacare.audit.models import AuditEntry
from ketacare.treatment.models import (
    Course,
    DoseAdministration,
    SessionOverride,
    TreatmentSession,
    VitalsReading,
)

VITALS = {"heart_rate_bpm": 70, "spo2_percent": 98, "respiratory_rate_per_min": 14}


def _vitals(client, session_id, systolic=120, diastolic=75):
    body = {
        "systolic_mmhg": systolic,
        "diastolic_mmhg": diastolic,
        "taken_at": timezone.now().isoformat(),
        **VITALS,
    }
    return client.post(f"/sessions/{session_id}/vitals", body)


def _checked_in_over_api(api, nurse, session_id, systolic=120, diastolic=75):
    client = api(nurse)
    assert client.post(f"/sessions/{session_id}/check-in", {}).status_code == 200
    assert _vitals(client, session_id, systolic, diastolic).status_code == 201
    moaas = {"scale": "moaas", "items": [5], "observed_at": timezone.now().isoformat()}
    assert client.post(f"/sessions/{session_id}/observations", moaas).status_code == 201
    return client


CLEAR = {"npo_confirmed": True, "ride_home": "Partner drives"}


def test_ordering_a_course_returns_the_course_and_its_proposed_schedule(
    api, prescriber, patient, clinic_policy, consent_for, evaluate, rems_enrolled
):
    evaluate("intranasal")
    consent_for("intranasal")
    response = api(prescriber).post(
        f"/patients/{patient.pk}/courses",
        {
            "protocol_code": "in_esketamine_trd",
            "start_at": timezone.now().isoformat(),
            "sessions": 8,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["dose_mg"] == "56"  # the label's first-session dose
    sessions = body["sessions"]
    assert len(sessions) == 8
    # Induction: twice weekly in weeks 1-4 (S2/S3).
    assert [s["course_week"] for s in sessions] == [1, 1, 2, 2, 3, 3, 4, 4]


def test_ordering_esketamine_without_rems_enrolment_is_409_and_writes_nothing(
    api, prescriber, patient, clinic_policy, consent_for, evaluate, unchanged
):
    evaluate("intranasal")
    consent_for("intranasal")
    check = unchanged(Course, TreatmentSession)
    response = api(prescriber).post(
        f"/patients/{patient.pk}/courses",
        {
            "protocol_code": "in_esketamine_trd",
            "start_at": timezone.now().isoformat(),
            "sessions": 8,
        },
    )
    assert response.status_code == 409
    codes = [b["code"] for b in response.json()["details"]["blockers"]]
    assert codes == ["rems_patient_not_enrolled"]
    check()


def test_ordering_without_an_evaluation_is_refused_and_not_eligible_needs_an_override(
    api, prescriber, patient, clinic_policy, consent_for, evaluate, unchanged
):
    consent_for("iv")
    body = {"protocol_code": "iv_racemic_elektd", "start_at": timezone.now().isoformat()}
    check = unchanged(Course)
    response = api(prescriber).post(f"/patients/{patient.pk}/courses", body)
    assert response.status_code == 409
    assert response.json()["code"] == "eligibility_not_evaluated"
    check()
    evaluate("iv", aneurysmal_vascular_disease_or_avm=True)
    check = unchanged(Course)
    refused = api(prescriber).post(f"/patients/{patient.pk}/courses", body)
    assert refused.status_code == 409
    assert [b["code"] for b in refused.json()["details"]["blockers"]] == ["not_eligible"]
    check()
    override = {"codes": ["not_eligible"], "reason": "Psychiatric review: psychosis resolved."}
    ordered = api(prescriber).post(
        f"/patients/{patient.pk}/courses", {**body, "override": override}
    )
    assert ordered.status_code == 201, ordered.content
    assert ordered.json()["override_codes"] == ["not_eligible"]


def test_ordering_without_consent_is_409(api, prescriber, patient, clinic_policy, evaluate):
    evaluate("iv")
    response = api(prescriber).post(
        f"/patients/{patient.pk}/courses",
        {"protocol_code": "iv_racemic_elektd", "start_at": timezone.now().isoformat()},
    )
    assert response.status_code == 409
    blockers = response.json()["details"]["blockers"]
    [blocker] = [b for b in blockers if b["code"] == "consent_missing"]
    # Issue 16.5: every gate refusal names its source {key, title, locator, grade, url, href}.
    source = blocker["source"]
    assert set(source) >= {"key", "title", "locator", "grade", "url", "href"}
    assert (source["key"], source["grade"]) == ("clinic-consent", "clinic")
    assert source["href"] == "/sources/#source-clinic-consent"


def test_high_predose_bp_answers_409_with_an_acknowledgment_required_and_writes_nothing(
    api, nurse, esketamine_course, unchanged
):
    session_id = esketamine_course.sessions[0].pk
    client = _checked_in_over_api(api, nurse, session_id, 150, 95)
    check = unchanged(TreatmentSession, SessionOverride, VitalsReading)
    response = client.post(f"/sessions/{session_id}/clear", CLEAR)
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "bp_above_predose_threshold"
    assert body["details"]["blockers"] == []
    warning = body["details"]["acknowledgments_required"][0]
    assert set(warning) >= {"code", "message", "source"}
    assert warning["acknowledge"] is True
    # The evidence line: source and grade, linked to the sources page.
    assert warning["source"]["grade"] == "secondary"
    assert warning["source"]["href"].startswith("/sources/#source-")
    check()
    assert TreatmentSession.objects.get(pk=session_id).state == "checked_in"
    assert not TreatmentSession.objects.get(pk=session_id).npo_confirmed  # not written either


def test_nurse_acknowledgment_over_the_api_lets_the_clearance_through(
    api, nurse, esketamine_course
):
    session_id = esketamine_course.sessions[0].pk
    client = _checked_in_over_api(api, nurse, session_id, 150, 95)
    ack = {"codes": ["bp_above_predose_threshold"], "reason": "Treated hypertension."}
    created = client.post(f"/sessions/{session_id}/acknowledgments", ack)
    assert created.status_code == 201, created.content
    assert created.json()["codes"] == ["bp_above_predose_threshold"]
    cleared = client.post(f"/sessions/{session_id}/clear", CLEAR)
    assert cleared.status_code == 200, cleared.content
    assert cleared.json()["state"] == "cleared"
    assert AuditEntry.objects.filter(summary="clinical warning acknowledged").count() == 1


def test_acknowledgment_without_a_reason_is_422_over_the_api(api, nurse, esketamine_course):
    session_id = esketamine_course.sessions[0].pk
    client = _checked_in_over_api(api, nurse, session_id, 150, 95)
    response = client.post(
        f"/sessions/{session_id}/acknowledgments",
        {"codes": ["bp_above_predose_threshold"], "reason": "  "},
    )
    assert response.status_code == 422


def test_nurse_inline_override_of_a_dose_is_403_and_writes_nothing(
    api, nurse, esketamine_course, unchanged
):
    session_id = esketamine_course.sessions[0].pk
    client = _checked_in_over_api(api, nurse, session_id)
    assert client.post(f"/sessions/{session_id}/clear", CLEAR).status_code == 200
    check = unchanged(DoseAdministration, SessionOverride, TreatmentSession)
    now = timezone.now()
    response = client.post(
        f"/sessions/{session_id}/dose",
        {
            "dose_mg": "56",
            "device_times": [(now - timedelta(minutes=5)).isoformat(), now.isoformat()],
            "lot_number": "LOT-1",
            "pulse_oximeter_available": True,
            "override": {"codes": ["prescriber_not_on_site"], "reason": "on the phone"},
        },
    )
    assert response.status_code == 403, response.content
    check()


def test_dose_with_the_wrong_number_of_devices_is_422_and_writes_nothing(
    api, nurse, prescriber, esketamine_course, unchanged
):
    session_id = esketamine_course.sessions[0].pk
    client = _checked_in_over_api(api, nurse, session_id)
    assert client.post(f"/sessions/{session_id}/clear", CLEAR).status_code == 200
    check = unchanged(DoseAdministration, TreatmentSession)
    response = api(prescriber).post(
        f"/sessions/{session_id}/dose",
        {
            "dose_mg": "56",
            "device_times": [timezone.now().isoformat()],
            "lot_number": "LOT-1",
            "pulse_oximeter_available": True,
        },
    )
    assert response.status_code == 422
    assert response.json()["code"] == "device_times_mismatch"
    check()


def test_session_read_shows_state_blockers_and_timeline(api, nurse, esketamine_course):
    session_id = esketamine_course.sessions[0].pk
    _checked_in_over_api(api, nurse, session_id)
    body = api(nurse).get(f"/sessions/{session_id}").json()
    assert body["state"] == "checked_in"
    assert {b["code"] for b in body["blockers"]} == {"ride_home_missing"}
    assert {a["code"] for a in body["acknowledgments"]} == {"npo_not_confirmed"}
    assert [e["kind"] for e in body["timeline"]][:2] == ["scheduled", "checked_in"]


def test_outsider_gets_404_for_a_session_even_with_a_valid_body(api, outsider, esketamine_course):
    session_id = esketamine_course.sessions[0].pk
    assert api(outsider).get(f"/sessions/{session_id}").status_code == 404
    assert api(outsider).post(f"/sessions/{session_id}/check-in", {}).status_code == 404


def test_rems_form_is_404_before_discharge(api, nurse, esketamine_course):
    session_id = esketamine_course.sessions[0].pk
    assert api(nurse).get(f"/sessions/{session_id}/rems-form").status_code == 404
    assert api(nurse).get("/rems-forms/pending").json() == []
