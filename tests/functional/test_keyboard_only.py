"""Keyboard only (issue 17.6): a nurse signs in (password, then the authenticator's code),
opens the board, opens a patient's run sheet and checks the patient in; a patient signs in to
the portal and answers a GAD-7. Tab, Shift-free, Space for a choice and Enter: no mouse, no
click. Every element reached shows a visible focus indicator."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = pytest.mark.functional

PASSWORD = "correct horse battery"

FOCUS_VISIBLE = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return false;
    const s = getComputedStyle(el);
    const outline = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0;
    return outline || (s.boxShadow && s.boxShadow !== "none");
}"""


def tab_to(page, predicate: str, limit: int = 120) -> None:
    """Press Tab until the focused element matches ``predicate`` (a JS expression over
    ``el``); each element reached on the way must show its focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(
            f"() => {{ const el = document.activeElement; return !!el && ({predicate}); }}"
        ):
            assert page.evaluate(FOCUS_VISIBLE), f"no visible focus on {predicate} at {page.url}"
            return
    pytest.fail(f"Tab never reached {predicate} on {page.url}")


def sign_in_by_keyboard(page, base_url: str, username: str) -> None:
    from ketacare.demo.seed import demo_totp_code

    page.goto(f"{base_url}/login/")
    tab_to(page, "el.id === 'id_username'")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "id_password"
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    if "/login/second-factor/" in page.url:
        code = demo_totp_code(username)
        # The code field has autofocus: the page opens with the cursor in it.
        if page.evaluate("() => document.activeElement.id") != "id_code":
            tab_to(page, "el.id === 'id_code'")
        assert page.evaluate(FOCUS_VISIBLE)
        page.keyboard.type(code)
        with page.expect_navigation():
            page.keyboard.press("Enter")
    assert "/login/" not in page.url, page.url


def _todays_scheduled_session():
    from ketacare.measures.models import SafetyAlert
    from ketacare.treatment.models import TreatmentSession

    alerted = set(SafetyAlert.objects.filter(status="open").values_list("patient_id", flat=True))
    sessions = TreatmentSession.objects.filter(
        scheduled_at__date=timezone.localdate(), state="scheduled"
    ).order_by("chair", "id")
    return next(s for s in sessions if s.patient_id not in alerted)


def test_sign_in_board_run_sheet_and_portal_by_keyboard_alone(browser, live_server):
    from ketacare.demo.seed import seed_demo_clinic

    assert seed_demo_clinic(password=PASSWORD)
    session = _todays_scheduled_session()

    nurse = browser.new_context(viewport={"width": 1024, "height": 768}).new_page()
    sign_in_by_keyboard(nurse, live_server.url, "nurse")
    tab_to(nurse, "el.tagName === 'A' && el.getAttribute('href') === '/board/'")
    nurse.keyboard.press("Enter")
    nurse.wait_for_url("**/board/")
    tab_to(nurse, f"el.tagName === 'A' && el.getAttribute('href') === '/sessions/{session.pk}/'")
    nurse.keyboard.press("Enter")
    nurse.wait_for_url(f"**/sessions/{session.pk}/")
    tab_to(nurse, "el.tagName === 'BUTTON' && el.textContent.trim() === 'Check in'")
    nurse.keyboard.press("Enter")
    expect(nurse.get_by_role("heading", name="Vital signs", exact=True)).to_be_visible()
    session.refresh_from_db()
    assert session.state != "scheduled"

    portal = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    sign_in_by_keyboard(portal, live_server.url, "patient")
    tab_to(portal, "el.tagName === 'A' && el.getAttribute('href') === '/portal/self-report/gad7/'")
    portal.keyboard.press("Enter")
    portal.wait_for_url("**/portal/self-report/gad7/")
    for item in range(7):
        # Tab enters each question's radio group on its first answer; Space chooses it.
        tab_to(portal, "el.type === 'radio'", limit=120 if item == 0 else 3)
        portal.keyboard.press("Space")
        assert portal.evaluate("() => document.activeElement.checked"), item
    tab_to(portal, "el.tagName === 'BUTTON' && el.textContent.trim() === 'Send my answers'")
    portal.keyboard.press("Enter")
    expect(portal.get_by_role("heading", name="Thank you")).to_be_visible()
