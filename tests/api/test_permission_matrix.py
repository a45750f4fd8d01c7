"""Every API route, tried by every role, signed out, and from a second clinic (issue 14.2).

The routes come from the OpenAPI document, so a new route is in the matrix the moment it is
mounted. Each operation publishes the permission it needs (`x-permission`); the expected
outcome of each cell comes from `accounts.permissions.ROLE_PERMISSIONS` (docs/roles.md). A
role without it must get 403 before anything else happens (even with an empty body); a role
with it must get past authorisation, never a 500; signed out, 401. Every role of another
clinic gets 404 for clinic A's records (403 when the role lacks the permission; 422 only
where an empty body fails validation before the record is looked up). Routes without
`x-permission` must be listed as public here.
"""

import re

import pytest
from tests.support.clinic_records import clinic_people, clinic_records

from ketacare.accounts.permissions import ROLE_PERMISSIONS, Permission
from ketacare.api import api as ninja_api
from ketacare.api.auth import SIGNED_IN

PUBLIC = {
    ("get", "/api/v1/health"),
    ("post", "/api/v1/auth/token"),
    ("post", "/api/v1/self-report/{token}"),  # a signed single-use link is the credential
}

OPERATIONS = [
    (method, path, op.get("x-permission"))
    for path, methods in ninja_api.get_openapi_schema(path_prefix="/api/v1")["paths"].items()
    for method, op in methods.items()
]


@pytest.fixture
def path_ids(people, patient):
    """Ids of clinic A records for every path parameter the API uses
    (tests/support/clinic_records.py, shared with the page matrix)."""
    return {**clinic_records(people, patient), "code": "phq9"}


@pytest.fixture
def clinic_b_people(clinic_b, make_login):
    """A login of every role at clinic B, the second clinic."""
    return clinic_people(clinic_b, "b", make_login)[0]


def _url(path: str, ids: dict[str, int]) -> str:
    def fill(match: re.Match) -> str:
        name = match.group(1)
        assert name in ids, f"add an id for path parameter {name!r} to path_ids"
        return str(ids[name])

    return re.sub(r"\{(\w+)\}", fill, path)


def _call(client, method: str, url: str):
    if method in {"post", "patch", "put"}:
        return getattr(client, method)(url, {})
    return (
        client.get(url)
        if method == "get"
        else getattr(client.client, method)(url, headers=client.headers)
    )


def test_every_route_declares_a_permission_or_is_listed_public():
    undeclared = [(m, p) for m, p, perm in OPERATIONS if perm is None and (m, p) not in PUBLIC]
    assert undeclared == []
    known = {*Permission._value2member_map_, SIGNED_IN}
    assert all(perm in known for _, _, perm in OPERATIONS if perm)


def _role_holds(role, permission: str) -> bool:
    """``signed_in`` routes (one's own sign-in: step-up, tokens) are every role's."""
    return permission == SIGNED_IN or Permission(permission) in ROLE_PERMISSIONS[role]


DECLARED = [o for o in OPERATIONS if o[2]]
WITH_RECORD = [o for o in DECLARED if "{" in o[1]]


def _id(operation) -> str:
    method, path, _permission = operation
    return f"{method.upper()} {path}"


@pytest.mark.parametrize(("method", "path", "permission"), DECLARED, ids=map(_id, DECLARED))
def test_each_role_reaches_exactly_the_routes_its_permissions_allow(
    api, people, path_ids, method, path, permission
):
    url = _url(path, path_ids)
    wrong = []
    for role, user in [*people.items(), (None, None)]:
        response = _call(api(user), method, url)
        status = response.status_code
        if status >= 500:
            wrong.append(f"{role or 'anonymous'}: {status} (a server error)")
        elif role is None:
            if status != 401 or response.json()["code"] != "not_authenticated":
                wrong.append(f"anonymous: {status}, expected 401")
        elif _role_holds(role, permission):
            if status in (401, 403):
                wrong.append(f"{role} holds {permission} but got {status}: {response.content!r}")
        elif status != 403 or response.json()["code"] != "permission_denied":
            wrong.append(f"{role} lacks {permission} but got {status}")
    assert wrong == [], f"{method.upper()} {path} needs {permission}: " + "; ".join(wrong)


@pytest.mark.parametrize(("method", "path", "permission"), WITH_RECORD, ids=map(_id, WITH_RECORD))
def test_no_role_of_another_clinic_sees_clinic_a_records(
    api, clinic_b_people, path_ids, method, path, permission
):
    url = _url(path, path_ids)
    seen = []
    for role, user in clinic_b_people.items():
        response = _call(api(user), method, url)
        status = response.status_code
        if not _role_holds(role, permission):
            expected = status == 403
        elif method in {"post", "patch", "put"}:
            # An empty body can fail validation (422) before the record is looked up: it
            # proves nothing was reached; the routes' own tests send valid bodies.
            expected = status in (404, 422)
        else:
            expected = status == 404
        if not expected:
            seen.append(f"{role}: {status}")
    assert seen == [], f"clinic B at {method.upper()} {url}: " + "; ".join(seen)
