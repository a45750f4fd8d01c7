"""Schemathesis walks the published OpenAPI document with generated requests, as an
authenticated prescriber (the widest role): no request may yield a 500, and every response
must match the documented schema. Runs against SQLite and PostgreSQL like the rest."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import checks

from ketacare.api import api
from ketacare.wsgi import application

schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1"))
schema.app = application

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


@pytest.fixture(autouse=True)
def _keep_test_connection_open():
    """Django closes connections at request end when not in autocommit, which breaks the
    test's transaction on PostgreSQL; Django's own test client switches this off the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(prescriber, patient):
    from ketacare.accounts.services import issue_api_token

    return {"Authorization": f"Bearer {issue_api_token(user=prescriber)}"}


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_never_errors_and_matches_its_schema(case, bearer):
    # Business rules (an ICD-10 code outside F32/F33, an id that belongs to nobody) may refuse
    # schema-valid input, so the "positive data acceptance" checks do not apply; every other
    # failure class does.
    case.call_and_validate(headers=bearer, checks=CHECKS)
