"""A record id in an API path is ASCII digits only, on every route (issue 15).

Pydantic's lax int read '8_0' as 80 (Python's int() allows digit-group underscores) and
' 8', '+8', '8.0' as 8, so GET /api/v1/patients/8_0 answered patient 80. Every integer path
parameter of the OpenAPI document is tried here with each such spelling, by a role that holds
the route's permission (so authorisation passes and the path itself is what is refused): the
answer is 422 in the one JSON error shape, naming the path parameter.
"""

import re

import pytest

from ketacare.accounts.permissions import ROLE_PERMISSIONS, Permission
from ketacare.api import api as ninja_api
from ketacare.api.auth import SIGNED_IN

DOCUMENT = ninja_api.get_openapi_schema(path_prefix="/api/v1")
STRING_PARAMS = {"code": "phq9", "token": "not-a-link"}

# URL-encoded where the raw character could not stand in a URL (a space, Eastern Arabic 8).
NOT_AN_ID = {
    "underscore": "8_0",
    "plus sign": "+8",
    "leading space": "%208",
    "decimal point": "8.0",
    "Eastern Arabic digit": "%D9%A8",
    "full-width digit": "%EF%BC%98",
    "minus sign": "-8",
}


def _int_path_params(operation: dict) -> list[str]:
    return [
        p["name"]
        for p in operation.get("parameters", [])
        if p["in"] == "path" and p["schema"].get("type") == "integer"
    ]


ROUTES = [
    (method, path, op.get("x-permission"), name)
    for path, methods in DOCUMENT["paths"].items()
    for method, op in methods.items()
    for name in _int_path_params(op)
]


def _holder(people, permission: str | None):
    for role, user in people.items():
        if permission == SIGNED_IN or Permission(permission) in ROLE_PERMISSIONS[role]:
            return user
    pytest.fail(f"no role holds {permission}")


def _url(path: str, bad_param: str, bad_value: str) -> str:
    def fill(match: re.Match) -> str:
        name = match.group(1)
        return bad_value if name == bad_param else STRING_PARAMS.get(name, "1")

    return re.sub(r"\{(\w+)\}", fill, path)


def test_the_document_has_integer_path_ids_to_try():
    # Guards the test itself: the OpenAPI document still types record ids as integers.
    assert len(ROUTES) >= 40
    assert {"patient_id", "session_id"} <= {name for *_, name in ROUTES}


@pytest.mark.parametrize(
    ("method", "path", "permission", "param"),
    ROUTES,
    ids=[f"{m.upper()} {p}" for m, p, *_ in ROUTES],
)
def test_an_id_that_is_not_plain_digits_is_refused_on_every_route(
    api, people, method, path, permission, param
):
    client = api(_holder(people, permission))
    wrong = []
    for label, value in NOT_AN_ID.items():
        url = _url(path, param, value)
        kwargs = {"headers": client.headers}
        if method in {"post", "patch", "put"}:
            kwargs.update(data="{}", content_type="application/json")
        response = getattr(client.client, method)(url, **kwargs)
        body = (
            response.json()
            if response.headers.get("Content-Type", "").startswith("application/json")
            else None
        )
        named = body is not None and any(
            err.get("loc", [])[-1:] == [param] for err in body.get("details", {}).get("errors", [])
        )
        if response.status_code != 422 or set(body or {}) != {"code", "message", "details"}:
            wrong.append(f"{label} ({url}): {response.status_code} {response.content[:120]!r}")
        elif body["code"] != "invalid_input" or not named:
            wrong.append(f"{label} ({url}): 422 without naming {param}: {body}")
    assert wrong == []


def test_plain_digits_still_reach_the_record(api, prescriber, patient):
    # Leading zeros are digits too (as Django's int converter reads them).
    for spelling in (str(patient.pk), f"00{patient.pk}"):
        response = api(prescriber).get(f"/patients/{spelling}")
        assert response.status_code == 200, response.content
        assert response.json()["id"] == patient.pk


def test_patient_8_0_is_not_patient_80(api, prescriber, patient):
    response = api(prescriber).get(f"/patients/{patient.pk}_0")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
    assert response.json()["message"].startswith("patient_id:")
