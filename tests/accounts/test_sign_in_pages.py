"""Web sign-in with the second step, enrolment on first sign-in, recovery codes, the admin's
reset of a lost device, and the audit entries of each (issues 14 and 13.6). These drive the
real pages with Django's test client (``Client.post`` to /login/, no ``force_login``)."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketacare.accounts import second_factor as sf
from ketacare.accounts.models import ApiToken, Role
from ketacare.audit.models import AuditEntry

PASSWORD = "correct horse battery"


def _password_step(client: Client, username: str, next_path: str = "/patients/"):
    return client.post("/login/", {"username": username, "password": PASSWORD, "next": next_path})


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_password_then_code_signs_in_and_returns_to_the_page_asked_for(nurse, otp):
    client = Client()
    response = _password_step(client, "nurse_a")
    assert response.status_code == 302
    assert response["Location"] == "/login/second-factor/?next=%2Fpatients%2F"
    done = client.post("/login/second-factor/", {"code": otp(nurse), "next": "/patients/"})
    assert done.status_code == 302
    assert done["Location"] == "/patients/"
    assert client.get("/patients/").status_code == 200
    kinds = list(AuditEntry.objects.filter(actor=nurse).values_list("action", flat=True))
    assert kinds[:2] == ["login", "mfa_verified"]


def test_between_the_two_steps_nothing_else_is_reachable(nurse, patient):
    client = Client()
    _password_step(client, "nurse_a")
    page = client.get(f"/patients/{patient.pk}/")
    assert page.status_code == 302
    assert page["Location"].startswith("/login/second-factor/")
    api = client.get(f"/api/v1/patients/{patient.pk}")
    assert api.status_code == 401
    post = client.post("/board/", {})
    assert post.status_code in (302, 403)
    assert not AuditEntry.objects.filter(action="read", actor=nurse).exists()


def test_a_wrong_code_is_refused_with_the_page_and_an_audit_entry(nurse, otp):
    client = Client()
    _password_step(client, "nurse_a")
    response = client.post("/login/second-factor/", {"code": _wrong(otp(nurse))})
    assert response.status_code == 401
    assert b"That code is not right" in response.content
    assert client.get("/patients/").status_code == 302
    assert AuditEntry.objects.filter(action="mfa_failed", actor=nurse).count() == 1


def test_wrong_codes_lock_the_account_with_retry_after(nurse, otp, settings):
    client = Client()
    _password_step(client, "nurse_a")
    wrong = _wrong(otp(nurse))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post("/login/second-factor/", {"code": wrong}).status_code == 401
    locked = client.post("/login/second-factor/", {"code": wrong})
    assert locked.status_code == 429
    assert locked["Retry-After"] == str(int(settings.AXES_COOLOFF_TIME * 3600))
    # Signed out, and the password alone no longer gets in either.
    again = Client()
    assert _password_step(again, "nurse_a").status_code == 429
    assert AuditEntry.objects.filter(action="lockout").exists()


def test_a_recovery_code_signs_in_once(nurse):
    codes = sf._new_recovery_codes(nurse)
    first = Client()
    _password_step(first, "nurse_a")
    assert first.post("/login/second-factor/", {"code": codes[3]}).status_code == 302
    second = Client()
    _password_step(second, "nurse_a")
    assert second.post("/login/second-factor/", {"code": codes[3]}).status_code == 401
    assert StaticToken.objects.filter(device__user=nurse).count() == len(codes) - 1


def test_first_sign_in_of_a_prescriber_enrols_an_authenticator_then_shows_recovery_codes(
    clinic_a,
    make_login,
):
    prescriber = make_login(clinic_a, Role.PRESCRIBER, "new_prescriber", second_factor=False)
    client = Client()
    response = _password_step(client, "new_prescriber", "/board/")
    assert response["Location"] == "/login/enrol/?next=%2Fboard%2F"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b"<svg" in page.content  # the QR code
    device = TOTPDevice.objects.get(user=prescriber, confirmed=False)
    assert sf.base32_secret(device).encode() in page.content
    # The pending key is kept across reloads.
    client.get("/login/enrol/")
    assert TOTPDevice.objects.filter(user=prescriber).count() == 1
    wrong = client.post("/login/enrol/", {"code": _wrong(sf.authenticator_code(device))})
    assert wrong.status_code == 422
    assert not TOTPDevice.objects.filter(user=prescriber, confirmed=True).exists()
    device.refresh_from_db()
    device.throttle_reset()  # the wrong code's throttle, so the next try is judged on its code
    done = client.post("/login/enrol/", {"code": sf.authenticator_code(device), "next": "/board/"})
    assert done.status_code == 200
    assert done.content.count(b"<li><code>") == sf.RECOVERY_CODE_COUNT
    assert client.get("/board/").status_code == 200
    assert AuditEntry.objects.filter(action="mfa_enrolled", actor=prescriber).count() == 1


def test_optional_role_without_a_second_factor_signs_in_with_the_password(clinic_a, make_login):
    make_login(clinic_a, Role.FRONT_DESK, "desk_plain", second_factor=False)
    client = Client()
    response = _password_step(client, "desk_plain", "/patients/")
    assert response["Location"] == "/patients/"
    assert client.get("/patients/").status_code == 200


def test_sign_out_is_audited(nurse, otp):
    client = Client()
    _password_step(client, "nurse_a")
    client.post("/login/second-factor/", {"code": otp(nurse)})
    client.post("/logout/")
    assert AuditEntry.objects.filter(action="logout", actor=nurse).count() == 1
    assert client.get("/patients/").status_code == 302


def test_admin_resets_a_lost_device_and_the_users_sessions_and_tokens_end(clinic_admin, nurse, otp):
    from ketacare.accounts.services import issue_api_token

    nurse_browser = Client()
    nurse_browser.force_login(nurse)
    issue_api_token(user=nurse)
    admin = Client()
    admin.force_login(clinic_admin)
    response = admin.post(
        "/users/",
        {"user_id": nurse.pk, "action": "reset_second_factor", "reason": "phone lost"},
    )
    assert response.status_code == 200
    assert b"reset" in response.content
    assert not TOTPDevice.objects.filter(user=nurse).exists()
    assert not ApiToken.objects.filter(user=nurse, revoked_at__isnull=True).exists()
    assert nurse_browser.get("/patients/").status_code == 302  # signed out
    reset = AuditEntry.objects.get(action="mfa_reset")
    assert (reset.actor_id, reset.target_id, reset.reason) == (
        clinic_admin.pk, str(nurse.pk), "phone lost",
    )  # fmt: skip
    # At the next sign-in the nurse enrols again.
    assert _password_step(Client(), "nurse_a")["Location"].startswith("/login/enrol/")


def test_nobody_resets_their_own_second_factor(clinic_admin):
    from ketacare.accounts.permissions import PermissionDenied

    with pytest.raises(PermissionDenied) as err:
        sf.reset_second_factor(actor=clinic_admin, user=clinic_admin, reason="lost")
    assert err.value.code == "not_self_service"
    assert TOTPDevice.objects.filter(user=clinic_admin).exists()


def test_a_nurse_cannot_reset_anyones_second_factor(api, nurse, prescriber):
    response = api(nurse).post(f"/users/{prescriber.pk}/second-factor/reset", {"reason": "lost"})
    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=prescriber).exists()


def test_reset_needs_a_reason(api, clinic_admin, nurse):
    response = api(clinic_admin).post(f"/users/{nurse.pk}/second-factor/reset", {"reason": " "})
    assert response.status_code == 422
    assert TOTPDevice.objects.filter(user=nurse).exists()
    assert not AuditEntry.objects.filter(action="mfa_reset").exists()


def test_renewing_recovery_codes_needs_a_recent_code(nurse, otp, settings):
    client = Client()
    client.force_login(nurse)
    renewed = client.post("/account/", {"action": "renew_codes"})
    assert renewed.content.count(b"<li><code>") == sf.RECOVERY_CODE_COUNT
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        client.get("/account/")  # still signed in: the idle limit is 30 minutes
        stale = client.post("/account/", {"action": "renew_codes"})
        assert b"second_factor_required" in stale.content or b"one-time code" in stale.content
        confirmed = client.post("/account/confirm/", {"code": otp(nurse), "next": "/account/"})
        assert confirmed.status_code == 302
        again = client.post("/account/", {"action": "renew_codes"})
        assert again.content.count(b"<li><code>") == sf.RECOVERY_CODE_COUNT
    assert AuditEntry.objects.filter(action="mfa_codes_renewed", actor=nurse).count() == 2


def test_own_page_lists_api_tokens_with_last_use(nurse, api, patient):
    client = api(nurse)
    client.get(f"/patients/{patient.pk}")
    browser = Client()
    browser.force_login(nurse)
    page = browser.get("/account/")
    assert page.status_code == 200
    assert b"API tokens" in page.content
    assert b"never" not in page.content  # the token was used
    token = ApiToken.objects.get(user=nurse)
    browser.post(f"/account/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_reason == "revoked_by_owner"


def test_a_pending_session_with_a_bad_bearer_token_is_not_signed_in_on_the_api(nurse, patient):
    client = Client()
    _password_step(client, "nurse_a")
    response = client.get(
        f"/api/v1/patients/{patient.pk}", headers={"Authorization": "Bearer not-a-token"}
    )
    assert response.status_code == 401
    assert not AuditEntry.objects.filter(action="read", actor=nurse).exists()
