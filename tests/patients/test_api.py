from ketacare.audit.models import AuditEntry
from ketacare.patients.models import MedicationTrial, Patient

NEW_PATIENT = {
    "given_name": "Quinn",
    "family_name": "Larsen",
    "date_of_birth": "1985-03-04",
    "sex": "female",
}


def test_front_desk_registers_a_patient_and_reads_it_back(api, frontdesk):
    client = api(frontdesk)
    created = client.post("/patients", NEW_PATIENT)
    assert created.status_code == 201, created.content
    body = created.json()
    fetched = client.get(f"/patients/{body['id']}")
    assert fetched.status_code == 200
    assert fetched.json()["mrn"] == body["mrn"]


def test_invalid_patient_is_422_with_the_error_shape_and_writes_nothing(api, frontdesk, unchanged):
    check = unchanged(Patient)
    response = api(frontdesk).post("/patients", {**NEW_PATIENT, "sex": "robot"})
    assert response.status_code == 422
    body = response.json()
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == "invalid_input"
    assert "sex" in body["message"]
    check()


def test_unknown_field_is_refused(api, frontdesk, unchanged):
    check = unchanged(Patient)
    response = api(frontdesk).post("/patients", {**NEW_PATIENT, "clinic": 99})
    assert response.status_code == 422
    check()


def test_patch_changes_only_the_fields_sent(api, frontdesk, patient):
    response = api(frontdesk).patch(f"/patients/{patient.pk}", {"phone": "555-0142"})
    assert response.status_code == 200
    assert response.json()["phone"] == "555-0142"
    assert response.json()["family_name"] == "Alvarez"


def test_patch_cannot_blank_a_required_field(api, frontdesk, patient, unchanged):
    check = unchanged(Patient)
    response = api(frontdesk).patch(f"/patients/{patient.pk}", {"family_name": None})
    assert response.status_code == 422
    check()


def test_medication_trial_endpoint_records_the_trial(api, prescriber, patient):
    response = api(prescriber).post(
        f"/patients/{patient.pk}/medication-trials",
        {
            "drug": "escitalopram",
            "dose_mg_per_day": "20",
            "weeks": 8,
            "adherence": "good",
            "adequate": True,
            "outcome": "no_response",
        },
    )
    assert response.status_code == 201, response.content
    assert MedicationTrial.objects.get().drug == "escitalopram"


def test_negative_trial_dose_is_refused_and_nothing_is_recorded(
    api, prescriber, patient, unchanged
):
    check = unchanged(MedicationTrial)
    response = api(prescriber).post(
        f"/patients/{patient.pk}/medication-trials",
        {
            "drug": "escitalopram",
            "dose_mg_per_day": "-5",
            "weeks": 8,
            "adherence": "good",
            "adequate": True,
            "outcome": "no_response",
        },
    )
    assert response.status_code == 422
    check()


def test_outsider_gets_404_for_another_clinics_patient(api, outsider, patient):
    assert api(outsider).get(f"/patients/{patient.pk}").status_code == 404
    assert api(outsider).patch(f"/patients/{patient.pk}", {"phone": "1"}).status_code == 404


def test_huge_ids_are_a_client_error_not_a_crash(api, nurse):
    assert api(nurse).get(f"/patients/{10**30}").status_code == 422


def test_anonymous_caller_gets_401(api, patient):
    response = api(None).get(f"/patients/{patient.pk}")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_api_reads_are_audited_with_channel_and_address(api, nurse, patient):
    api(nurse).get(f"/patients/{patient.pk}")
    entry = AuditEntry.objects.filter(action="read").latest("id")
    assert entry.channel == "api"
    assert entry.ip_address == "127.0.0.1"
