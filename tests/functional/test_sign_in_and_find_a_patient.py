"""A front-desk clerk signs in, finds a patient by typing part of the name, and opens the
chart; a wrong password shows the lockout warning."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.functional


def test_front_desk_finds_a_patient_and_opens_the_chart(
    sign_in, live_server, frontdesk, patient, screenshot
):
    page = sign_in("frontdesk_a")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Patients").click()
    page.get_by_label("Search by name or MRN").fill("Alva")
    expect(page.get_by_role("link", name="Alvarez, Avery")).to_be_visible()
    screenshot("patient-list")
    page.get_by_role("link", name="Alvarez, Avery").click()
    expect(page).to_have_url(re.compile(rf"/patients/{patient.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Alvarez, Avery")


def test_wrong_password_warns_about_lockout(sign_in, frontdesk):
    page = sign_in("frontdesk_a", "wrong-password")
    expect(page.get_by_role("alert")).to_contain_text("locked")
