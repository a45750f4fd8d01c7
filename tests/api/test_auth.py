"""Bearer tokens: password plus the one-time code, lockout, revocation, expiry (issue 14) and
the audit entries of each (issue 13.6)."""

from datetime import timedelta

import time_machine
from axes.models import AccessAttempt
from django.utils import timezone

from ketacare.accounts.models import ApiToken, Role
from ketacare.audit.models import AuditEntry

PASSWORD = "correct horse battery"


def _token(client, username, password=PASSWORD, **extra):
    return client.post("/auth/token", {"username": username, "password": password, **extra})


def _bearer(api, raw):
    client = api(None)
    client.headers["Authorization"] = f"Bearer {raw}"
    return client


def test_token_is_issued_for_password_and_current_code_and_authenticates_calls(
    api, nurse, patient, otp
):
    response = _token(api(None), "nurse_a", otp=otp(nurse))
    assert response.status_code == 200
    client = _bearer(api, response.json()["token"])
    assert client.get(f"/patients/{patient.pk}").status_code == 200
    issued = AuditEntry.objects.get(action="token_issued")
    assert issued.actor_id == nurse.pk
    assert issued.changes["after"]["second_factor"] is True
    assert AuditEntry.objects.filter(action="mfa_verified", actor=nurse).count() == 1


def test_password_alone_is_401_otp_required_and_no_token_is_made(api, nurse, unchanged):
    check = unchanged(ApiToken)
    response = _token(api(None), "nurse_a")
    assert response.status_code == 401
    assert response.json()["code"] == "otp_required"
    check()


def test_wrong_code_is_401_invalid_otp_audited_and_no_token_is_made(api, nurse, otp, unchanged):
    check = unchanged(ApiToken)
    right = otp(nurse)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    response = _token(api(None), "nurse_a", otp=wrong)
    assert response.status_code == 401
    assert set(response.json()) == {"code", "message", "details"}
    assert response.json()["code"] == "invalid_otp"
    check()
    refused = AuditEntry.objects.get(action="mfa_failed")
    assert refused.actor_id == nurse.pk
    assert wrong not in str(refused.changes) + refused.summary


def test_a_code_used_once_is_refused_the_second_time(api, nurse, otp):
    code = otp(nurse)
    assert _token(api(None), "nurse_a", otp=code).status_code == 200
    replayed = _token(api(None), "nurse_a", otp=code)
    assert replayed.status_code == 401
    assert replayed.json()["code"] == "invalid_otp"
    assert ApiToken.objects.count() == 1


def test_another_users_code_is_refused(api, nurse, prescriber, otp, unchanged):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    assert TOTPDevice.objects.get(user=nurse).key != TOTPDevice.objects.get(user=prescriber).key
    check = unchanged(ApiToken)
    theirs = otp(prescriber)
    if theirs == otp(nurse):  # one chance in a million: the test would prove nothing
        theirs = f"{(int(theirs) + 1) % 1_000_000:06d}"
    response = _token(api(None), "nurse_a", otp=theirs)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_otp"
    check()


def test_optional_role_without_a_second_factor_gets_a_token_with_the_password(
    api, clinic_a, make_login
):
    make_login(clinic_a, Role.THERAPIST, "therapist_plain", second_factor=False)
    response = _token(api(None), "therapist_plain")
    assert response.status_code == 200
    token = ApiToken.objects.get()
    assert token.second_factor_at is None


def test_required_role_that_never_enrolled_is_told_to_enrol_and_gets_no_token(
    api, clinic_a, unchanged, make_login
):
    make_login(clinic_a, Role.NURSE, "nurse_new", second_factor=False)
    check = unchanged(ApiToken)
    response = _token(api(None), "nurse_new")
    assert response.status_code == 403
    assert response.json()["code"] == "second_factor_enrolment_required"
    check()


def test_wrong_password_is_401_and_audits_the_username_never_the_password(api, nurse):
    response = _token(api(None), "nurse_a", "wrong-password-9")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    failed = AuditEntry.objects.get(action="login_failed")
    assert failed.changes["after"] == {"username": "nurse_a"}
    assert failed.target_id == str(nurse.pk)
    everything = str(list(AuditEntry.objects.values()))
    assert "wrong-password-9" not in everything


def test_unknown_username_is_audited_with_the_name_tried(api, db):
    assert _token(api(None), "nobody_here", "whatever-it-is").status_code == 401
    failed = AuditEntry.objects.get(action="login_failed")
    assert failed.changes["after"] == {"username": "nobody_here"}
    assert failed.actor_id is None


def test_repeated_failures_lock_the_account_even_with_the_right_password(api, nurse, settings):
    client = api(None)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _token(client, "nurse_a", "wrong").status_code == 401
    # The failure that reaches the limit locks the account at once.
    assert _token(client, "nurse_a", "wrong").status_code == 429
    locked = _token(client, "nurse_a")
    assert locked.status_code == 429
    assert locked.json()["code"] == "account_locked"
    assert locked["Retry-After"] == str(int(settings.AXES_COOLOFF_TIME * 3600))
    assert AccessAttempt.objects.filter(username="nurse_a").exists()
    # One entry when the limit is reached, one for the attempt refused while locked.
    assert AuditEntry.objects.filter(action="lockout").count() == 2


def test_wrong_codes_count_toward_the_same_lockout(api, nurse, otp, settings, unchanged):
    client = api(None)
    check = unchanged(ApiToken)
    wrong = f"{(int(otp(nurse)) + 1) % 1_000_000:06d}"
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _token(client, "nurse_a", otp=wrong).status_code == 401
    assert _token(client, "nurse_a", otp=wrong).status_code == 429
    # Now even the right password and code are refused until the cool-off passes.
    locked = _token(client, "nurse_a", otp=otp(nurse))
    assert locked.status_code == 429
    assert "Retry-After" in locked
    check()
    assert AuditEntry.objects.filter(action="mfa_failed").count() == settings.AXES_FAILURE_LIMIT


