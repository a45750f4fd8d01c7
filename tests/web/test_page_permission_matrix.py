"""Every page, tried by every role, signed out, and from a second clinic (issue 14.2).

The pages are found by walking Django's URL resolver, so a new page is in the matrix the
moment it is routed. Each page declares the permission it needs (``web.pages.requires``);
the expected outcome of each cell comes from ``accounts.permissions.ROLE_PERMISSIONS``
(docs/roles.md is that table):

- a role holding the permission gets past authorisation: not 401/403, not sent to sign in,
  never a 500 (a POST-only page is also posted, empty);
- a role without it gets 403 or 404 (or is sent to sign in), never a 500;
- signed out, every declared page sends the visitor to sign in;
- another clinic's user of every role never sees clinic A's record (403/404).

The JSON API (``/api/``), FHIR and CDS Hooks have their own matrices and authentication
(tests/api/test_permission_matrix.py, tests/interop); Django's admin site is refused to every
KetaCare role (no one is ``is_staff``).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from tests.support.clinic_records import clinic_people, clinic_records, session

from ketacare.accounts.models import Role
from ketacare.accounts.permissions import holds

# Pages anyone may open: signing in and its steps, and pages whose link is the credential.
PUBLIC = {
    "web:login",
    "web:logout",
    "accounts:second_factor",
    "accounts:enrol",
    "portal:link_self_report",  # a signed single-use link
    "portal:activate",  # a one-time activation link
}
# Served under their own authentication and matrices, not Django pages: the JSON API, FHIR,
# CDS Hooks, and SMART's OAuth 2.0 endpoints and discovery (tests/smart).
OWN_AUTH_PREFIXES = ("api/", "fhir", "cds-services", "oauth2/", ".well-known/")

ROLES = [*Role, None]  # None: signed out


def _walk(resolver, prefix: str = "", namespace: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            full_ns = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from _walk(entry, prefix + str(entry.pattern), full_ns)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), namespace, entry


def _params(pattern: URLPattern) -> list[str]:
    regex = pattern.pattern.regex
    return list(regex.groupindex)


def _pages() -> list[tuple[str, list[str], Any, bool]]:
    """``(url name, parameters, view, admin)`` for every named page outside the API."""
    pages = []
    for route, namespace, pattern in _walk(get_resolver()):
        if route.startswith(OWN_AUTH_PREFIXES) or route.startswith("^fhir"):
            continue
        if not pattern.name:
            continue  # unnamed admin redirects; the admin is covered by its named pages
        name = f"{namespace}:{pattern.name}" if namespace else pattern.name
        pages.append((name, _params(pattern), pattern.callback, route.startswith("admin/")))
    return pages


PAGES = _pages()
DECLARED = [(n, p, v) for n, p, v, admin in PAGES if not admin and n not in PUBLIC]
ADMIN = [(n, p) for n, p, _v, admin in PAGES if admin]
WITH_RECORD = [(n, p, v) for n, p, v in DECLARED if p]


def test_every_page_declares_a_permission_or_is_listed_public():
    undeclared = [n for n, _p, v in DECLARED if not hasattr(v, "page_permission")]
    assert undeclared == [], (
        "declare the permission with @requires(Permission.X) under @staff_page "
        f"(or list the page in PUBLIC): {undeclared}"
    )
    assert len(DECLARED) >= 50


@pytest.fixture
def records(people, patient, clinic_a):
    """Clinic A's records; a protocol code, a scale and a registered SMART app for the pages
    named by them."""
    from oauth2_provider.models import Application

    app = Application.objects.create(
        name="Matrix app", client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://app.example/callback",
    )  # fmt: skip
    ids = clinic_records(people, patient)
    return {**ids, "code": "in_esketamine_trd", "instrument": "phq9", "application_id": app.pk}


@pytest.fixture
def clinic_b_people(clinic_b, make_login):
    people, patient = clinic_people(clinic_b, "b", make_login)
    own_session = session(people[Role.PRESCRIBER], patient)
    return people, {"patient_id": patient.pk, "session_id": own_session.pk}


def _url(name: str, params: list[str], ids: dict[str, Any]) -> str:
    missing = [p for p in params if p not in ids]
    assert not missing, f"add ids for {missing} (page {name}) to the records fixture"
    return reverse(name, kwargs={p: ids[p] for p in params})


def _client(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _fetch(client: Client, url: str):
    """GET the page; a page that only takes POST is posted too (an empty form)."""
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url, {})
    return response


def _to_sign_in(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("web:login"))


def _label(role) -> str:
    return "anonymous" if role is None else str(role)


@pytest.mark.parametrize(("name", "params", "view"), DECLARED, ids=[n for n, _p, _v in DECLARED])
def test_each_role_reaches_exactly_the_pages_its_permissions_allow(
    people, records, name, params, view
):
    url = _url(name, params, records)
    permission = view.page_permission
    wrong = []
    for role in ROLES:
        user = None if role is None else people[role]
        response = _fetch(_client(user), url)
        status = response.status_code
        if status >= 500:
            wrong.append(f"{_label(role)}: {status} (a server error)")
        elif role is None:
            if not _to_sign_in(response):
                wrong.append(f"anonymous: {status}, expected a redirect to sign in")
        elif holds(user, permission):
            if status in (401, 403) or _to_sign_in(response):
                wrong.append(f"{role} holds {permission} but got {status}")
        elif status not in (403, 404) and not _to_sign_in(response):
            wrong.append(f"{role} lacks {permission} but got {status}")
    assert wrong == [], f"{name} ({url}), needs {permission}: " + "; ".join(wrong)


@pytest.mark.parametrize(
    ("name", "params", "view"), WITH_RECORD, ids=[n for n, _p, _v in WITH_RECORD]
)
def test_no_role_of_another_clinic_sees_clinic_a_records(
    records, clinic_b_people, name, params, view
):
    outsiders, _own = clinic_b_people
    url = _url(name, params, records)
    if name == "portal:self_report":
        pytest.skip("names a questionnaire, not a record")
    if name == "protocols:new_version":
        pytest.skip("names a protocol code every clinic has its own version of")
    seen = []
    for role, user in outsiders.items():
        response = _fetch(_client(user), url)
        if response.status_code not in (403, 404) and not _to_sign_in(response):
            seen.append(f"{role}: {response.status_code}")
    assert seen == [], f"clinic B reached clinic A's record at {name} ({url}): " + "; ".join(seen)


@pytest.mark.parametrize(
    ("name", "key"), [("web:patient_chart", "patient_id"), ("treatment:session", "session_id")]
)
def test_no_role_of_clinic_a_sees_clinic_b_patient_or_session(people, clinic_b_people, name, key):
    _outsiders, theirs = clinic_b_people
    url = reverse(name, kwargs={key: theirs[key]})
    seen = {}
    for role, user in people.items():
        status = _fetch(_client(user), url).status_code
        if status not in (403, 404):
            seen[role] = status
    assert seen == {}, (name, url, seen)


@pytest.mark.parametrize(("name", "params"), ADMIN, ids=[n for n, _p in ADMIN])
def test_django_admin_is_refused_to_every_role(people, name, params):
    ids = {p: 1 for p in params}
    ids.update(
        {k: v for k, v in {"url": "anything/", "app_label": "accounts"}.items() if k in params}
    )
    url = reverse(name, kwargs=ids)
    for role in ROLES:
        user = None if role is None else people[role]
        response = _client(user).get(url)
        assert response.status_code < 500, (_label(role), url, response.status_code)
        assert response.status_code != 200 or re.search(rb'name="username"', response.content), (
            _label(role),
            url,
            "the admin answered a KetaCare role",
        )


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_pages_answer_every_role_without_a_server_error(people, name):
    pattern = next(p for n, p, _v, _a in PAGES if n == name)
    url = reverse(name, kwargs=dict.fromkeys(pattern, "x"))
    for role in ROLES:
        user = None if role is None else people[role]
        response = _client(user).get(url)
        assert response.status_code < 500, (_label(role), url, response.status_code)
