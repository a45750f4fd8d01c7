"""Minimum necessary, as the clinic lives it (issue 14.2): front desk registers and checks in
without reading anything clinical; a therapist reads what therapy needs and not the
treatment record. Refused in the selectors themselves, not only at the routes."""

from __future__ import annotations

import pytest
from tests.support.clinic_records import alert, evaluation, plan_component, session

from ketacare.accounts.permissions import PermissionDenied


@pytest.fixture
def scored(nurse, patient):
    """A PHQ-9 with item 9 answered 1 (an open safety alert)."""
    return alert(nurse, patient)


@pytest.fixture
def scheduled(prescriber, patient):
    return session(prescriber, patient)


def test_front_desk_cannot_read_phq9_answers_through_the_api_or_the_selector(
    api, frontdesk, patient, scored
):
    from ketacare.measures.selectors import list_assessments_for_patient

    response = api(frontdesk).get(f"/patients/{patient.pk}/assessments")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    with pytest.raises(PermissionDenied):
        list_assessments_for_patient(frontdesk, patient.pk)


def test_front_desk_reads_demographics_and_consent_status(api, frontdesk, patient):
    client = api(frontdesk)
    assert client.get(f"/patients/{patient.pk}").json()["mrn"] == patient.mrn
    assert client.get(f"/patients/{patient.pk}/consents").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/patients/{p}/assessments/due",
        "/patients/{p}/outcomes",
        "/patients/{p}/maintenance",
        "/patients/{p}/evaluations/latest",
        "/patients/{p}/plan",
        "/patients/{p}/recommendation",
        "/patients/{p}/prior-treatments",
        "/patients/{p}/treatment-preferences",
        "/rems-forms/pending",
        "/maintenance/due",
        "/alerts",
    ],
)
def test_front_desk_is_refused_every_clinical_read(api, frontdesk, patient, path):
    response = api(frontdesk).get(path.format(p=patient.pk))
    assert response.status_code == 403, path


def test_front_desk_sees_the_appointment_not_the_session_record(api, frontdesk, nurse, scheduled):
    appointment = api(frontdesk).get(f"/sessions/{scheduled.pk}").json()
    assert appointment["view"] == "appointment"
    assert appointment["state"] == "scheduled"
    assert appointment["allowed_next"] == ["cancelled", "checked_in"]
    assert appointment["dose"] is None
    assert appointment["same_day_screening"] is None
    empty = ("vitals", "observations", "adverse_events", "safety_assessments", "timeline")
    assert all(appointment[key] == [] for key in empty)
    full = api(nurse).get(f"/sessions/{scheduled.pk}").json()
    assert full["view"] == "full"
    assert full["same_day_screening"] is not None


def test_front_desk_checks_in_and_the_answer_stays_an_appointment(api, frontdesk, scheduled):
    response = api(frontdesk).post(f"/sessions/{scheduled.pk}/check-in", {})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "checked_in"
    assert response.json()["view"] == "appointment"


def test_front_desk_chart_shows_demographics_and_consent_only(
    client, frontdesk, patient, scored, scheduled, prescriber
):
    evaluation(prescriber, patient)
    client.force_login(frontdesk)
    body = client.get(f"/patients/{patient.pk}/").content.decode()
    assert patient.mrn in body
    assert "Consent" in body
    for clinical in ("Scores, outcomes and maintenance", "Diagnoses", "Treatment plan"):
        assert clinical not in body
    assert "data-verdict=" not in body
    assert 'data-alert-code="phq9_item9_positive"' not in body
    # The appointments, with the run sheet to check in from; no dose column.
    assert "Appointments" in body
    assert f'href="/sessions/{scheduled.pk}/"' in body
    assert '<th scope="col">Dose</th>' not in body


def test_front_desk_run_sheet_and_board_show_no_clinical_record(client, frontdesk, scheduled):
    client.force_login(frontdesk)
    sheet = client.get(f"/sessions/{scheduled.pk}/").content.decode()
    assert "Check in" in sheet
    assert "Timeline" not in sheet
    assert "Readings" not in sheet
    board = client.get("/board/").content.decode()
    assert scheduled.patient.family_name in board
    assert "REMS forms to submit" not in board
    assert 'id="due-title"' not in board


def test_therapist_reads_scores_plan_and_notes_but_not_the_treatment_record(
    api, therapist, patient, scored, scheduled, prescriber
):
    plan_component(therapist, patient)
    evaluation(prescriber, patient)
    client = api(therapist)
    assert client.get(f"/patients/{patient.pk}/assessments").status_code == 200
    assert client.get(f"/patients/{patient.pk}/outcomes").status_code == 200
    assert client.get(f"/patients/{patient.pk}/plan").status_code == 200
    assert client.get(f"/patients/{patient.pk}/prior-treatments").status_code == 200
    assert client.get("/alerts").status_code == 200
    for path in (
        f"/patients/{patient.pk}/evaluations/latest",
        f"/patients/{patient.pk}/recommendation",
        "/rems-forms/pending",
        "/inventory/ledger",
    ):
        assert client.get(path).status_code == 403, path
    assert client.get(f"/sessions/{scheduled.pk}").json()["view"] == "appointment"


def test_fhir_gives_clinical_resources_to_the_treatment_record_readers_only(
    frontdesk, therapist, nurse, patient, scored
):
    from tests.support.fhir_client import FhirClient

    for user, status in ((frontdesk, 403), (therapist, 403), (nurse, 200)):
        response = FhirClient(user).get("Observation", patient=str(patient.pk))
        assert response.status_code == status, user.role
        assert FhirClient(user).get(f"Patient/{patient.pk}").status_code == 200


def test_clinic_admin_reads_demographics_not_scores(api, clinic_admin, patient, scored):
    client = api(clinic_admin)
    assert client.get(f"/patients/{patient.pk}").status_code == 200
    assert client.get(f"/patients/{patient.pk}/assessments").status_code == 403
