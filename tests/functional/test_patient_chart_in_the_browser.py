"""The chart in the browser: the header of what is dangerous stays on screen while the
clinician scrolls; the panels reopen the way the user left them after a reload; the access
log pages 20 entries at a time without leaving the chart; the print view lays out the
summary for paper."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.functional


@pytest.fixture
def long_access_log(clinic_admin, patient):
    from ketacare.audit.services import record_read

    for i in range(45):
        record_read(actor=clinic_admin, target=patient, patient_id=patient.pk, summary=f"visit {i}")


def test_header_stays_visible_while_scrolling_the_chart(
    sign_in, live_server, prescriber, patient, long_access_log
):
    page = sign_in("prescriber_a")
    page.set_viewport_size({"width": 1280, "height": 600})
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.get_by_role("button", name="Open all").click()
    header = page.locator("#chart-header")
    expect(header).to_contain_text("Allergies")
    expect(header).to_contain_text("Next session")
    page.mouse.wheel(0, 4000)
    page.wait_for_function("() => window.scrollY > 1000")
    expect(header).to_be_in_viewport()
    box = header.bounding_box()
    assert box is not None
    assert abs(box["y"]) < 2  # pinned to the top of the window


def test_panels_reopen_the_way_the_user_left_them(sign_in, live_server, prescriber, patient):
    page = sign_in("prescriber_a")
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    log = page.locator('details[data-panel="access-log"]')
    summary_panel = page.locator('details[data-panel="summary"]')
    expect(log).not_to_have_attribute("open", "")  # out of the way at first
    expect(summary_panel).to_have_attribute("open", "")
    log.locator("summary").click()
    summary_panel.locator("summary").click()
    expect(log).to_have_attribute("open", "")
    page.reload()
    expect(page.locator('details[data-panel="access-log"]')).to_have_attribute("open", "")
    expect(page.locator('details[data-panel="summary"]')).not_to_have_attribute("open", "")
    # A section link opens its panel before jumping to it.
    page.get_by_role("navigation", name="Chart sections").get_by_role(
        "link", name="Summary"
    ).click()
    expect(page.locator('details[data-panel="summary"]')).to_have_attribute("open", "")


def test_access_log_pages_with_htmx_inside_the_chart(
    sign_in, live_server, prescriber, patient, long_access_log, assert_accessible
):
    page = sign_in("prescriber_a")
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.locator('details[data-panel="access-log"] summary').click()
    log = page.locator("#audit-log")
    expect(log.locator("tbody tr")).to_have_count(20)
    expect(log).to_contain_text("page 1 of 3")
    log.get_by_role("link", name="Older entries").click()
    expect(log).to_contain_text("page 2 of 3")
    expect(page).to_have_url(re.compile(rf"/patients/{patient.pk}/$"))  # still on the chart
    expect(page.locator("#audit-log tbody tr")).to_have_count(20)
    page.locator("#audit-log").get_by_role("link", name="Older entries").click()
    expect(page.locator("#audit-log")).to_contain_text("page 3 of 3")
    expect(page.locator("#audit-log").get_by_role("link", name="Older entries")).to_have_count(0)
    page.locator("#audit-log").get_by_role("link", name="Newer entries").click()
    expect(page.locator("#audit-log")).to_contain_text("page 2 of 3")
    assert_accessible(page)


def test_print_view_of_the_chart_summary(sign_in, live_server, prescriber, patient, screenshot):
    page = sign_in("prescriber_a")
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.get_by_role("link", name="Print summary").click()
    expect(page).to_have_url(re.compile(rf"/patients/{patient.pk}/print/$"))
    expect(page.get_by_text("Chart summary printed")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    expect(page.locator("#chart-header")).to_be_visible()
    pdf = page.pdf(format="A4")  # what the print dialog would produce
    assert pdf[:4] == b"%PDF"
