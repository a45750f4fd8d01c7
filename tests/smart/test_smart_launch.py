"""SMART App Launch 2.x against KetaCare's FHIR server: discovery, a patient's standalone
launch, a clinician's EHR launch from the chart, and what is refused."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from jwcrypto import jwk, jwt
from oauth2_provider.models import AccessToken
from tests.smart.conftest import (
    FHIR_BASE,
    approve,
    authorize_params,
    authorize_url,
    exchange,
    fhir_get,
    redirect_query,
)

from ketacare.audit.models import AuditAction, AuditEntry
from ketacare.smart.models import SmartLaunch


def signed_in(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


@pytest.fixture
def other_patient(prescriber):
    from datetime import date

    from ketacare.patients.services import register_patient

    return register_patient(
        actor=prescriber,
        given_name="Blake",
        family_name="Brennan",
        date_of_birth=date(1975, 1, 2),
        sex="male",
        current_episode_onset=date(2025, 1, 1),
    )


def test_discovery_names_the_endpoints_and_pkce_s256_only(db):
    for path in ("/fhir/.well-known/smart-configuration", "/.well-known/smart-configuration"):
        response = Client().get(path)
        assert response.status_code == 200
        config = response.json()
        assert config["authorization_endpoint"] == "http://testserver/oauth2/authorize"
        assert config["token_endpoint"] == "http://testserver/oauth2/token"
        assert config["code_challenge_methods_supported"] == ["S256"]
        assert "plain" not in config["code_challenge_methods_supported"]
        for capability in (
            "launch-ehr",
            "launch-standalone",
            "client-public",
            "context-standalone-patient",
            "permission-v2",
            "sso-openid-connect",
        ):
            assert capability in config["capabilities"]
        assert Client().get(config["jwks_uri"]).json()["keys"]


def test_a_patient_launches_an_app_standalone_and_it_reads_only_her_record(
    mood_app, patient, patient_user, other_patient
):
    auth = authorize_params(mood_app, "launch/patient openid fhirUser patient/*.rs")
    browser = signed_in(patient_user)
    page = browser.get(authorize_url(auth))
    assert b"Mood tracker" in page.content
    assert b"Read and search all records of the patient in context" in page.content

    answer = approve(browser, auth)
    assert answer["state"] == [auth.state]
    status, tokens = exchange(mood_app, answer["code"][0], auth.verifier)

    assert status == 200, tokens
    assert tokens["token_type"] == "Bearer"
    assert tokens["patient"] == str(patient.pk)
    assert set(tokens["scope"].split()) == {"launch/patient", "openid", "fhirUser", "patient/*.rs"}
    assert "refresh_token" not in tokens  # neither offline_access nor online_access asked
    # The id_token, checked with the published key set by an independent JOSE library.
    keys = jwk.JWKSet.from_json(Client().get("/oauth2/.well-known/jwks.json").content)
    claims = json.loads(jwt.JWT(jwt=tokens["id_token"], key=keys).claims)
    assert claims["aud"] == mood_app.client_id
    assert claims["fhirUser"] == f"{FHIR_BASE}/Patient/{patient.pk}"

    token = tokens["access_token"]
    own = fhir_get(token, f"Patient/{patient.pk}")
    assert own.status_code == 200
    assert own.json()["id"] == str(patient.pk)
    assert fhir_get(token, f"Patient/{other_patient.pk}").status_code == 404
    listed = fhir_get(token, "Patient").json()
    assert [e["resource"]["id"] for e in listed.get("entry", [])] == [str(patient.pk)]


def test_a_clinician_launches_an_app_from_the_chart_for_that_patient(
    mood_app, prescriber, patient, other_patient
):
    browser = signed_in(prescriber)
    started = browser.post(f"/patients/{patient.pk}/smart-apps/{mood_app.pk}/launch")
    assert started.status_code == 302
    launched = redirect_query(started)
    assert launched["iss"] == [FHIR_BASE]
    launch_code = launched["launch"][0]

    auth = authorize_params(
        mood_app, "launch openid fhirUser patient/*.rs offline_access", launch=launch_code
    )
    answer = approve(browser, auth)
    status, tokens = exchange(mood_app, answer["code"][0], auth.verifier)
    assert status == 200, tokens
    assert tokens["patient"] == str(patient.pk)
    assert tokens["refresh_token"]
    assert tokens["expires_in"] == 3600  # an app acting for a clinician (a backend gets 300)
    keys = jwk.JWKSet.from_json(Client().get("/oauth2/.well-known/jwks.json").content)
    claims = json.loads(jwt.JWT(jwt=tokens["id_token"], key=keys).claims)
    assert claims["fhirUser"] == f"{FHIR_BASE}/Practitioner/{prescriber.pk}"

    assert fhir_get(tokens["access_token"], f"Patient/{patient.pk}").status_code == 200
    assert fhir_get(tokens["access_token"], f"Patient/{other_patient.pk}").status_code == 404

    # The refresh keeps the patient in context and ends the old pair.
    refreshed = Client().post("/oauth2/token", {
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
        "client_id": mood_app.client_id,
    }).json()  # fmt: skip
    assert refreshed["patient"] == str(patient.pk)
    assert fhir_get(refreshed["access_token"], f"Patient/{patient.pk}").status_code == 200
    assert fhir_get(tokens["access_token"], f"Patient/{patient.pk}").status_code == 401

    # The launch opened one authorization: the same code again is refused.
    again = authorize_params(mood_app, "launch openid patient/*.rs", launch=launch_code)
    refused = redirect_query(browser.get(authorize_url(again)))
    assert refused["error"] == ["invalid_request"]

    actions = set(AuditEntry.objects.filter(actor=prescriber).values_list("action", flat=True))
    assert {AuditAction.TOKEN_ISSUED, AuditAction.UPDATE, AuditAction.CREATE} <= actions


def test_a_clinicians_user_scope_reads_the_clinic_never_another_clinic(
    mood_app, prescriber, patient, other_patient, clinic_b
):
    from datetime import date

    from tests.conftest import make_user

    from ketacare.patients.services import register_patient

    elsewhere = register_patient(
        actor=make_user(clinic_b, "prescriber", "prescriber_b"),
        given_name="Casey", family_name="Cho", date_of_birth=date(1990, 3, 3),
        sex="female", current_episode_onset=date(2025, 2, 1),
    )  # fmt: skip
    auth = authorize_params(mood_app, "openid fhirUser user/*.rs")
    answer = approve(signed_in(prescriber), auth)
    _, tokens = exchange(mood_app, answer["code"][0], auth.verifier)
    assert "patient" not in tokens
    token = tokens["access_token"]
    assert fhir_get(token, f"Patient/{patient.pk}").status_code == 200
    assert fhir_get(token, f"Patient/{other_patient.pk}").status_code == 200
    assert fhir_get(token, f"Patient/{elsewhere.pk}").status_code == 404


def test_a_standalone_clinician_launch_asks_which_patient(mood_app, nurse, patient, clinic_b):
    auth = authorize_params(mood_app, "launch/patient patient/*.rs")
    browser = signed_in(nurse)
    page = browser.get(authorize_url(auth))
    assert b"Patient to open" in page.content
    answer = approve(browser, auth, patient=str(patient.pk))
    _, tokens = exchange(mood_app, answer["code"][0], auth.verifier)
    assert tokens["patient"] == str(patient.pk)


@pytest.mark.parametrize("role", ["frontdesk", "therapist", "nurse"])
def test_a_smart_token_reaches_no_further_than_the_users_own_role(mood_app, people, patient, role):
    """user/*.rs asks for everything; what comes back is what the role's own KetaCare token
    gets, resource type by resource type (the role matrix lives in accounts/permissions.py)."""
    from ketacare.accounts.services import issue_api_token

    user = next(u for u in people.values() if u.role == role)
    auth = authorize_params(mood_app, "user/*.rs")
    _, tokens = exchange(mood_app, approve(signed_in(user), auth)["code"][0], auth.verifier)
    own_token = issue_api_token(user=user, second_factor_at=timezone.now())
    for query in (f"Patient/{patient.pk}", f"Observation?patient={patient.pk}",
                  f"Condition?patient={patient.pk}", "AuditEvent"):  # fmt: skip
        smart = fhir_get(tokens["access_token"], query).status_code
        assert smart == fhir_get(own_token, query).status_code, (role, query)


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"aud": "https://elsewhere.example/fhir"}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"scope": "patient/*.cud"}, "invalid_scope"),
        ({"scope": "patient/Observation.rs?category=vital-signs"}, "invalid_scope"),
        ({"scope": "launch patient/*.rs", "launch": "not-a-launch"}, "invalid_request"),
    ],
)
def test_a_bad_authorization_request_is_sent_back_with_its_error(
    mood_app, prescriber, change, error
):
    auth = authorize_params(mood_app, "launch/patient patient/*.rs")
    auth.params.update(change)
    answer = redirect_query(signed_in(prescriber).get(authorize_url(auth)))
    assert answer["error"] == [error]
    assert answer["state"] == [auth.state]
    assert not AccessToken.objects.exists()


def test_pkce_is_required(mood_app, prescriber):
    auth = authorize_params(mood_app, "user/*.rs")
    del auth.params["code_challenge"], auth.params["code_challenge_method"]
    answer = redirect_query(signed_in(prescriber).get(authorize_url(auth)))
    assert answer["error"] == ["invalid_request"]


def test_a_patients_login_gets_no_user_scope(mood_app, patient_user):
    auth = authorize_params(mood_app, "user/*.rs")
    answer = redirect_query(signed_in(patient_user).get(authorize_url(auth)))
    assert answer["error"] == ["invalid_scope"]


def test_the_wrong_verifier_or_a_spent_code_gets_no_token(mood_app, prescriber):
    auth = authorize_params(mood_app, "user/*.rs")
    code = approve(signed_in(prescriber), auth)["code"][0]
    status, body = exchange(mood_app, code, "x" * 64)
    assert (status, body["error"]) == (400, "invalid_grant")
    auth2 = authorize_params(mood_app, "user/*.rs")
    code2 = approve(signed_in(prescriber), auth2)["code"][0]
    assert exchange(mood_app, code2, auth2.verifier)[0] == 200
    status, body = exchange(mood_app, code2, auth2.verifier)
    assert (status, body["error"]) == (400, "invalid_grant")


def test_denying_the_app_sends_access_denied_and_is_audited(mood_app, prescriber):
    auth = authorize_params(mood_app, "user/*.rs")
    browser = signed_in(prescriber)
    fields = {k: v for k, v in browser.get(authorize_url(auth)).context["form"].initial.items()
              if v is not None}  # fmt: skip
    answer = redirect_query(browser.post("/oauth2/authorize", fields))
    assert answer["error"] == ["access_denied"]
    assert AuditEntry.objects.filter(actor=prescriber, action=AuditAction.REFUSED).exists()


def test_signing_in_comes_first(mood_app):
    auth = authorize_params(mood_app, "user/*.rs")
    response = Client().get(authorize_url(auth))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_an_expired_or_revoked_token_is_refused(mood_app, prescriber, patient):
    auth = authorize_params(mood_app, "user/*.rs")
    _, tokens = exchange(mood_app, approve(signed_in(prescriber), auth)["code"][0], auth.verifier)
    token = tokens["access_token"]
    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    assert fhir_get(token, f"Patient/{patient.pk}").status_code == 401

    auth = authorize_params(mood_app, "user/*.rs")
    _, tokens = exchange(mood_app, approve(signed_in(prescriber), auth)["code"][0], auth.verifier)
    revoked = Client().post("/oauth2/revoke", {"token": tokens["access_token"],
                                               "client_id": mood_app.client_id})  # fmt: skip
    assert revoked.status_code == 200
    assert fhir_get(tokens["access_token"], f"Patient/{patient.pk}").status_code == 401


def test_a_launch_code_is_only_for_the_clinician_who_started_it(
    mood_app, prescriber, nurse, patient
):
    started = signed_in(prescriber).post(f"/patients/{patient.pk}/smart-apps/{mood_app.pk}/launch")
    code = redirect_query(started)["launch"][0]
    auth = authorize_params(mood_app, "launch patient/*.rs", launch=code)
    answer = redirect_query(signed_in(nurse).get(authorize_url(auth)))
    assert answer["error"] == ["invalid_request"]
    assert SmartLaunch.objects.get(code=code).used_at is None


def test_the_chart_offers_the_registered_apps_and_the_portal_does_not(
    mood_app, prescriber, patient, patient_user
):
    chart = signed_in(prescriber).get(f"/patients/{patient.pk}/")
    assert b"Open Mood tracker" in chart.content
    assert signed_in(prescriber).get(f"/patients/{patient.pk}/smart-apps").status_code == 200
    assert signed_in(patient_user).get(f"/patients/{patient.pk}/smart-apps").status_code == 403
    refused = signed_in(patient_user).post(
        f"/patients/{patient.pk}/smart-apps/{mood_app.pk}/launch"
    )
    assert refused.status_code == 403
    assert not SmartLaunch.objects.exists()


def test_the_capability_statement_names_smart_and_its_endpoints(db):
    from tests.support.fhir_schema import assert_valid_fhir

    statement = Client().get("/fhir/metadata").json()
    assert_valid_fhir(statement)
    security = statement["rest"][0]["security"]
    assert security["service"][0]["coding"][0]["code"] == "SMART-on-FHIR"
    uris = {e["url"]: e["valueUri"] for e in security["extension"][0]["extension"]}
    assert uris["authorize"] == "http://testserver/oauth2/authorize"
    assert uris["token"] == "http://testserver/oauth2/token"
