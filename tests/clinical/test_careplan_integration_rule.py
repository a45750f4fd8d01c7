"""The clinic's "integration session within N days after each dose" policy (a clinic
choice, not a clinical constant: no source sets N, so these tables use a clinic's N of 7)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from ketacare.clinical.careplan import (
    IntegrationStatus,
    check_integration_sessions,
    integration_gaps,
)
from ketacare.clinical.errors import InvalidClinicalInput

CLINIC_WINDOW_DAYS = 7  # the example clinic's chosen N
DOSE = date(2026, 3, 2)
LONG_AFTER = date(2026, 6, 1)


# The window counts the dose day as day 0: day N is the last day a session still counts.
@pytest.mark.parametrize(
    ("days_after_dose", "expected"),
    [
        (CLINIC_WINDOW_DAYS - 1, IntegrationStatus.COVERED),  # below
        (CLINIC_WINDOW_DAYS, IntegrationStatus.COVERED),  # at
        (CLINIC_WINDOW_DAYS + 1, IntegrationStatus.MISSING),  # above
    ],
)
def test_integration_session_counts_up_to_and_including_day_n(days_after_dose, expected):
    session = DOSE + timedelta(days=days_after_dose)
    (check,) = check_integration_sessions(
        [DOSE], [session], window_days=CLINIC_WINDOW_DAYS, as_of=LONG_AFTER
    )
    assert check.status is expected
    assert check.due_by == date(2026, 3, 9)


@pytest.mark.parametrize(
    ("days_after_dose", "expected"),
    [
        (CLINIC_WINDOW_DAYS - 1, IntegrationStatus.PENDING),  # window still open
        (CLINIC_WINDOW_DAYS, IntegrationStatus.PENDING),  # last day: still time today
        (CLINIC_WINDOW_DAYS + 1, IntegrationStatus.MISSING),  # window closed yesterday
    ],
)
def test_dose_without_session_is_pending_until_the_window_closes(days_after_dose, expected):
    today = DOSE + timedelta(days=days_after_dose)
    (check,) = check_integration_sessions([DOSE], [], window_days=CLINIC_WINDOW_DAYS, as_of=today)
    assert check.status is expected
    assert check.code == f"integration_session_{expected.value}"


def test_session_on_the_dose_day_covers_it_and_a_session_before_the_dose_does_not():
    covered, missing = check_integration_sessions(
        [DOSE, DOSE + timedelta(days=20)],
        [DOSE, DOSE + timedelta(days=19)],
        window_days=0,
        as_of=LONG_AFTER,
    )
    assert covered.status is IntegrationStatus.COVERED
    assert covered.covered_by == DOSE
    assert missing.status is IntegrationStatus.MISSING


def test_gaps_list_only_doses_whose_window_closed_without_a_session():
    doses = [date(2026, 3, 2), date(2026, 3, 5), date(2026, 3, 20), date(2026, 3, 28)]
    sessions = [date(2026, 3, 6)]  # covers the doses of 2 and 5 March
    gaps = integration_gaps(
        doses, sessions, window_days=CLINIC_WINDOW_DAYS, as_of=date(2026, 3, 30)
    )
    # 20 March: due by 27 March, nothing held -> missing; 28 March: due by 4 April -> pending
    assert [g.dose_date for g in gaps] == [date(2026, 3, 20)]
    assert "no integration session by 2026-03-27" in gaps[0].message


@pytest.mark.parametrize("window", [-1, 91, 2.5, True])
def test_window_outside_whole_days_0_to_90_is_invalid_input(window):
    with pytest.raises(InvalidClinicalInput) as exc:
        check_integration_sessions([DOSE], [], window_days=window, as_of=LONG_AFTER)
    assert exc.value.code == "integration_window_out_of_range"


def test_datetimes_instead_of_dates_are_invalid_input():
    with pytest.raises(InvalidClinicalInput) as exc:
        check_integration_sessions(
            [datetime(2026, 3, 2, 10, tzinfo=UTC)],
            [],
            window_days=CLINIC_WINDOW_DAYS,
            as_of=LONG_AFTER,
        )
    assert exc.value.code == "not_a_date"
