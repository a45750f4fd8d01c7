"""Schemathesis walks the whole published OpenAPI document with generated requests, each
sent with a valid token for every role (prescriber, nurse, therapist, front desk, clinic
admin, researcher, patient) and with none: no request may yield a 5xx, and every response
must match the documented schema (status code, content type, body, headers). Runs against
SQLite and PostgreSQL like the rest.

A second test follows the document's OpenAPI links (register a patient, then read and
update it; order a course, then read its first session; ...) as a state machine.

Bounded for CI: ``FUZZ_EXAMPLES`` generated cases per operation, each sent once per caller
(about 95 operations x 8 callers x 4 cases: about three thousand requests, about a minute of
CPU); no explicit-example phase and no shrinking, whose cost max_examples does not bound."""

import copy

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings
from schemathesis import checks

from ketacare.api import api
from ketacare.wsgi import application

# A deep copy: schemathesis resolves the document's links in place, and the link objects
# are the routes' own (shared by every document the API builds, e.g. the contract test's).
schema = schemathesis.openapi.from_dict(
    copy.deepcopy(api.get_openapi_schema(path_prefix="/api/v1"))
)
schema.app = application

FUZZ_EXAMPLES = 4

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
def callers(people):
    """Every role's bearer token, issued as ``POST /auth/token`` issues it after the second
    factor (staff roles that the clinic's policy asks a second factor of have proved one
    now), plus an anonymous caller."""
    from ketacare.accounts.services import issue_api_token

    headers = {"anonymous": {}}
    for role, user in people.items():
        token = issue_api_token(user=user, second_factor_at=timezone.now())
        headers[str(role)] = {"Authorization": f"Bearer {token}"}
    return headers


@schema.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    # Generated cases only: the explicit phase (every combination of the document's examples)
    # is unbounded by max_examples and was 90% of the run; no shrinking, to stay bounded.
    phases=[Phase.generate],
)
def test_api_never_errors_and_matches_its_schema_for_every_role(case, callers):
    # Business rules (an ICD-10 code outside F32/F33, an id that belongs to nobody) may refuse
    # schema-valid input, so the "positive data acceptance" checks do not apply; every other
    # failure class does.
    for who, headers in callers.items():
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except Exception as exc:
            exc.add_note(f"caller: {who}")
            raise


class Workflow(schema.as_state_machine()):
    """Follows the document's links (create, then read what was created) as a prescriber."""

    headers: dict[str, str] = {}

    def get_call_kwargs(self, case):
        return {"headers": self.headers}

    def validate_response(self, response, case, additional_checks=None, **kwargs):
        case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)


def test_linked_operations_never_error_and_match_their_schema(callers):
    Workflow.headers = callers["prescriber"]
    Workflow.run(
        settings=settings(
            max_examples=FUZZ_EXAMPLES * 3,
            stateful_step_count=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            phases=[Phase.generate],
        )
    )
