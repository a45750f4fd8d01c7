"""The clinic-day board in the browser: the row whose session changed since the last refresh
is marked in words; an overdue vitals check says so in words as well as colour; the wall
display's large type; and on a phone (390x844) every key column shows without sideways
scrolling."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect
from tests.treatment.conftest import (  # noqa: F401  (scenario fixtures, asked for by name)
    checked_in,
    cleared,
    clinic_policy,
    consent_for,
    esketamine_course,
    evaluate,
    rems_enrolled,
)

pytestmark = pytest.mark.functional


def _session(request):
    return request.getfixturevalue("esketamine_course").sessions[0]


def _row(page, session):
    return page.locator(f'tr[data-session="{session.pk}"]')


def test_the_row_that_changed_since_the_last_refresh_is_marked_in_words(
    sign_in, live_server, nurse, request, assert_accessible
):
    from ketacare.treatment.services import check_in

    session = _session(request)
    page = sign_in("nurse_a")
    page.goto(f"{live_server.url}/board/")
    row = _row(page, session)
    expect(row).to_contain_text("Scheduled")
    expect(row).not_to_have_attribute("data-changed", re.compile(".*"))
    updated_at = page.locator("#board-body").get_attribute("data-updated-at")

    check_in(actor=nurse, session=session)  # the front desk checks the patient in
    page.get_by_role("button", name="Refresh now").click()
    row = _row(page, session)
    expect(row).to_contain_text("Checked in")
    expect(row).to_have_attribute("data-changed", "changed")
    expect(row).to_contain_text(f"Changed since {updated_at}, was Scheduled")
    expect(page.locator("#board-changes")).to_contain_text(
        f"1 session changed since {updated_at}: Alvarez, Avery."
    )
    assert_accessible(page)

    # Nothing changed at the next refresh: the mark goes.
    with page.expect_response(re.compile(r"/board/$")):
        page.get_by_role("button", name="Refresh now").click()
    expect(_row(page, session)).to_contain_text("Checked in")
    expect(_row(page, session)).not_to_have_attribute("data-changed", re.compile(".*"))
    expect(page.locator("#board-changes")).to_have_text("")


def test_an_overdue_vitals_check_is_said_in_words_and_colour(
    sign_in, live_server, nurse, prescriber, request
):
    from decimal import Decimal

    from ketacare.treatment.services import administer_dose, record_observation

    dosed_at = timezone.now() - timedelta(minutes=65)
    with time_machine.travel(dosed_at - timedelta(minutes=20), tick=True) as clock:
        session = request.getfixturevalue("cleared")(_session(request))
        clock.move_to(dosed_at)
        administer_dose(
            actor=prescriber,
            session=session,
            lot_number="L1",
            dose_mg=Decimal("56"),
            device_times=[dosed_at - timedelta(minutes=5), dosed_at],
            pulse_oximeter_available=True,
        )
        record_observation(
            actor=nurse, session=session, scale="moaas", items=[5], observed_at=dosed_at
        )
    page = sign_in("nurse_a")
    page.goto(f"{live_server.url}/board/")
    row = _row(page, session)
    expect(row).to_have_class("row-overdue")
    overdue = row.locator("[data-overdue-readings]")
    expect(overdue).to_have_text(re.compile(r"Overdue: 1 vitals check missed"))
    colour = overdue.evaluate("el => getComputedStyle(el).color")
    assert colour == "rgb(165, 29, 36)"  # --danger repeats the words


def test_wall_display_mode_shows_the_board_in_large_type(sign_in, live_server, request):
    session = _session(request)
    page = sign_in("nurse_a")
    page.goto(f"{live_server.url}/board/")
    size = (
        _row(page, session)
        .locator("td")
        .first.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
    )
    page.get_by_role("link", name="Wall display (large text)").click()
    expect(page).to_have_url(re.compile(r"/board/\?display=large$"))
    expect(page.get_by_role("link", name="Standard display")).to_be_visible()
    large = (
        _row(page, session)
        .locator("td")
        .first.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
    )
    assert large >= size * 1.3
    assert page.locator("#board-body").get_attribute("hx-get") == "/board/?display=large"


def test_on_a_phone_the_board_shows_the_key_columns_without_sideways_scrolling(
    sign_in, live_server, request, assert_accessible
):
    session = _session(request)
    page = sign_in("nurse_a")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/board/")
    row = _row(page, session)
    expect(row.get_by_role("link", name="Alvarez, Avery")).to_be_in_viewport()
    for label in ("Time", "Patient", "State", "Due next", "Flags"):
        cell = row.locator(f'td[data-label="{label}"]')
        expect(cell).to_be_visible()
        box = cell.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 390
        shown = cell.evaluate("el => getComputedStyle(el, '::before').content")
        assert shown == f'"{label}"'  # each cell names its column
    expect(row).to_contain_text("Scheduled")
    expect(row).to_contain_text("Check in")
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at 390x844"
    assert_accessible(page)
