"""CDS Hooks 2.0 FHIR resource access: when the CDS client sends no prefetch (or a null key),
the service reads it from ``fhirServer`` with ``fhirAuthorization``; here KetaCare's own FHIR
server, running as the EHR (live_server), plays that part. 412 only when the data cannot be
obtained; an unusable fhirServer/fhirAuthorization is a 400."""

from __future__ import annotations

import json
import uuid

import pytest

URL = "/cds-services/ketacare-treatment-recommendation"


def _body(patient_id, *, server=None, token=None, prefetch=None):
    body = {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/1", "patientId": patient_id},
    }
    if server is not None:
        body["fhirServer"] = server
    if token is not None:
        body["fhirAuthorization"] = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "user/*.read",
            "subject": "cds-service",
        }
    if prefetch is not None:
        body["prefetch"] = prefetch
    return body


@pytest.fixture
def call(client, cds_client_keys):
    def post(body):
        return client.post(
            URL,
            json.dumps(body),
            content_type="application/json",
            headers=cds_client_keys.headers(f"http://testserver{URL}"),
        )

    return post


@pytest.fixture
def ehr_fhir(live_server, settings, prescriber, trd_patient):
    from ketacare.accounts.services import issue_api_token

    settings.KETACARE_CDS_HOOKS_ALLOW_HTTP_FHIR = True
    return f"{live_server.url}/fhir", issue_api_token(user=prescriber), str(trd_patient.pk)


@pytest.mark.django_db(transaction=True)
def test_no_prefetch_is_fetched_from_the_ehrs_fhir_server(call, ehr_fhir):
    server, token, patient_id = ehr_fhir
    response = call(_body(patient_id, server=server, token=token))
    assert response.status_code == 200, response.content
    cards = response.json()["cards"]
    assert cards
    # The two recorded failed trials came through MedicationStatement: the TRD minimum is met.
    assert not any(c["summary"].startswith("No ketamine or neurostimulation") for c in cards)


@pytest.mark.django_db(transaction=True)
def test_null_prefetch_keys_are_fetched_and_given_keys_kept(call, ehr_fhir):
    server, token, patient_id = ehr_fhir
    prefetch = {"patient": None, "conditions": None, "observations": None, "medications": None}
    response = call(_body(patient_id, server=server, token=token, prefetch=prefetch))
    assert response.status_code == 200, response.content


@pytest.mark.django_db(transaction=True)
def test_without_a_token_the_fhir_server_refuses_and_the_answer_is_412(call, ehr_fhir):
    server, _token, patient_id = ehr_fhir
    response = call(_body(patient_id, server=server))
    assert response.status_code == 412
    assert set(response.json()["details"]["missing"]) >= {"patient", "conditions"}


@pytest.mark.django_db(transaction=True)
def test_an_unknown_patient_cannot_be_obtained_and_is_412(call, ehr_fhir):
    server, token, _patient_id = ehr_fhir
    assert call(_body("999999", server=server, token=token)).status_code == 412


def test_an_unreachable_fhir_server_is_412_within_the_time_budget(call, settings, db):
    import time

    settings.KETACARE_CDS_HOOKS_ALLOW_HTTP_FHIR = True
    start = time.monotonic()
    response = call(_body("1", server="http://127.0.0.1:9/fhir", token="t"))
    assert response.status_code == 412
    assert time.monotonic() - start < 15


@pytest.mark.parametrize(
    "change",
    [
        {"fhirAuthorization": {"access_token": "t", "token_type": "Bearer"}},  # no fhirServer
        {"fhirServer": "http://ehr.example/fhir"},  # not https
        {"fhirServer": "ftp://ehr.example/fhir"},
        {"fhirServer": 5},
        {"fhirServer": "https://ehr.example/fhir", "fhirAuthorization": "token"},
        {"fhirServer": "https://ehr.example/fhir", "fhirAuthorization": {"token_type": "Bearer"}},
    ],
)
def test_an_unusable_fhir_server_or_authorization_is_400(call, db, change):
    body = {**_body("1"), **change}
    assert call(body).status_code == 400


def test_a_fhir_server_outside_the_clients_allowlist_is_400(call, db, settings, cds_client_keys):
    conf = settings.KETACARE_CDS_HOOKS_CLIENTS[cds_client_keys.iss]
    conf["fhir_servers"] = ["https://ehr.example/fhir"]
    body = _body("1", server="https://elsewhere.example/fhir", token="t")
    assert call(body).status_code == 400
