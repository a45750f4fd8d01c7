"""The Content-Security-Policy (issue 14.4): every page and API answer carries the strict
policy, and no page relies on what it refuses: no inline <script> (a JSON data block from
``json_script`` is data, not script), no <style> block, no style="" attribute, no on*=
handler and no javascript: URL.

One demo clinic, seeded once for the module inside a transaction rolled back at the end.
Each demo role's pages are found by following the links (and htmx hx-get partials) from the
role's home page, one page per URL shape (digits stand for any id), so a page added later is
checked without this test being edited."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client
from tests.support.pages import assert_strict_policy, crawl, inline_problems

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    from ketacare.accounts.models import User
    from ketacare.demo.seed import seed_demo_clinic

    with django_db_blocker.unblock(), transaction.atomic():
        seed_demo_clinic(password="demo-pass-for-tests")
        yield {u.username: u for u in User.objects.all()}
        transaction.set_rollback(True)


ROLES = ("prescriber", "nurse", "therapist", "frontdesk", "admin", "researcher", "patient")


@pytest.mark.parametrize("username", ROLES)
def test_every_page_a_role_reaches_carries_the_policy_and_nothing_inline(demo, username):
    client = Client()
    client.force_login(demo[username])
    pages = crawl(client, "/")
    assert len(pages) >= 3, f"the crawl from / reached only {sorted(pages)}"
    inline = {path: page.problems for path, page in pages.items() if page.problems}
    assert not inline, "inline script/style on pages:\n" + "\n".join(
        f"{path}: {problems}" for path, problems in inline.items()
    )


def test_sign_in_and_second_step_pages_carry_the_policy_and_nothing_inline(demo):
    client = Client()
    sign_in = client.get("/login/")
    assert_strict_policy(sign_in)
    assert inline_problems(sign_in.content.decode())[0] == []
    response = client.post(
        "/login/", {"username": "nurse", "password": "demo-pass-for-tests"}, follow=True
    )
    assert response.request["PATH_INFO"] == "/login/second-factor/"
    assert_strict_policy(response)
    assert inline_problems(response.content.decode())[0] == []


def test_enrolment_page_shows_the_qr_as_inline_svg_without_inline_style(
    client, make_login, clinic_a
):
    make_login(clinic_a, "nurse", "new_nurse", second_factor=False)
    response = client.post(
        "/login/", {"username": "new_nurse", "password": "correct horse battery"}, follow=True
    )
    assert response.request["PATH_INFO"] == "/login/enrol/"
    assert_strict_policy(response)
    body = response.content.decode()
    assert "<svg" in body
    assert inline_problems(body)[0] == []


def test_api_answers_and_errors_carry_the_policy_too(api, nurse, patient, client):
    assert_strict_policy(api(nurse).get(f"/patients/{patient.pk}"))
    assert_strict_policy(api(None).get(f"/patients/{patient.pk}"))  # 401
    assert_strict_policy(client.get("/no-such-page/"))


def test_the_checker_finds_each_inline_form_and_allows_data_blocks_and_files():
    html = (
        '<script src="/static/a.js" defer></script>'
        '<script id="d" type="application/json">{"a": 1}</script>'
        "<script>alert(1)</script>"
        "<style>p{}</style>"
        '<p style="color:red">x</p>'
        '<button onclick="go()">Go</button>'
        '<a href="javascript:go()">go</a>'
        '<svg><path fill="#000" d="M0 0"/></svg>'
    )
    problems, _ = inline_problems(html)
    assert [p.split(": ", 1)[1].split(":")[0] for p in problems] == [
        "inline <script>",
        "<style> block",
        "style attribute on <p>",
        "onclick= handler on <button>",
        "javascript",
    ]
