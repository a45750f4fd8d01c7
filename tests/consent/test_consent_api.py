"""Consent API: shapes, status codes (201/200, 403, 404, 409, 422) and error codes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ketacare.consent.models import ConsentDocumentVersion, ConsentSignature


def _version_body(**changes):
    body = {
        "route": "iv",
        "title": "Consent to IV ketamine treatment",
        "body": "What IV ketamine involves and its risks.",
        "effective_at": (timezone.now() - timedelta(days=30)).isoformat(),
        "material_change": False,
    }
    body.update(changes)
    return body


@pytest.fixture
def version_id(api, clinic_admin):
    response = api(clinic_admin).post("/consent-documents", _version_body())
    assert response.status_code == 201, response.content
    return response.json()["id"]


@pytest.fixture
def consent(api, nurse, patient, version_id):
    response = api(nurse).post(
        f"/patients/{patient.pk}/consents",
        {"version_id": version_id, "typed_name": "Avery Alvarez"},
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_admin_publishes_a_version_and_staff_list_documents_with_versions(
    api, clinic_admin, nurse, version_id
):
    response = api(nurse).get("/consent-documents")
    assert response.status_code == 200
    [document] = response.json()
    assert document["route"] == "iv"
    assert [v["id"] for v in document["versions"]] == [version_id]
    assert document["versions"][0]["version_number"] == 1


def test_prescriber_cannot_publish_consent_documents(api, prescriber):
    response = api(prescriber).post("/consent-documents", _version_body())
    assert response.status_code == 403


def test_naive_effective_time_is_refused_with_422(api, clinic_admin):
    response = api(clinic_admin).post(
        "/consent-documents", _version_body(effective_at="2025-01-01T09:00:00")
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"


def test_signing_returns_the_consent_with_the_snapshot_and_witness(consent, nurse, patient):
    assert consent["patient_id"] == patient.pk
    assert consent["witness_id"] == nurse.pk
    assert consent["route"] == "iv"
    assert consent["version_number"] == 1
    assert consent["signed_text_snapshot"] == "What IV ketamine involves and its risks."
    assert consent["withdrawn_at"] is None


def test_patient_consents_show_signatures_and_status_per_route(api, therapist, patient, consent):
    response = api(therapist).get(f"/patients/{patient.pk}/consents")
    assert response.status_code == 200
    body = response.json()
    assert [s["id"] for s in body["signatures"]] == [consent["id"]]
    assert body["status"] == [
        {
            "route": "iv",
            "valid": True,
            "code": "consent_valid",
            "message": body["status"][0]["message"],
            "signature_id": consent["id"],
            "signed_version_number": 1,
        }
    ]


def test_typed_name_mismatch_is_422_and_writes_nothing(api, nurse, patient, version_id, unchanged):
    check = unchanged(ConsentSignature)
    response = api(nurse).post(
        f"/patients/{patient.pk}/consents", {"version_id": version_id, "typed_name": "Someone"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "consent_typed_name_mismatch"
    check()


def test_signing_a_superseded_version_is_409_with_the_blocker(
    api, clinic_admin, nurse, patient, version_id, unchanged
):
    newer = api(clinic_admin).post(
        "/consent-documents",
        _version_body(effective_at=(timezone.now() - timedelta(days=1)).isoformat()),
    )
    assert newer.status_code == 201
    check = unchanged(ConsentSignature, ConsentDocumentVersion)
    response = api(nurse).post(
        f"/patients/{patient.pk}/consents",
        {"version_id": version_id, "typed_name": "Avery Alvarez"},
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "consent_version_not_current"
    assert [b["code"] for b in body["details"]["blockers"]] == ["consent_version_not_current"]
    check()


def test_withdraw_then_withdraw_again_is_409(api, nurse, patient, consent):
    url = f"/consents/{consent['id']}/withdraw"
    first = api(nurse).post(url, {"reason": "Patient asked to stop"})
    assert first.status_code == 200
    assert first.json()["withdrawal_reason"] == "Patient asked to stop"
    second = api(nurse).post(url, {"reason": "again"})
    assert second.status_code == 409
    assert second.json()["code"] == "consent_already_withdrawn"
    status = api(nurse).get(f"/patients/{patient.pk}/consents").json()["status"]
    assert status[0]["code"] == "consent_withdrawn"


def test_withdraw_without_reason_is_422(api, nurse, consent):
    response = api(nurse).post(f"/consents/{consent['id']}/withdraw", {"reason": ""})
    assert response.status_code == 422


def test_outsider_gets_404_for_patient_consents_and_consent_withdrawal(
    api, outsider, patient, consent, version_id
):
    client = api(outsider)
    assert client.get(f"/patients/{patient.pk}/consents").status_code == 404
    assert client.post(f"/consents/{consent['id']}/withdraw", {"reason": "x"}).status_code == 404
    signed = client.post(
        f"/patients/{patient.pk}/consents",
        {"version_id": version_id, "typed_name": "Avery Alvarez"},
    )
    assert signed.status_code == 404


def test_signing_another_clinics_version_is_404(api, clinic_b, nurse, patient):
    from ketacare.accounts.models import Role
    from ketacare.accounts.services import create_user

    admin_b = create_user(
        actor=None,
        clinic=clinic_b,
        username="admin_b",
        password="correct horse battery",
        role=Role.CLINIC_ADMIN,
        validate=False,
    )
    foreign = api(admin_b).post("/consent-documents", _version_body())
    assert foreign.status_code == 201
    response = api(nurse).post(
        f"/patients/{patient.pk}/consents",
        {"version_id": foreign.json()["id"], "typed_name": "Avery Alvarez"},
    )
    assert response.status_code == 404
