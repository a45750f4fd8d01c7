"""A whole clinic day on the demo clinic, each person in their own browser:

the front desk checks a patient in; the nurse records a blood pressure over the pre-dose
threshold and sees the session held; the prescriber acknowledges the warning with a reason; the
dose is given; vitals, MOAA/S and CADSS are recorded; discharge is refused before the minimum
observation and accepted after it; the patient answers a PHQ-9 with item 9 positive in the
portal and the alert appears on the clinic board. The prescriber then orders a course.

The clock is controlled with time_machine. The live server runs in a thread of this process,
so moving the clock here moves the server's clock too (checked: the board prints the server's
time). Idle sign-ins expire after 30 minutes, so time moves in steps with the nurse's page
reloaded in between, as a real tablet left open on the run sheet would be.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = pytest.mark.functional

PASSWORD = "correct horse battery"
IDLE_STEP = timedelta(minutes=20)  # under the 30-minute idle sign-out


def _start_of_day() -> datetime:
    """10:05 on the clinic's calendar, on a day not before the real one. The demo's session
    a week earlier was dosed at about 09:50, so today's dose falls outside its rolling 7-day
    window (the protocol allows 2 sessions in 7 days)."""
    local = timezone.localtime(timezone.now())
    day = local.date() if local.hour < 10 else local.date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, 10, 5, tzinfo=local.tzinfo)


class Person:
    """One member of staff (or the patient) in their own browser context."""

    def __init__(self, browser, base_url: str, username: str):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.base_url = base_url
        self.username = username

    def leave(self) -> None:
        """Step away: a blank page, so no htmx polling runs while others work (the live
        server shares one SQLite connection between its request threads in tests)."""
        self.page.goto("about:blank")

    def open(self, path: str):
        """Go to ``path``, signing in first when the sign-in has lapsed."""
        self.page.goto(self.base_url + path)
        if "/login/" in self.page.url:
            self.page.get_by_label("Username").fill(self.username)
            self.page.get_by_label("Password").fill(PASSWORD)
            self.page.get_by_role("button", name="Sign in").click()
            self.page.wait_for_load_state()
        if "/login/second-factor/" in self.page.url:
            # The code the demo login's authenticator shows now (`ketacare demo-code`).
            from ketacare.demo.seed import demo_totp_code

            self.page.get_by_label("One-time code").fill(demo_totp_code(self.username))
            self.page.get_by_role("button", name="Continue").click()
            self.page.wait_for_load_state()
        return self.page


def _hhmm(when: datetime) -> str:
    return timezone.localtime(when).strftime("%H:%M")


def _todays_session(username_patient_ids: set[int]):
    """Today's demo session whose patient has no open safety alert (so the day's only
    blocker is the one this test creates) and who is not the portal patient."""
    from ketacare.measures.models import SafetyAlert
    from ketacare.treatment.context import start_of_clinic_day
    from ketacare.treatment.models import TreatmentSession

    day = start_of_clinic_day(timezone.now())
    alerted = set(SafetyAlert.objects.filter(status="open").values_list("patient_id", flat=True))
    sessions = TreatmentSession.objects.filter(
        scheduled_at__gte=day, scheduled_at__lt=day + timedelta(days=1), state="scheduled"
    ).select_related("patient")
    return next(
        s
        for s in sessions.order_by("chair", "id")
        if s.patient_id not in alerted and s.patient_id not in username_patient_ids
    )


def test_a_whole_clinic_day_as_separate_users(
    browser, live_server, screenshot_dir, assert_accessible
):
    from ketacare.accounts.models import User
    from ketacare.demo.seed import seed_demo_clinic
    from ketacare.treatment.models import Course, SessionAcknowledgment, TreatmentSession

    with time_machine.travel(_start_of_day(), tick=True) as clock:
        assert seed_demo_clinic(password=PASSWORD)
        portal_patient = User.objects.get(username="patient").patient
        session = _todays_session({portal_patient.pk})
        patient = session.patient
        name = f"{patient.family_name}, {patient.given_name}"
        run_sheet = f"/sessions/{session.pk}/"
        people = {
            u: Person(browser, live_server.url, u)
            for u in ("frontdesk", "nurse", "prescriber", "patient")
        }
        front, nurse, prescriber, portal = (
            people["frontdesk"],
            people["nurse"],
            people["prescriber"],
            people["patient"],
        )

        def advance(delta: timedelta) -> None:
            while delta > timedelta(0):
                step = min(delta, IDLE_STEP)
                clock.shift(step)
                delta -= step
                nurse.open(run_sheet)

        # Login page is accessible.
        page = front.open("/login/")
        assert_accessible(page)

        # 1. The front desk finds the patient, opens today's session from the chart and
        #    checks the patient in.
        page = front.open("/patients/")
        page.get_by_label("Search by name or MRN").fill(patient.family_name)
        page.get_by_role("link", name=name).first.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(name)
        page.locator("#treatment").locator(f'a[href="{run_sheet}"]').click()
        page.get_by_role("button", name="Check in").click()
        expect(page.locator("#status-panel [data-state]")).to_have_attribute(
            "data-state", "checked_in"
        )
        front.leave()

        # 2. The nurse opens the clinic-day board (the server's clock is the test's clock),
        #    then the run sheet; records BP over the pre-dose threshold and a MOAA/S
        #    baseline; clearance is refused with the same code the API uses.
        page = nurse.open("/")
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Clinic day").click()
        expect(page.get_by_text(f"Updated at {_hhmm(timezone.now())}")).to_be_visible()
        expect(page.locator(f'tr[data-session="{session.pk}"]')).to_contain_text("Checked in")
        assert_accessible(page)
        page.get_by_role("link", name=name).first.click()
        expect(page).to_have_url(re.compile(rf"{run_sheet}$"))
        page.get_by_label("Systolic BP (mmHg)").fill("158")
        page.get_by_label("Diastolic BP (mmHg)").fill("96")
        page.get_by_label("Heart rate (/min)").fill("84")
        page.get_by_label("SpO2 (%)").fill("98")
        page.get_by_label("Respiratory rate (/min)").fill("15")
        page.get_by_role("button", name="Record vitals").click()
        expect(page.locator("#vitals-panel")).to_contain_text(
            "(out of range: above the pre-dose limit of 140 mmHg)"
        )
        page.get_by_label("MOAA/S rating").select_option("5")
        page.get_by_role("button", name="Record MOAA/S").click()
        expect(page.locator("#run-sheet .timeline")).to_contain_text("MOAAS total 5")
        page.get_by_label("Fasting (NPO) confirmed with the patient").check()
        page.get_by_label("Ride home (who drives the patient)").fill("Sister drives")
        page.get_by_role("button", name="Clear for dosing").click()
        blocked = page.locator('#blockers-region li[data-code="bp_above_predose_threshold"]')
        expect(blocked).to_be_visible()
        expect(page.locator("#blockers-title")).to_have_text("Refused")
        expect(page.get_by_label("Ride home (who drives the patient)")).to_have_value(
            "Sister drives"
        )  # what was typed is kept
        assert page.locator("#override-form").count() == 0  # nurses cannot override
        assert_accessible(page)
        nurse.page.screenshot(path=str(screenshot_dir / "run-sheet-blocked.png"), full_page=True)

        # 3. The prescriber acknowledges the BP warning with a reason (the label's 140/90 is
        #    guidance, so it is acknowledged, not overridden: issue 16.2).
        page = prescriber.open(run_sheet)
        expect(page.locator("#blockers-region .evidence").first).to_contain_text("Evidence:")
        form = page.locator("#acknowledge-form")
        form.locator('input[value="bp_above_predose_threshold"]').check()
        form.get_by_label("Reason (required)").fill(
            "Anxious on arrival; repeat 150/92 and falling. Proceed with BP at 40 min."
        )
        form.get_by_role("button", name="Acknowledge and record reason").click()
        covered = page.locator("#blockers-region").get_by_text("Acknowledged", exact=True)
        expect(covered).to_be_visible()
        assert SessionAcknowledgment.objects.filter(session=session).count() == 1
        page.screenshot(path=str(screenshot_dir / "run-sheet-override.png"), full_page=True)
        prescriber.leave()

        # 4. The nurse clears the patient and gives 56 mg as two devices 5 minutes apart,
        #    with the prescriber on site.
        page = nurse.open(run_sheet)
        page.get_by_label("Fasting (NPO) confirmed with the patient").check()
        page.get_by_label("Ride home (who drives the patient)").fill("Sister drives")
        page.get_by_role("button", name="Clear for dosing").click()
        expect(page.locator("#status-panel [data-state]")).to_have_attribute(
            "data-state", "cleared"
        )
        expect(page.locator("#dose-preview")).to_contain_text("2 devices")
        clock.shift(timedelta(minutes=6))
        page = nurse.open(run_sheet)
        first_device = timezone.now() - timedelta(minutes=5)
        last_device = timezone.now()
        page.get_by_label("Lot number").fill("ESK-24-117")
        page.get_by_label("Dose (mg)").fill("56")
        page.get_by_label("Device 1 at").fill(_hhmm(first_device))
        page.get_by_label("Device 2 at").fill(_hhmm(last_device))
        page.get_by_label("Prescriber on site").select_option(
            str(User.objects.get(username="prescriber").pk)
        )
        page.get_by_label("Pulse oximeter on the patient").check()
        page.get_by_role("button", name="Record the dose").click()
        expect(page.locator("#status-panel [data-state]")).to_have_attribute("data-state", "dosing")

        # 5. Forty minutes after the last device: vitals, MOAA/S (starts observation)
        #    and CADSS.
        advance(timedelta(minutes=40))
        page = nurse.page
        for label, value in (
            ("Systolic BP (mmHg)", "132"),
            ("Diastolic BP (mmHg)", "84"),
            ("Heart rate (/min)", "78"),
            ("SpO2 (%)", "97"),
            ("Respiratory rate (/min)", "14"),
        ):
            page.get_by_label(label).fill(value)
        page.get_by_role("button", name="Record vitals").click()
        expect(page.locator("#vitals-panel tbody tr")).to_have_count(2)
        page.get_by_label("MOAA/S rating").select_option("5")
        page.get_by_role("button", name="Record MOAA/S").click()
        expect(page.locator("#status-panel [data-state]")).to_have_attribute(
            "data-state", "observation"
        )
        page.locator("#cadss-item_3").select_option("1")
        page.get_by_label("Clinician judges dissociation resolved").check()
        page.get_by_role("button", name="Record CADSS").click()
        expect(page.locator("#run-sheet .timeline")).to_contain_text("CADSS total 1")

        # The board shows the server's countdown to the 120-minute esketamine minimum from
        # the last device (the default count, "after administration"; typed as HH:MM, so from
        # the start of that minute): about 80 min.
        board = nurse.context.new_page()
        board.goto(live_server.url + "/board/")
        row = board.locator(f'tr[data-session="{session.pk}"]')
        expect(row).to_contain_text("Observation")
        ends = timezone.localtime(last_device).replace(second=0, microsecond=0) + timedelta(
            minutes=120
        )
        expected = math.ceil((ends - timezone.now()).total_seconds() / 60)
        shown = int(row.locator("[data-remaining-min]").get_attribute("data-remaining-min"))
        assert shown in (expected, expected + 1)  # the clock ticks while the page loads
        expect(row).to_contain_text(f"until {_hhmm(ends)}")
        board.screenshot(path=str(screenshot_dir / "board.png"), full_page=True)
        board.close()

        # 6. Discharge is refused before the minimum observation...
        page.get_by_label("I judge the patient clinically ready to leave").check()
        page.get_by_role("button", name="Discharge").click()
        expect(page.locator('#blockers-region li[data-code="discharge_too_early"]')).to_be_visible()
        assert TreatmentSession.objects.get(pk=session.pk).state == "observation"

        # ...and accepted after it (vitals before completion, 125 min after the last device).
        advance(timedelta(minutes=85))
        page = nurse.page
        for label, value in (
            ("Systolic BP (mmHg)", "126"),
            ("Diastolic BP (mmHg)", "80"),
            ("Heart rate (/min)", "72"),
            ("SpO2 (%)", "98"),
            ("Respiratory rate (/min)", "14"),
        ):
            page.get_by_label(label).fill(value)
        page.get_by_role("button", name="Record vitals").click()
        expect(page.locator("#vitals-panel tbody tr")).to_have_count(3)
        page.get_by_label("I judge the patient clinically ready to leave").check()
        page.get_by_role("button", name="Discharge").click()
        expect(page.locator("#status-panel [data-state]")).to_have_attribute(
            "data-state", "discharged"
        )
        expect(page.get_by_role("link", name="REMS Patient Monitoring Form")).to_be_visible()
        assert_accessible(page)
        page.screenshot(path=str(screenshot_dir / "discharge.png"), full_page=True)
        nurse.leave()

        # 7. The patient answers a PHQ-9 in the portal with item 9 positive...
        page = portal.open("/portal/")
        assert_accessible(page)
        page = portal.open("/portal/self-report/phq9/")
        for item in range(1, 10):
            page.locator(f'input[name="item_{item}"][value="{1 if item != 2 else 2}"]').check()
        page.get_by_role("button", name="Send my answers").click()
        expect(page.get_by_role("heading", name="Please reach out now")).to_be_visible()
        portal.leave()

        # ...and the alert appears on the clinic board.
        page = nurse.open("/board/")
        portal_name = f"{portal_patient.family_name}, {portal_patient.given_name}"
        alert = page.locator(
            '#open-alerts li[data-code="phq9_item9_positive"]', has_text=portal_name
        )
        expect(alert).to_be_visible()
        page.screenshot(path=str(screenshot_dir / "portal-alert.png"), full_page=True)
        nurse.leave()

        # 8. The patient chart and course ordering (prescriber), for a patient with no course.
        page = prescriber.open(f"/patients/{patient.pk}/")
        expect(page.locator("#treatment")).to_contain_text("Discharged")
        assert_accessible(page)
        fresh = next(p for p in _demo_patients() if not Course.objects.filter(patient=p).exists())
        page = prescriber.open(f"/patients/{fresh.pk}/courses/new/")
        page.get_by_role("combobox", name="Protocol").select_option("in_esketamine_trd")
        page.get_by_label("Sessions (blank: the protocol's)").fill("8")
        page.get_by_label("Chair").fill("Chair 2")
        preview = page.locator("#course-preview")
        expect(preview.locator("#proposed-schedule tbody tr")).to_have_count(8)
        expect(preview).to_contain_text("2 devices of 28")
        expect(page.locator("#pk-panel table")).to_contain_text("Reference")
        assert_accessible(page)
        page.screenshot(path=str(screenshot_dir / "course-ordering.png"), full_page=True)

        for person in people.values():
            person.context.close()


def _demo_patients():
    from ketacare.patients.models import Patient

    return list(Patient.objects.order_by("id"))
