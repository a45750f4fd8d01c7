"""The Content-Security-Policy header is built once from settings (web/headers.py) but is
the header django-csp builds, and a changed policy takes effect on the next response."""

from __future__ import annotations

import pytest
from csp.utils import build_policy
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


def test_an_api_answer_carries_the_policy_django_csp_builds_from_settings():
    response = Client().get("/api/v1/health")
    assert response["Content-Security-Policy"] == build_policy()
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "Content-Security-Policy-Report-Only" not in response


def test_a_changed_policy_takes_effect_on_the_next_response():
    Client().get("/api/v1/health")  # the settings' header is built
    with override_settings(
        CONTENT_SECURITY_POLICY={"DIRECTIVES": {"default-src": ["'none'"]}},
        CONTENT_SECURITY_POLICY_REPORT_ONLY={"DIRECTIVES": {"img-src": ["'self'"]}},
    ):
        response = Client().get("/api/v1/health")
        assert response["Content-Security-Policy"] == "default-src 'none'"
        assert "img-src 'self'" in response["Content-Security-Policy-Report-Only"]
    response = Client().get("/api/v1/health")
    assert response["Content-Security-Policy"] == build_policy()
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "Content-Security-Policy-Report-Only" not in response


def test_an_excluded_prefix_still_gets_no_header():
    policy = {"EXCLUDE_URL_PREFIXES": ["/api/"], "DIRECTIVES": {"default-src": ["'self'"]}}
    with override_settings(CONTENT_SECURITY_POLICY=policy):
        assert "Content-Security-Policy" not in Client().get("/api/v1/health")
