"""Every page of the demo clinic, for every demo role, in Chromium: the strict
Content-Security-Policy refuses nothing the page needs (no CSP violation reported while it
loads, its htmx partials and charts included), and axe-core finds no serious or critical
accessibility violation (issue 17.6).

Which pages: each role's crawl (tests/support/pages.py: every page reached by links and htmx
partials from the home page, one per URL shape), whole documents only (a partial is checked
inside the page that loads it). The sign-in and second-step pages are checked on the way in."""

from __future__ import annotations

import pytest
from django.test import Client
from tests.functional.conftest import CspViolations, run_axe
from tests.support.pages import crawl

pytestmark = pytest.mark.functional

PASSWORD = "correct horse battery"
ROLES = ("prescriber", "nurse", "therapist", "frontdesk", "admin", "researcher", "patient")
BLOCKING = ("serious", "critical")


def _blocking(page) -> list[str]:
    return [
        f"{page.url}: {v['id']} ({v['impact']}): {v['help']} at {v['nodes']}"
        for v in run_axe(page)
        if v["impact"] in BLOCKING
    ]


def _sign_in(page, base_url: str, username: str, findings: list[str]) -> None:
    from ketacare.demo.seed import demo_totp_code

    page.goto(f"{base_url}/login/")
    findings += _blocking(page)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    if "/login/second-factor/" in page.url:
        findings += _blocking(page)
        page.get_by_label("One-time code").fill(demo_totp_code(username))
        page.get_by_role("button", name="Continue").click()
        page.wait_for_load_state()
    assert "/login/" not in page.url, f"{username} did not get in: {page.url}"


def test_every_page_of_every_role_keeps_the_csp_and_passes_axe(browser, live_server):
    from ketacare.accounts.models import User
    from ketacare.demo.seed import seed_demo_clinic

    assert seed_demo_clinic(password=PASSWORD)
    findings: list[str] = []
    violations: list[str] = []
    checked: dict[str, list[str]] = {}
    for username in ROLES:
        client = Client()
        client.force_login(User.objects.get(username=username))
        paths = [p.path for p in crawl(client).values() if p.document]
        checked[username] = paths
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        csp = CspViolations(context)
        page = context.new_page()
        _sign_in(page, live_server.url, username, findings)
        for path in paths:
            page.goto(live_server.url + path)
            page.wait_for_load_state("networkidle")
            findings += _blocking(page)
        violations += csp.seen
        context.close()
    assert sum(len(p) for p in checked.values()) >= 40, checked
    assert not violations, "CSP violations:\n" + "\n".join(violations)
    assert not findings, "axe-core serious/critical:\n" + "\n".join(findings)
