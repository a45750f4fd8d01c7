"""Which assessments are due (measures.schedule, pure) and GET /patients/{id}/assessments/due.

The default schedule is a KetaCare product choice (see measures.schedule): baseline PHQ-9,
GAD-7 and C-SSRS screener before the first dose; PHQ-9 before each dose; PHQ-9 20-28 h after
the first dose; PHQ-9 and GAD-7 every 7 days once treatment has started.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from ketacare.measures.schedule import (
    DEFAULT_SCHEDULE,
    TakenAssessment,
    due_assessments,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # first dose


def _due(taken=(), doses=(T0,), sessions=(), as_of=T0):
    return {
        (d.instrument, d.context)
        for d in due_assessments(
            DEFAULT_SCHEDULE, list(taken), list(doses), list(sessions), as_of=as_of
        )
    }


def test_before_any_dose_the_baseline_scales_are_due():
    assert _due(doses=(), as_of=T0 - timedelta(days=1)) == {
        ("phq9", "baseline"),
        ("gad7", "baseline"),
        ("cssrs_screener", "baseline"),
    }


def test_a_recent_baseline_is_not_asked_again_but_one_older_than_30_days_is():
    taken = [TakenAssessment("phq9", "baseline", T0 - timedelta(days=31))]
    assert ("phq9", "baseline") in _due(taken, doses=(), as_of=T0)
    taken = [TakenAssessment("phq9", "baseline", T0 - timedelta(days=29))]
    assert ("phq9", "baseline") not in _due(taken, doses=(), as_of=T0)


def test_pre_dose_phq9_is_due_on_a_session_day_until_done():
    session = T0 + timedelta(days=3)
    morning = session - timedelta(hours=2)
    assert ("phq9", "pre_dose") in _due(sessions=(session,), as_of=morning)
    done = [TakenAssessment("phq9", "pre_dose", morning)]
    assert ("phq9", "pre_dose") not in _due(done, sessions=(session,), as_of=morning)


# Window 24 h +/- 4 h after the first dose (product choice).
@pytest.mark.parametrize(
    ("hours", "due"),
    [(19.9, False), (20, True), (24, True), (28, True), (28.1, False)],
)
def test_24_hour_phq9_window_after_the_first_dose(hours, due):
    as_of = T0 + timedelta(hours=hours)
    assert (("phq9", "post_dose") in _due(as_of=as_of)) is due


# Weekly follow-up: due 7 days after the latest score since the first dose.
@pytest.mark.parametrize(("days", "due"), [(6, False), (7, True), (8, True)])
def test_weekly_follow_up(days, due):
    taken = [TakenAssessment("phq9", "pre_dose", T0 + timedelta(days=1))]
    as_of = T0 + timedelta(days=1 + days)
    assert (("phq9", "follow_up") in _due(taken, as_of=as_of)) is due


def test_due_endpoint_lists_the_baseline_for_a_new_patient(api, nurse, patient):
    response = api(nurse).get(f"/patients/{patient.pk}/assessments/due")
    assert response.status_code == 200
    assert {d["instrument"] for d in response.json()} == {"phq9", "gad7", "cssrs_screener"}


def test_a_clinic_schedule_replaces_the_defaults(api, nurse, clinic_admin, patient):
    from ketacare.measures.schedule import BASELINE, ScheduleRule
    from ketacare.measures.services import schedule_assessments

    schedule_assessments(
        actor=clinic_admin, rules=[ScheduleRule("madrs", BASELINE, interval_days=14)]
    )
    due = api(nurse).get(f"/patients/{patient.pk}/assessments/due").json()
    assert [d["instrument"] for d in due] == ["madrs"]


def test_nurse_cannot_change_the_schedule(nurse):
    from ketacare.accounts.permissions import PermissionDenied
    from ketacare.measures.services import schedule_assessments

    with pytest.raises(PermissionDenied):
        schedule_assessments(actor=nurse)


def test_due_list_for_portal_patient_after_first_dose(patient, give_doses):
    from ketacare.measures.selectors import assessments_due

    now = timezone.now()
    give_doses([now - timedelta(hours=22)])
    assert {(d.instrument, d.context) for d in assessments_due(patient, now)} == {
        ("phq9", "post_dose")
    }