def test_a_garbage_bearer_token_is_401(api, patient):
    assert _bearer(api, "not-a-token").get(f"/patients/{patient.pk}").status_code == 401


def test_signing_out_revokes_the_token_used_and_it_stops_working(api, nurse, patient):
    client = api(nurse)
    assert client.delete("/auth/token").status_code == 204
    response = client.get(f"/patients/{patient.pk}")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    token = ApiToken.objects.get(user=nurse)
    assert token.revoked_reason == "signed_out"
    revoked = AuditEntry.objects.get(action="token_revoked")
    assert revoked.target_id == str(token.pk)


def test_signing_out_with_a_browser_session_is_400_and_revokes_nothing(client, nurse):
    client.force_login(nurse)
    live = _token_for(nurse)
    response = client.delete("/api/v1/auth/token")
    assert response.status_code == 400
    assert response.json()["code"] == "bearer_token_required"
    assert ApiToken.objects.get(pk=live.pk).revoked_at is None


def _token_for(user) -> ApiToken:
    from ketacare.accounts.services import issue_api_token

    issue_api_token(user=user)
    return ApiToken.objects.filter(user=user).latest("id")


def test_token_past_its_lifetime_is_401(api, nurse, patient, settings):
    settings.API_TOKEN_IDLE_MINUTES = (settings.API_TOKEN_HOURS + 1) * 60
    client = api(nurse)
    later = timezone.now() + timedelta(hours=settings.API_TOKEN_HOURS, seconds=1)
    # Keep it in use so only the lifetime can end it.
    with time_machine.travel(later - timedelta(minutes=5)):
        assert client.get(f"/patients/{patient.pk}").status_code == 200
    with time_machine.travel(later):
        assert client.get(f"/patients/{patient.pk}").status_code == 401


def test_token_left_idle_past_the_idle_limit_is_401_and_in_use_it_lives(
    api, nurse, patient, settings
):
    client = api(nurse)
    idle = timedelta(minutes=settings.API_TOKEN_IDLE_MINUTES)
    start = timezone.now()
    with time_machine.travel(start + idle - timedelta(minutes=1)):
        assert client.get(f"/patients/{patient.pk}").status_code == 200  # last use moves
    with time_machine.travel(start + idle + timedelta(minutes=2)):
        assert client.get(f"/patients/{patient.pk}").status_code == 200
    with time_machine.travel(start + 2 * idle + timedelta(minutes=5)):
        assert client.get(f"/patients/{patient.pk}").status_code == 401


def test_own_tokens_are_listed_with_last_use_and_one_can_be_revoked(api, nurse, patient):
    client = api(nurse)
    client.get(f"/patients/{patient.pk}")
    other = _token_for(nurse)
    listed = client.get("/auth/tokens").json()
    assert {row["status"] for row in listed} == {"active"}
    assert any(row["last_used_at"] for row in listed)
    assert client.delete(f"/auth/tokens/{other.pk}").status_code == 204
    assert ApiToken.objects.get(pk=other.pk).revoked_reason == "revoked_by_owner"


def test_another_users_token_cannot_be_revoked_by_id(api, nurse, therapist):
    theirs = _token_for(therapist)
    response = api(nurse).delete(f"/auth/tokens/{theirs.pk}")
    assert response.status_code == 404
    assert ApiToken.objects.get(pk=theirs.pk).revoked_at is None


def test_admin_revokes_a_users_tokens_and_deactivating_revokes_all(
    api, clinic_admin, nurse, patient
):
    nurse_client = api(nurse)
    admin = api(clinic_admin)
    assert admin.post(f"/users/{nurse.pk}/tokens/revoke").json() == {"revoked": 1}
    assert nurse_client.get(f"/patients/{patient.pk}").status_code == 401
    again = api(nurse)
    response = admin.post(f"/users/{nurse.pk}/deactivate", {"reason": "left the clinic"})
    assert response.status_code == 204
    assert again.get(f"/patients/{patient.pk}").status_code == 401
    assert not ApiToken.objects.filter(user=nurse, revoked_at__isnull=True).exists()
    nurse.refresh_from_db()
    assert not nurse.is_active
    assert (
        AuditEntry.objects.filter(action="token_revoked", target_type="accounts.ApiToken").count()
        == 2
    )


def test_admin_of_another_clinic_gets_404_for_this_clinics_user(api, nurse, clinic_b, make_login):
    other_admin = make_login(clinic_b, Role.CLINIC_ADMIN, "admin_b")
    live = _token_for(nurse)
    response = api(other_admin).post(f"/users/{nurse.pk}/tokens/revoke")
    assert response.status_code == 404
    assert ApiToken.objects.get(pk=live.pk).revoked_at is None


def test_health_reports_the_database_engine(api, db):
    from django.db import connection

    body = api(None).get("/health").json()
    assert body == {
        "status": "ok",
        "database": "postgresql" if connection.vendor == "postgresql" else "sqlite",
    }


def test_web_login_page_locks_out_after_repeated_failures(client, nurse, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": "nurse_a", "password": "wrong"})
    response = client.post("/login/", {"username": "nurse_a", "password": PASSWORD})
    assert b"Account locked" in response.content
    assert response.status_code == 429
    assert response["Retry-After"] == str(int(settings.AXES_COOLOFF_TIME * 3600))
