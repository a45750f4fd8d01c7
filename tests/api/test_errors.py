"""Every /api/v1 failure answers {"code", "message", "details"}: bodies the server will not
read, unknown paths, wrong methods and unexpected errors (which are logged, never shown)."""

from __future__ import annotations

import json
import logging

import pytest

from ketacare.patients.models import Patient

NEW_PATIENT = {
    "given_name": "Robin",
    "family_name": "Reyes",
    "date_of_birth": "1975-02-03",
    "sex": "male",
}


def raw_post(client, path, body: bytes, content_type="application/json"):
    return client.client.post(
        f"/api/v1{path}", data=body, content_type=content_type, headers=client.headers
    )


def assert_error_shape(response, status, code):
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == code
    assert body["message"]
    return body


@pytest.fixture
def frontdesk_api(api, frontdesk):
    return api(frontdesk)


def test_body_over_the_upload_limit_is_400_json_and_registers_nobody(
    frontdesk_api, unchanged, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    body = json.dumps({**NEW_PATIENT, "address": "x" * 2_000}).encode()
    nothing_written = unchanged(Patient)
    response = raw_post(frontdesk_api, "/patients", body)
    assert_error_shape(response, 400, "request_body_too_large")
    nothing_written()


def test_twenty_megabyte_body_is_400_json_not_an_html_page(frontdesk_api, unchanged):
    nothing_written = unchanged(Patient)
    response = raw_post(frontdesk_api, "/patients", b"[" + b"0," * 10_000_000 + b"0]")
    assert_error_shape(response, 400, "request_body_too_large")
    nothing_written()


def test_text_plain_body_is_not_read_as_json(frontdesk_api, unchanged):
    nothing_written = unchanged(Patient)
    response = raw_post(
        frontdesk_api, "/patients", json.dumps(NEW_PATIENT).encode(), content_type="text/plain"
    )
    body = assert_error_shape(response, 415, "unsupported_media_type")
    assert "text/plain" in body["message"]
    nothing_written()


def test_the_same_body_as_application_json_registers_the_patient(frontdesk_api):
    # The refusals above are for the media type and size, not the data.
    response = raw_post(frontdesk_api, "/patients", json.dumps(NEW_PATIENT).encode())
    assert response.status_code == 201, response.content
    assert Patient.objects.filter(family_name="Reyes").count() == 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        # 100,000 nested arrays: a RecursionError in the parser before the fix.
        (b"[" * 100_000 + b"]" * 100_000, "json_too_deep"),
        (b'{"a":' * 40 + b"1" + b"}" * 40, "json_too_deep"),
        (b'{"given_name": NaN}', "malformed_json"),
        (b'{"given_name": "A", "given_name": "B"}', "malformed_json"),
        (b'{"given_name": "Robin"', "malformed_json"),
        (b"\xff\xfe{}", "malformed_json"),
    ],
)
def test_unreadable_json_is_400_with_its_reason_and_changes_nothing(
    frontdesk_api, unchanged, body, code
):
    nothing_written = unchanged(Patient)
    assert_error_shape(raw_post(frontdesk_api, "/patients", body), 400, code)
    nothing_written()


def test_unknown_api_path_is_404_json(frontdesk_api):
    assert_error_shape(frontdesk_api.get("/no-such-thing"), 404, "not_found")


def test_method_the_path_does_not_take_is_405_json_with_allow(frontdesk_api):
    response = frontdesk_api.delete("/patients")
    assert_error_shape(response, 405, "method_not_allowed")
    assert "POST" in response["Allow"]


def test_unexpected_error_in_a_handler_is_500_json_logged_and_not_leaked(api, monkeypatch, caplog):
    from ketacare.api import health

    class Broken:
        vendor = "sqlite"

        def cursor(self):
            raise RuntimeError("connection string postgresql://secret@db")

    monkeypatch.setattr(health, "connection", Broken())
    with caplog.at_level(logging.ERROR, logger="ketacare.api"):
        response = api(None).get("/health")
    body = assert_error_shape(response, 500, "internal_error")
    assert "secret" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    incident = body["details"]["incident"]
    logged = [r for r in caplog.records if incident in r.getMessage()]
    assert logged, "the error is logged under the incident id the client sees"
    assert "secret@db" in str(logged[0].exc_info[1])


def test_unexpected_error_outside_the_api_handlers_is_500_json(api, monkeypatch):
    from ketacare.audit.middleware import RequestContextMiddleware

    def explode(self, request):
        raise RuntimeError("middleware failure with internals")

    monkeypatch.setattr(RequestContextMiddleware, "__call__", explode)
    client = api(None)
    client.client.raise_request_exception = False
    response = client.get("/health")
    assert_error_shape(response, 500, "internal_error")
    assert "internals" not in response.content.decode()
