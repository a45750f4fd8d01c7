"""In the browser: a new nurse's first sign-in enrols a passkey (Chromium's virtual
authenticator, through the DevTools protocol: CTAP2, a platform authenticator with
discoverable credentials and user verification), keeps her recovery codes and reaches the
clinic; after signing out, password plus passkey get her in again. No CSP violation on the
way, and the pages pass axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.functional

PASSWORD = "correct horse battery"


@pytest.fixture
def authenticator(page):
    """A virtual platform authenticator in this page's browser context."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    yield cdp, added["authenticatorId"]
    cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": added["authenticatorId"]})


def _password(page, username: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_nurse_enrols_a_passkey_then_signs_in_with_password_and_passkey(
    page, live_server, clinic_a, make_login, authenticator, assert_accessible, csp_violations
):
    from ketacare.accounts.models import Passkey
    from ketacare.audit.models import AuditEntry

    cdp, authenticator_id = authenticator
    make_login(clinic_a, "nurse", "nurse_new", second_factor=False)
    page.goto(f"{live_server.url}/login/")
    _password(page, "nurse_new")

    expect(page.get_by_role("heading", name="Set up your second factor")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Name for this passkey").fill("This laptop")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    assert len(page.locator("#recovery-codes li").all_inner_texts()) == 10
    page.get_by_role("link", name="I have kept them: continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    held = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
    assert len(held["credentials"]) == 1
    assert Passkey.objects.get(user__username="nurse_new").name == "This laptop"

    page.goto(f"{live_server.url}/account/passkeys/")
    expect(page.get_by_role("cell", name="This laptop", exact=True)).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Sign out").click()
    _password(page, "nurse_new")
    expect(page.get_by_role("heading", name="Second step: your passkey")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Use your passkey").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")

    passkey = Passkey.objects.get(user__username="nurse_new")
    assert passkey.last_used_at is not None
    kinds = list(
        AuditEntry.objects.filter(actor__username="nurse_new")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert kinds.count("mfa_enrolled") == 1
    assert kinds[-1] == "mfa_verified"
    assert "mfa_failed" not in kinds
    csp_violations.assert_none()
