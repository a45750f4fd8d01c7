"""The run sheet on a 1024x768 tablet, as the nurse at the chair uses it forty minutes after
the first esketamine device: the next step (the due 40-minute reading) and the observation
countdown are on screen without scrolling; the vitals fields bring up the number pad; a
mistyped blood pressure is taken back with one tap and its values come back to correct;
"repeat last reading" records the same values again; every control is at least 44px tall.

The demo clinic is seeded and today's session walked to dosing through the services (the
whole day through the pages is tests/functional/test_clinic_day.py); the clock is moved with
time_machine, which moves the live server's clock too (same process).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = pytest.mark.functional

PASSWORD = "correct horse battery"
TABLET = {"width": 1024, "height": 768}
NORMAL = {
    "systolic_mmhg": 124,
    "diastolic_mmhg": 78,
    "heart_rate_bpm": 72,
    "spo2_percent": 98,
    "respiratory_rate_per_min": 14,
}


def _start_of_day() -> datetime:
    """10:05 on a clinic day not before today (outside the demo's earlier sessions' 7-day
    dose window, as in test_clinic_day)."""
    local = timezone.localtime(timezone.now())
    day = local.date() if local.hour < 10 else local.date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, 10, 5, tzinfo=local.tzinfo)


def _dosed_esketamine_session():
    """Today's first esketamine demo session without an open safety alert, checked in,
    cleared and dosed (56 mg, two devices five minutes apart) through the services."""
    from ketacare.accounts.models import User
    from ketacare.measures.models import SafetyAlert
    from ketacare.treatment import services
    from ketacare.treatment.context import start_of_clinic_day
    from ketacare.treatment.models import TreatmentSession

    nurse = User.objects.get(username="nurse")
    prescriber = User.objects.get(username="prescriber")
    portal_patient = User.objects.get(username="patient").patient
    day = start_of_clinic_day(timezone.now())
    alerted = set(SafetyAlert.objects.filter(status="open").values_list("patient_id", flat=True))
    session = next(
        s
        for s in TreatmentSession.objects.filter(
            scheduled_at__gte=day,
            scheduled_at__lt=day + timedelta(days=1),
            state="scheduled",
            course__route="intranasal",
        ).order_by("chair", "id")
        if s.patient_id not in alerted and s.patient_id != portal_patient.pk
    )
    services.check_in(actor=nurse, session=session)
    services.record_vitals(actor=nurse, session=session, taken_at=timezone.now(), **NORMAL)
    services.record_observation(
        actor=nurse, session=session, scale="moaas", items=[5], observed_at=timezone.now()
    )
    services.clear_session(
        actor=nurse, session=session, npo_confirmed=True, ride_home="Sister drives"
    )
    first = timezone.now() - timedelta(minutes=5)
    services.administer_dose(
        actor=nurse,
        session=session,
        lot_number="ESK-24-117",
        dose_mg=Decimal("56"),
        device_times=[first, timezone.now()],
        prescriber_on_site_id=prescriber.pk,
        pulse_oximeter_available=True,
    )
    return session, first


def _sign_in(page, base_url: str, path: str, username: str) -> None:
    from ketacare.demo.seed import demo_totp_code

    page.goto(base_url + path)
    if "/login/" in page.url:
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
    if "/login/second-factor/" in page.url:
        page.get_by_label("One-time code").fill(demo_totp_code(username))
        page.get_by_role("button", name="Continue").click()
        page.wait_for_load_state()


def _in_viewport_without_scrolling(page, selector: str) -> bool:
    return page.evaluate(
        """(sel) => {
            const el = document.querySelector(sel);
            if (!el) return false;
            const r = el.getBoundingClientRect();
            return window.scrollY === 0 && r.top >= 0 && r.left >= 0
                && r.bottom <= window.innerHeight && r.right <= window.innerWidth;
        }""",
        selector,
    )


def _small_controls(page) -> list[str]:
    """Visible buttons, inputs, selects and button-links of the run sheet under 44px tall."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll(
                '#run-sheet button, #run-sheet a.button, #run-sheet select,'
                + ' #run-sheet input:not([type=hidden]):not([type=checkbox]):not([type=radio])'))
            .filter(el => el.offsetParent !== null)
            .filter(el => el.getBoundingClientRect().height < 44)
            .map(el => (el.id || el.name || el.textContent.trim()).slice(0, 40))"""
    )


def test_nurse_on_a_tablet_sees_the_due_reading_and_fixes_a_typo_with_one_tap(
    browser, live_server, screenshot_dir, assert_accessible
):
    from ketacare.demo.seed import seed_demo_clinic
    from ketacare.treatment.models import VitalsCorrection, VitalsReading

    with time_machine.travel(_start_of_day(), tick=True) as clock:
        assert seed_demo_clinic(password=PASSWORD)
        session, first_device = _dosed_esketamine_session()
        # Forty minutes after the last (second) device, 5 min after the first: the label's BP
        # check "after administration" is due (the default count, issue 16.3).
        clock.move_to(first_device + timedelta(minutes=45))
        context = browser.new_context(viewport=TABLET, has_touch=True)
        page = context.new_page()
        run_sheet = f"/sessions/{session.pk}/"
        _sign_in(page, live_server.url, run_sheet, "nurse")
        expect(page.locator("#next-step")).to_contain_text("Record the 40-minute vital signs")

        # The next step, the countdown and the due readings are on screen as the page opens.
        assert _in_viewport_without_scrolling(page, "#next-step")
        assert _in_viewport_without_scrolling(page, ".now-timer")
        assert _in_viewport_without_scrolling(page, ".due-checks")
        expect(page.locator(".now-timer .timer-min")).to_have_text("80")  # of the 120 min
        expect(page.locator('.due-checks li[data-minutes="40"]')).to_contain_text("due now")
        assert _small_controls(page) == []
        for label in ("Systolic BP (mmHg)", "Diastolic BP (mmHg)", "Heart rate (/min)"):
            expect(page.get_by_label(label)).to_have_attribute("inputmode", "numeric")
        assert_accessible(page)
        page.screenshot(path=str(screenshot_dir / "run-sheet-tablet.png"))

        # Following the next step: the vitals form, with 124 mistyped as 214.
        page.locator("#next-step").get_by_role("link", name="Go to it").click()
        for label, value in (
            ("Systolic BP (mmHg)", "214"),
            ("Diastolic BP (mmHg)", "78"),
            ("Heart rate (/min)", "72"),
            ("SpO2 (%)", "98"),
            ("Respiratory rate (/min)", "14"),
        ):
            page.get_by_label(label).fill(value)
        page.get_by_role("button", name="Record vitals").click()
        expect(page.locator("#vitals-panel")).to_contain_text("214")
        expect(page.locator(".due-checks li[data-minutes='40']")).to_contain_text("recorded")

        # One tap takes it back: the original is kept struck through, its values return to
        # the form, and the 40-minute check is due again.
        page.locator("#undo-last-reading").click()
        expect(page.locator("#quick-vitals")).to_contain_text("was taken back")
        expect(page.locator("#vitals-panel .superseded del")).to_contain_text("BP 214/78")
        expect(page.get_by_label("Systolic BP (mmHg)")).to_have_value("214")
        expect(page.locator(".due-checks li[data-minutes='40']")).to_contain_text("due now")
        assert VitalsCorrection.objects.filter(session=session).count() == 1
        assert_accessible(page)

        page.get_by_label("Systolic BP (mmHg)").fill("124")
        page.get_by_role("button", name="Record vitals").click()
        expect(page.locator(".due-checks li[data-minutes='40']")).to_contain_text("recorded")

        # A minute later the undo is gone (the server would refuse it); repeat last reading
        # records the same values again, now.
        clock.shift(timedelta(minutes=2))
        page.goto(live_server.url + run_sheet)
        expect(page.locator("#undo-last-reading")).to_have_count(0)
        page.get_by_role("button", name="Repeat last reading").click()
        expect(page.locator("#vitals-panel tbody tr")).to_have_count(3)
        current = VitalsReading.objects.current().filter(session=session).order_by("id")
        assert [r.systolic_mmhg for r in current] == [124, 124, 124]
        context.close()
