"""The one safe JSON body reader (ketacare.json_body), used by /api/v1, CDS Hooks and FHIR."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from ketacare.json_body import JsonBodyError, parse_json, read_json_body


def request(body: bytes, content_type: str):
    return RequestFactory().post("/x", data=body, content_type=content_type)


@pytest.mark.parametrize(
    ("depth", "accepted"),
    # At, then one past, the limit; and far past it (the stack would overflow).
    [(32, True), (33, False), (100_000, False)],
)
def test_nesting_is_limited(depth, accepted):
    raw = b"[" * depth + b"]" * depth
    if accepted:
        assert parse_json(raw, max_depth=32) is not None
    else:
        with pytest.raises(JsonBodyError) as caught:
            parse_json(raw, max_depth=32)
        assert caught.value.code == "json_too_deep"


def test_depth_counts_objects_and_arrays_alike():
    assert parse_json(b'{"a": [{"b": [1]}]}', max_depth=4) == {"a": [{"b": [1]}]}
    with pytest.raises(JsonBodyError):
        parse_json(b'{"a": [{"b": [1]}]}', max_depth=3)


@pytest.mark.parametrize(
    "raw", [b"NaN", b"[Infinity]", b"[-Infinity]", b'{"k": 1, "k": 2}', b"", b"\xc3\x28"]
)
def test_text_that_is_not_strict_json_is_refused(raw):
    with pytest.raises(JsonBodyError) as caught:
        parse_json(raw)
    assert caught.value.code == "malformed_json"
    assert caught.value.status == 400


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/jsonx"]
)
def test_only_application_json_is_read_as_json(content_type):
    with pytest.raises(JsonBodyError) as caught:
        read_json_body(request(b"{}", content_type))
    assert (caught.value.code, caught.value.status) == ("unsupported_media_type", 415)


def test_charset_other_than_utf8_is_refused():
    with pytest.raises(JsonBodyError) as caught:
        read_json_body(request(b"{}", "application/json; charset=latin-1"))
    assert caught.value.code == "unsupported_media_type"


def test_endpoint_may_accept_another_json_media_type():
    fhir = ("application/fhir+json", "application/json")
    got = read_json_body(
        request(b'{"resourceType": "Patient"}', "application/fhir+json"), media_types=fhir
    )
    assert got == {"resourceType": "Patient"}
    assert read_json_body(request(b"[1]", "application/json; charset=utf-8")) == [1]


def test_body_over_django_upload_limit_is_refused_with_the_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10
    with pytest.raises(JsonBodyError) as caught:
        read_json_body(request(b'{"a": "0123456789"}', "application/json"))
    assert caught.value.code == "request_body_too_large"
    assert "10 bytes" in caught.value.message
