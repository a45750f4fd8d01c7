"""Passkeys on the web pages: enrol one at first sign-in (instead of the app), sign in with
it, confirm a step-up with it, list and remove it; a refused answer is a clear page error,
counted toward the lockout, with nothing changed. These drive the real pages with Django's
test client and a software authenticator answering the options each page carries."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from tests.support.soft_authenticator import SoftAuthenticator

from ketacare.accounts import passkeys as pk
from ketacare.accounts.models import Passkey
from ketacare.audit.models import AuditEntry

PASSWORD = "correct horse battery"
ORIGIN = "http://testserver"  # the test client's host, as the request gives it


@pytest.fixture(autouse=True)
def _relying_party(settings):
    settings.WEBAUTHN_RP_ID = "localhost"
    settings.WEBAUTHN_ORIGINS = []


def page_options(response) -> str:
    """The options the page hands passkeys.js (its application/json script element)."""
    found = re.search(
        rb'<script id="passkey-options" type="application/json">(.*?)</script>',
        response.content,
        re.S,
    )
    assert found, "the page carries no passkey options"
    return json.dumps(json.loads(found.group(1)))


def password_step(client: Client, username: str, next_path: str = "/"):
    return client.post("/login/", {"username": username, "password": PASSWORD, "next": next_path})


@pytest.fixture
def client(nurse) -> Client:
    """The nurse (who has the authenticator app), fully signed in."""
    signed_in = Client()
    signed_in.force_login(nurse)
    return signed_in


@pytest.fixture
def new_nurse(clinic_a, make_login):
    return make_login(clinic_a, "nurse", "nurse_new", second_factor=False)


def enrol_at_first_sign_in(client: Client, key: SoftAuthenticator, name="Blue key"):
    assert password_step(client, "nurse_new")["Location"].startswith("/login/enrol/")
    page = client.get("/login/enrol/")
    assert page.status_code == 200
    answer = key.create(page_options(page), origin=ORIGIN)
    return client.post(
        "/login/enrol/", {"action": "add_passkey", "name": name, "credential": answer, "next": "/"}
    )


def test_first_sign_in_enrols_a_passkey_instead_of_the_app(new_nurse):
    client = Client()
    done = enrol_at_first_sign_in(client, SoftAuthenticator())
    assert done.status_code == 200
    assert b"Your recovery codes" in done.content
    assert client.get("/patients/").status_code == 200  # fully signed in
    assert Passkey.objects.get(user=new_nurse).name == "Blue key"


def test_the_next_sign_in_asks_for_the_passkey_and_it_gets_in(new_nurse):
    key = SoftAuthenticator()
    enrol_at_first_sign_in(Client(), key)
    client = Client()
    assert password_step(client, "nurse_new", "/patients/")["Location"].startswith(
        "/login/second-factor/"
    )
    page = client.get("/login/second-factor/?next=/patients/")
    assert b"Second step: your passkey" in page.content
    assert b"Recovery code" in page.content  # no app: recovery codes are the fallback
    done = client.post(
        "/login/second-factor/",
        {"credential": key.get(page_options(page), origin=ORIGIN), "next": "/patients/"},
    )
    assert done.status_code == 302
    assert done["Location"] == "/patients/"
    assert client.get("/patients/").status_code == 200
    assert Passkey.objects.get(user=new_nurse).sign_count == 1


def test_a_refused_passkey_is_a_page_error_and_counts_toward_the_lockout(new_nurse, settings):
    key = SoftAuthenticator()
    enrol_at_first_sign_in(Client(), key)
    client = Client()
    password_step(client, "nurse_new")
    stranger = SoftAuthenticator()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        page = client.get("/login/second-factor/")
        refused = client.post(
            "/login/second-factor/", {"credential": stranger.get(page_options(page), origin=ORIGIN)}
        )
        assert refused.status_code == 401
        assert b"not one of yours" in refused.content
        assert b'id="passkey-options"' in refused.content  # a new challenge to try again
    assert client.post("/login/second-factor/", {"credential": "{not json"}).status_code == 429
    assert AuditEntry.objects.filter(action="mfa_failed", actor=new_nurse).count() == (
        settings.AXES_FAILURE_LIMIT
    )
    assert AuditEntry.objects.filter(action="lockout").exists()
    assert Passkey.objects.get(user=new_nurse).sign_count == 0


def test_a_form_posted_without_an_answer_is_not_counted(new_nurse):
    enrol_at_first_sign_in(Client(), SoftAuthenticator())
    client = Client()
    password_step(client, "nurse_new")
    client.get("/login/second-factor/")
    response = client.post("/login/second-factor/", {"credential": ""})
    assert response.status_code == 401
    assert b"passkeys need JavaScript" in response.content
    assert not AuditEntry.objects.filter(action="mfa_failed", actor=new_nurse).exists()


def test_a_nurse_with_the_app_sees_both_ways_at_the_second_step(nurse, client):
    key = SoftAuthenticator()
    page = client.get("/account/passkeys/")
    client.post(
        "/account/passkeys/",
        {
            "action": "add_passkey",
            "name": "Laptop",
            "credential": key.create(page_options(page), origin=ORIGIN),
        },
    )
    fresh = Client()
    password_step(fresh, "nurse_a")
    second = fresh.get("/login/second-factor/")
    assert b"your passkey or the code from your app" in second.content
    assert b"One-time code" in second.content


def test_the_step_up_accepts_a_passkey(new_nurse):
    key = SoftAuthenticator()
    client = Client()
    enrol_at_first_sign_in(client, key)
    session = client.session
    session["ketacare_second_factor_at"] = int((timezone.now() - timedelta(hours=1)).timestamp())
    session.save()
    page = client.get("/account/confirm/?next=/account/passkeys/")
    assert b"Confirm with your passkey" in page.content
    done = client.post(
        "/account/confirm/",
        {"credential": key.get(page_options(page), origin=ORIGIN), "next": "/account/passkeys/"},
    )
    assert done.status_code == 302
    assert done["Location"] == "/account/passkeys/"
    entry = AuditEntry.objects.filter(action="mfa_verified", actor=new_nurse).latest("id")
    assert entry.changes["after"]["purpose"] == "step-up"


def test_the_passkeys_page_lists_adds_and_removes_with_a_fresh_check(nurse, client):
    page = client.get("/account/passkeys/")
    assert page.status_code == 200
    assert b"No passkeys yet" in page.content
    key = SoftAuthenticator()
    added = client.post(
        "/account/passkeys/",
        {
            "action": "add_passkey",
            "name": "Blue key",
            "credential": key.create(page_options(page), origin=ORIGIN),
        },
    )
    assert b"Passkey \xe2\x80\x9cBlue key\xe2\x80\x9d added" in added.content
    assert b"<td>Blue key</td>" in added.content
    passkey = Passkey.objects.get(user=nurse)
    # An hour later the step-up has lapsed: removing asks for a fresh check first.
    session = client.session
    session["ketacare_second_factor_at"] = int((timezone.now() - timedelta(hours=1)).timestamp())
    session.save()
    stale = client.post(
        "/account/passkeys/", {"action": "remove_passkey", "passkey_id": passkey.pk}
    )
    assert stale.status_code == 422
    assert b"Confirm it is you" in stale.content
    assert Passkey.objects.filter(pk=passkey.pk).exists()
    session = client.session
    session["ketacare_second_factor_at"] = int(timezone.now().timestamp())
    session.save()
    removed = client.post(
        "/account/passkeys/", {"action": "remove_passkey", "passkey_id": passkey.pk}
    )
    assert b"Passkey removed" in removed.content
    assert not Passkey.objects.filter(user=nurse).exists()
    assert AuditEntry.objects.filter(action="mfa_removed", actor=nurse).count() == 1


def test_another_users_passkey_cannot_be_removed_from_the_page(nurse, therapist, client):
    theirs = Passkey.objects.create(
        user=therapist,
        name="Theirs",
        credential_id="AAAA",
        public_key=b"x",
        created_at=timezone.now(),
    )
    for passkey_id in (theirs.pk, "not-a-number"):
        response = client.post(
            "/account/passkeys/", {"action": "remove_passkey", "passkey_id": passkey_id}
        )
        assert response.status_code == 404
    assert Passkey.objects.filter(pk=theirs.pk).exists()


@pytest.mark.parametrize("answer", ["", "{", "[]", '{"id": "x"}'])
def test_a_bad_answer_on_the_passkeys_page_adds_nothing(nurse, client, answer):
    client.get("/account/passkeys/")
    response = client.post(
        "/account/passkeys/", {"action": "add_passkey", "name": "Key", "credential": answer}
    )
    assert response.status_code == 422
    assert b'role="alert"' in response.content
    assert not Passkey.objects.exists()


def test_the_admin_sees_passkeys_and_resets_them(new_nurse, clinic_admin, client):
    enrol_at_first_sign_in(Client(), SoftAuthenticator())
    client.force_login(clinic_admin)
    listing = client.get("/users/")
    assert b"1 passkey" in listing.content
    done = client.post(
        "/users/", {"user_id": new_nurse.pk, "action": "reset_second_factor", "reason": "Lost key"}
    )
    assert b"Second factor of nurse_new reset" in done.content
    assert not Passkey.objects.filter(user=new_nurse).exists()
    assert pk.has_passkey(new_nurse) is False


def test_adding_the_app_to_a_passkey_account_needs_a_fresh_check(new_nurse):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ketacare.accounts.second_factor import authenticator_code

    client = Client()
    enrol_at_first_sign_in(client, SoftAuthenticator())
    session = client.session
    session["ketacare_second_factor_at"] = int((timezone.now() - timedelta(hours=1)).timestamp())
    session.save()
    page = client.get("/login/enrol/")
    assert b"confirm it is you" in page.content.lower()
    assert b'id="passkey-options"' not in page.content  # no new passkey before the check
    pending = TOTPDevice.objects.get(user=new_nurse, confirmed=False)
    refused = client.post("/login/enrol/", {"code": authenticator_code(pending)})
    assert refused.status_code == 422
    assert not TOTPDevice.objects.filter(user=new_nurse, confirmed=True).exists()


@pytest.mark.parametrize(
    ("hosts", "rp_id"),
    [
        (["127.0.0.1", "localhost", "testserver", "[::1]"], "localhost"),
        (["10.0.0.5", "clinic.example.org"], "clinic.example.org"),
        ([".clinic.example.org"], "clinic.example.org"),
        (["*", "[::1]"], "localhost"),
    ],
)
def test_the_relying_party_is_the_first_domain_name_allowed(hosts, rp_id):
    from ketacare.settings import _webauthn_rp_id

    assert _webauthn_rp_id(hosts) == rp_id


def test_the_expected_origin_is_the_setting_or_the_requests_own(rf, settings):
    request = rf.get("/login/second-factor/", HTTP_HOST="localhost:8000")
    assert pk.expected_origins(request) == ["http://localhost:8000"]
    settings.WEBAUTHN_ORIGINS = ["https://clinic.example.org"]
    assert pk.expected_origins(request) == ["https://clinic.example.org"]
