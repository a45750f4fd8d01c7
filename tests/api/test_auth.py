from axes.models import AccessAttempt


def _token(client, username, password):
    return client.post("/auth/token", {"username": username, "password": password})


def test_token_is_issued_for_valid_credentials_and_authenticates_calls(api, nurse, patient):
    response = _token(api(None), "nurse_a", "correct horse battery")
    assert response.status_code == 200
    token = response.json()["token"]
    client = api(None)
    client.headers["Authorization"] = f"Bearer {token}"
    assert client.get(f"/patients/{patient.pk}").status_code == 200


def test_wrong_password_is_401_with_the_error_shape(api, nurse):
    response = _token(api(None), "nurse_a", "wrong")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_repeated_failures_lock_the_account_even_with_the_right_password(api, nurse, settings):
    client = api(None)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _token(client, "nurse_a", "wrong").status_code == 401
    # The failure that reaches the limit locks the account at once.
    assert _token(client, "nurse_a", "wrong").status_code == 429
    locked = _token(client, "nurse_a", "correct horse battery")
    assert locked.status_code == 429
    assert locked.json()["code"] == "account_locked"
    assert AccessAttempt.objects.filter(username="nurse_a").exists()


def test_a_garbage_bearer_token_is_401(api, patient):
    client = api(None)
    client.headers["Authorization"] = "Bearer not-a-token"
    assert client.get(f"/patients/{patient.pk}").status_code == 401


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
    response = client.post("/login/", {"username": "nurse_a", "password": "correct horse battery"})
    assert b"Account locked" in response.content
