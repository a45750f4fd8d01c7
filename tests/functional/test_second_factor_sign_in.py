"""In the browser: a new prescriber's first sign-in enrols an authenticator (the key read off
the page, as a person types it into their app), keeps the recovery codes, and reaches the
clinic; the next sign-in asks for the app's code, and a wrong one is refused."""

from __future__ import annotations

from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

pytestmark = pytest.mark.functional

PASSWORD = "correct horse battery"


def _app_code(base32_key: str, *, steps_ahead: int = 0) -> str:
    """What an authenticator app shows for this key now (RFC 6238, SHA-1, 6 digits, 30 s)."""
    key = "".join(base32_key.split())
    totp = TOTP(b32decode(key + "=" * (-len(key) % 8)), step=30, digits=6)
    totp.time = totp.time + 30 * steps_ahead
    return f"{totp.token():06d}"


def test_first_sign_in_enrols_then_every_sign_in_asks_for_the_code(
    page, live_server, clinic_a, assert_accessible, make_login
):
    from ketacare.audit.models import AuditEntry

    make_login(clinic_a, "prescriber", "dr_new", second_factor=False)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("dr_new")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Set up your second factor")).to_be_visible()
    assert_accessible(page)
    key = page.locator("#totp-secret").inner_text()
    page.get_by_label("Code from the app").fill(_app_code(key))
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name="I have kept them: continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")

    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Username").fill("dr_new")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Second step: the code from your app")).to_be_visible()
    assert_accessible(page)
    right = _app_code(key, steps_ahead=1)  # this step's code was used to enrol
    page.get_by_label("One-time code").fill(f"{(int(right) + 1) % 1_000_000:06d}")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_contain_text("That code is not right")

    # A recovery code gets in where the app's code is not at hand (after django-otp's
    # throttle of one second that follows a wrong code).
    page.wait_for_timeout(1500)
    page.get_by_label("One-time code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    kinds = set(
        AuditEntry.objects.filter(actor__username="dr_new").values_list("action", flat=True)
    )
    assert {"login", "mfa_enrolled", "mfa_failed", "mfa_verified", "logout"} <= kinds
