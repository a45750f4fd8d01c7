"""Consent pages: signing the version in force (typed name, signed-in witness), the consent
page, withdrawal with a reason and a confirmation step, the chart panel's status per route,
and publishing consent document versions (clinic admins only)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ketacare.consent.models import ConsentDocumentVersion, ConsentSignature
from ketacare.consent.services import publish_consent_version, sign_consent, withdraw_consent

IV_TEXT = "IV ketamine consent: infusion, blood pressure rise, dissociation."


def publish(admin, *, days_ago=100, material=False, body=IV_TEXT, route="iv"):
    return publish_consent_version(
        actor=admin,
        route=route,
        title=f"Consent to {route} ketamine treatment",
        body=body,
        effective_at=timezone.now() - timedelta(days=days_ago),
        material_change=material,
    )


@pytest.fixture
def iv_v1(clinic_admin):
    return publish(clinic_admin)


def sign_url(patient):
    return f"/patients/{patient.pk}/consents/sign/"


def sign_form(version, **changes):
    data = {
        "route": "iv",
        "version_id": str(version.pk),
        "has_read": "on",
        "typed_name": "Avery Alvarez",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_sign_page_shows_the_full_text_in_force_for_the_chosen_route(client, nurse, patient, iv_v1):
    client.force_login(nurse)
    body = client.get(sign_url(patient), {"route": "iv"}).content.decode()
    assert IV_TEXT in body
    assert f'name="version_id" value="{iv_v1.pk}"' in body
    assert "<legend>Route" in body
    assert "Witness: <strong>nurse_a</strong>" in body


def test_choosing_a_route_with_htmx_returns_only_the_document_region(client, nurse, patient, iv_v1):
    client.force_login(nurse)
    body = client.get(sign_url(patient), {"route": "iv"}, HTTP_HX_REQUEST="true").content.decode()
    assert IV_TEXT in body
    assert "<html" not in body
    assert 'id="document"' in body


def test_nurse_records_a_signature_as_witness_and_sees_the_confirmation(
    client, nurse, patient, iv_v1
):
    client.force_login(nurse)
    response = client.post(sign_url(patient), sign_form(iv_v1))
    signature = ConsentSignature.objects.get(patient=patient)
    assert response.status_code == 302
    assert response["Location"] == f"/consents/{signature.pk}/"
    assert (signature.witness_id, signature.signed_text_snapshot) == (nurse.pk, IV_TEXT)
    page = client.get(response["Location"]).content.decode()
    assert "Consent recorded." in page
    assert "Avery Alvarez" in page


def test_typed_name_mismatch_is_shown_next_to_the_name_and_keeps_what_was_typed(
    client, nurse, patient, iv_v1, unchanged
):
    check = unchanged(ConsentSignature)
    client.force_login(nurse)
    body = client.post(sign_url(patient), sign_form(iv_v1, typed_name="Avery Alvares")).content
    body = body.decode()
    assert 'id="id_typed_name_error"' in body
    assert "must match the patient&#x27;s registered name" in body
    assert 'value="Avery Alvares"' in body
    assert IV_TEXT in body  # the text stays on the page
    check()


def test_missing_answers_are_shown_next_to_each_field(client, nurse, patient, iv_v1, unchanged):
    check = unchanged(ConsentSignature)
    client.force_login(nurse)
    body = client.post(
        sign_url(patient), sign_form(iv_v1, has_read=None, typed_name="")
    ).content.decode()
    assert 'id="id_has_read_error"' in body
    assert 'id="id_typed_name_error"' in body
    check()


def test_signing_a_version_superseded_while_reading_shows_the_api_blocker_and_the_new_text(
    client, nurse, clinic_admin, patient, iv_v1, unchanged
):
    client.force_login(nurse)
    v2 = publish(clinic_admin, days_ago=1, body="IV consent, version 2.", material=True)
    check = unchanged(ConsentSignature)
    body = client.post(sign_url(patient), sign_form(iv_v1)).content.decode()
    assert 'data-code="consent_version_not_current"' in body
    assert f'name="version_id" value="{v2.pk}"' in body
    assert "IV consent, version 2." in body
    check()


def test_front_desk_cannot_record_consent(client, frontdesk, patient, iv_v1, unchanged):
    check = unchanged(ConsentSignature)
    client.force_login(frontdesk)
    assert client.get(sign_url(patient)).status_code == 403
    assert client.post(sign_url(patient), sign_form(iv_v1)).status_code == 403
    check()


def test_other_clinic_clinician_gets_not_found_for_signing(
    client, outsider, patient, iv_v1, unchanged
):
    check = unchanged(ConsentSignature)
    client.force_login(outsider)
    assert client.get(sign_url(patient)).status_code == 404
    assert client.post(sign_url(patient), sign_form(iv_v1)).status_code == 404
    check()


@pytest.fixture
def signed(nurse, patient, iv_v1):
    return sign_consent(actor=nurse, patient=patient, version=iv_v1, typed_name="Avery Alvarez")


def test_withdrawal_asks_for_confirmation_before_recording(client, prescriber, signed, unchanged):
    client.force_login(prescriber)
    url = f"/consents/{signed.pk}/withdraw/"
    check = unchanged(ConsentSignature)
    reason = "Patient no longer wishes to continue."
    step = client.post(url, {"reason": reason}).content.decode()
    assert "Confirm withdrawal" in step
    assert 'name="confirm" value="yes"' in step
    signed.refresh_from_db()
    assert signed.withdrawn_at is None
    check()
    response = client.post(url, {"reason": reason, "confirm": "yes"})
    assert response.status_code == 302
    signed.refresh_from_db()
    assert signed.withdrawal_reason == reason
    assert signed.withdrawn_by_id == prescriber.pk


def test_blank_withdrawal_reason_is_an_error_next_to_the_field(client, nurse, signed, unchanged):
    check = unchanged(ConsentSignature)
    client.force_login(nurse)
    body = client.post(
        f"/consents/{signed.pk}/withdraw/", {"reason": " ", "confirm": "yes"}
    ).content.decode()
    assert 'id="id_reason_error"' in body
    signed.refresh_from_db()
    assert signed.withdrawn_at is None
    check()


def test_withdrawing_twice_shows_the_api_blocker(client, nurse, signed, unchanged):
    withdraw_consent(actor=nurse, signature=signed, reason="Changed mind.")
    check = unchanged(ConsentSignature)
    client.force_login(nurse)
    body = client.post(
        f"/consents/{signed.pk}/withdraw/", {"reason": "Again.", "confirm": "yes"}
    ).content.decode()
    assert 'data-code="consent_already_withdrawn"' in body
    check()


def test_therapist_cannot_withdraw_and_outsider_gets_not_found(client, therapist, outsider, signed):
    client.force_login(therapist)
    assert client.get(f"/consents/{signed.pk}/withdraw/").status_code == 403
    assert "Record withdrawal" not in client.get(f"/consents/{signed.pk}/").content.decode()
    client.force_login(outsider)
    assert client.get(f"/consents/{signed.pk}/").status_code == 404
    assert client.post(f"/consents/{signed.pk}/withdraw/", {"reason": "x"}).status_code == 404


def test_chart_panel_shows_status_per_route_and_signatures(
    client, nurse, clinic_admin, patient, signed
):
    publish(clinic_admin, route="intranasal", body="Esketamine consent.")
    client.force_login(nurse)
    body = client.get(f"/patients/{patient.pk}/").content.decode()
    assert 'data-route="iv" data-code="consent_valid"' in body
    assert 'data-route="intranasal" data-code="consent_missing"' in body
    assert f"/consents/{signed.pk}/" in body
    assert f"/patients/{patient.pk}/consents/sign/?route=intranasal" in body


def test_chart_panel_shows_re_consent_needed_after_a_material_change(
    client, nurse, clinic_admin, patient, signed
):
    publish(clinic_admin, days_ago=1, body="IV consent v2: new risk.", material=True)
    client.force_login(nurse)
    body = client.get(f"/patients/{patient.pk}/").content.decode()
    assert 'data-route="iv" data-code="consent_superseded"' in body
    assert "re-consent needed" in body


def _chart_queries(client, patient_id):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/patients/{patient_id}/").status_code == 200
    return len(ctx.captured_queries)


def test_chart_query_count_does_not_grow_with_consents(
    client, nurse, clinic_admin, patient, signed
):
    client.force_login(nurse)
    _chart_queries(client, patient.pk)  # warm session and caches
    one = _chart_queries(client, patient.pk)
    for i in range(14):
        version = publish(clinic_admin, days_ago=90 - i, body=f"IV consent v{i + 2}.")
        signature = sign_consent(
            actor=nurse, patient=patient, version=version, typed_name="Avery Alvarez"
        )
        if i % 2:
            withdraw_consent(actor=nurse, signature=signature, reason="Changed mind.")
    assert ConsentSignature.objects.filter(patient=patient).count() == 15
    assert _chart_queries(client, patient.pk) == one


# --- Consent documents (clinic admins) ------------------------------------------------------

DOCS_URL = "/admin-pages/consent-documents/"


def version_form(**changes):
    data = {
        "route": "iv",
        "title": "Consent to IV ketamine treatment",
        "body": "IV consent, version 2.",
        "effective_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_admin_sees_versions_and_publishes_a_material_change(client, clinic_admin, iv_v1):
    client.force_login(clinic_admin)
    page = client.get(DOCS_URL).content.decode()
    assert IV_TEXT in page
    assert "every patient must re-consent" in page
    response = client.post(DOCS_URL, version_form(material_change="on"))
    assert response.status_code == 302
    v2 = ConsentDocumentVersion.objects.get(version_number=2)
    assert v2.material_change is True


def test_version_taking_effect_before_the_previous_one_is_an_error_next_to_the_date(
    client, clinic_admin, iv_v1, unchanged
):
    check = unchanged(ConsentDocumentVersion)
    client.force_login(clinic_admin)
    early = (timezone.localtime() - timedelta(days=200)).strftime("%Y-%m-%dT%H:%M")
    body = client.post(DOCS_URL, version_form(effective_at=early, body="Kept text")).content
    body = body.decode()
    assert 'id="id_effective_at_error"' in body
    assert "Kept text" in body
    check()


@pytest.mark.parametrize("role", ["prescriber", "nurse", "frontdesk"])
def test_only_clinic_admins_open_the_consent_documents_page(client, people, role, unchanged):
    check = unchanged(ConsentDocumentVersion)
    client.force_login(people[role])
    assert client.get(DOCS_URL).status_code == 403
    assert client.post(DOCS_URL, version_form()).status_code == 403
    check()
