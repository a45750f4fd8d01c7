from datetime import date

from ketacare.patients.models import Patient


def test_front_desk_searches_patients_by_name(client, frontdesk, patient):
    client.force_login(frontdesk)
    response = client.get("/patients/", {"q": "alva"})
    assert response.status_code == 200
    assert b"Alvarez, Avery" in response.content


def test_search_with_htmx_returns_only_the_results_region(client, frontdesk, patient):
    client.force_login(frontdesk)
    response = client.get("/patients/", {"q": "zzz"}, HTTP_HX_REQUEST="true")
    assert b"No patients match." in response.content
    assert b"<html" not in response.content


def test_registration_form_shows_errors_next_to_fields_and_keeps_what_was_typed(
    client, frontdesk, unchanged
):
    check = unchanged(Patient)
    client.force_login(frontdesk)
    response = client.post(
        "/patients/new/",
        {"given_name": "Rowan", "family_name": "", "date_of_birth": "2999-01-01", "sex": "male"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="id_family_name_error"' in body
    assert 'value="Rowan"' in body
    check()


def test_registration_with_a_future_birth_date_shows_the_service_message(
    client, frontdesk, unchanged
):
    check = unchanged(Patient)
    client.force_login(frontdesk)
    response = client.post(
        "/patients/new/",
        {"given_name": "Rowan", "family_name": "Ito", "date_of_birth": "2999-01-01", "sex": "male"},
    )
    assert "Date of birth cannot be in the future." in response.content.decode()
    check()


def test_registration_redirects_to_the_new_chart(client, frontdesk):
    client.force_login(frontdesk)
    response = client.post(
        "/patients/new/",
        {"given_name": "Rowan", "family_name": "Ito", "date_of_birth": "1990-01-01", "sex": "male"},
    )
    patient = Patient.objects.get(family_name="Ito")
    assert response.status_code == 302
    assert response["Location"] == f"/patients/{patient.pk}/"


def test_researcher_is_refused_the_patient_list(client, researcher):
    client.force_login(researcher)
    assert client.get("/patients/").status_code == 403


def test_patient_login_cannot_open_staff_pages(client, patient_user):
    client.force_login(patient_user)
    assert client.get("/patients/").status_code == 403


def test_edit_demographics_page_updates_and_audits(client, frontdesk, patient):
    client.force_login(frontdesk)
    response = client.post(
        f"/patients/{patient.pk}/edit/",
        {
            "given_name": "Avery",
            "family_name": "Alvarez",
            "date_of_birth": date(1980, 5, 17),
            "sex": "female",
            "phone": "555-0177",
        },
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.phone == "555-0177"
