"""Session schedules: proposals per protocol and frequency checks (rules 5, 15, 18)."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from ketacare.clinical.dosing.protocols import (
    ESKETAMINE_MDSI,
    ESKETAMINE_TRD,
    IM_RACEMIC,
    IV_ELEKT_D,
    IV_MURROUGH,
    SC_KADS,
)
from ketacare.clinical.dosing.schedule import (
    ScheduleParams,
    check_schedule,
    min_spacing_days,
    propose_schedule,
)
from ketacare.clinical.errors import InvalidClinicalInput

MONDAY = date(2025, 1, 6)


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def day(n: int) -> date:
    return MONDAY + timedelta(days=n)


def test_spacing_derived_from_weekly_frequency():
    # max(2, floor(7/k) - 1): weekly 6 days, twice weekly 2, three times weekly 2.
    assert [min_spacing_days(k) for k in (1, 2, 3)] == [6, 2, 2]


def test_elektd_proposes_six_infusions_twice_weekly_over_three_weeks():
    sessions = propose_schedule(IV_ELEKT_D, MONDAY)
    # Days 0, 4, 7, 11, 14, 18: Monday and Friday of weeks 1-3 (S15).
    assert [s.on_date for s in sessions] == [day(n) for n in (0, 4, 7, 11, 14, 18)]
    assert [s.course_week for s in sessions] == [1, 1, 2, 2, 3, 3]


def test_murrough_proposes_six_infusions_three_times_weekly_over_twelve_days():
    sessions = propose_schedule(IV_MURROUGH, MONDAY)
    # Days 0, 2, 5, 7, 9, 12 (S16: six infusions over 12 days), never closer than 2 days.
    assert [s.on_date for s in sessions] == [day(n) for n in (0, 2, 5, 7, 9, 12)]


def test_kads_proposes_eight_sc_injections_over_four_weeks():
    sessions = propose_schedule(SC_KADS, MONDAY)
    assert len(sessions) == 8
    assert sessions[-1].course_week == 4


def test_im_protocol_needs_a_session_count():
    with pytest.raises(InvalidClinicalInput) as err:
        propose_schedule(IM_RACEMIC, MONDAY)
    assert err.value.code == "session_count_required"
    assert len(propose_schedule(IM_RACEMIC, MONDAY, ScheduleParams(sessions=4))) == 4


def test_esketamine_trd_proposal_is_twice_weekly_then_weekly_with_56_mg_start():
    sessions = propose_schedule(ESKETAMINE_TRD, MONDAY, ScheduleParams(sessions=12))
    assert [s.course_week for s in sessions] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 6, 7, 8]
    assert sessions[0].suggested_dose_mg == Decimal("56")
    assert all(s.suggested_dose_mg is None for s in sessions[1:])


def test_esketamine_trd_maintenance_every_two_weeks_from_week_9():
    params = ScheduleParams(sessions=15, open_phase_every_weeks=2)
    sessions = propose_schedule(ESKETAMINE_TRD, MONDAY, params)
    assert [s.course_week for s in sessions[12:]] == [9, 11, 13]


def test_mdsi_sessions_after_week_4_are_flagged():
    sessions = propose_schedule(ESKETAMINE_MDSI, MONDAY, ScheduleParams(sessions=10))
    assert all(s.flags == () for s in sessions[:8])
    assert all(s.flags == ("mdsi_beyond_4_weeks",) for s in sessions[8:])


def test_proposal_keeps_the_time_of_day_of_a_datetime_start():
    start = datetime(2025, 1, 6, 14, 30, tzinfo=UTC)
    sessions = propose_schedule(IV_ELEKT_D, start)
    assert sessions[1].at == datetime(2025, 1, 10, 14, 30, tzinfo=UTC)


def test_more_sessions_than_the_protocol_schedules_are_refused():
    with pytest.raises(InvalidClinicalInput) as err:
        propose_schedule(IV_ELEKT_D, MONDAY, ScheduleParams(sessions=7))
    assert err.value.code == "schedule_exceeds_protocol"


def test_iv_acute_series_beyond_12_is_flagged_in_proposals():
    sessions = propose_schedule(IM_RACEMIC, MONDAY, ScheduleParams(sessions=13))
    assert sessions[11].flags == ()
    assert sessions[12].flags == ("acute_series_over_12",)


# --- check_schedule ------------------------------------------------------------------------


# Twice weekly in esketamine induction (S2/S3): third session in course week 1 is blocked.
@pytest.mark.parametrize(
    ("past_days", "proposed_day", "codes"),
    [
        ((), 0, ()),
        ((0,), 3, ()),  # second in week 1
        ((0, 3), 5, ("schedule_frequency_exceeded",)),  # third in week 1
        ((0, 3), 7, ()),  # first in week 2
    ],
)
def test_esketamine_induction_frequency_boundary(past_days, proposed_day, codes):
    decision = check_schedule(
        ESKETAMINE_TRD,
        [at(day(d)) for d in past_days],
        at(day(proposed_day)),
        course_start=MONDAY,
    )
    assert decision.codes == codes


# Twice weekly => at least 2 days apart. A KetaCare derivation from the published schedules
# (heuristic; the US label says only "twice per week"), so a session the next day needs a
# clinician's acknowledgment with a reason, not a prescriber's override (issue 16.2).
@pytest.mark.parametrize(("gap", "too_soon"), [(1, True), (2, False), (3, False)])
def test_twice_weekly_spacing_boundary_asks_for_an_acknowledgment(gap, too_soon):
    decision = check_schedule(IV_ELEKT_D, [at(day(0))], at(day(gap)), course_start=MONDAY)
    assert decision.codes == ()  # never a block
    assert ("session_spacing_too_short" in decision.acknowledgment_codes) is too_soon
    assert decision.allowed is not too_soon
    if too_soon:
        [ack] = decision.acknowledgments
        assert ack.source.grade.value == "heuristic"
        assert not ack.source.can_justify_block
        assert dict(ack.data) == {"days_since_last": 1, "min_days": 2}


# Weekly in weeks 5-8 (S2/S3): at most one per course week, at least 6 days apart.
@pytest.mark.parametrize(
    ("proposed_day", "codes"),
    [
        # (blockers, acknowledgments)
        (34, (("schedule_frequency_exceeded",), ("session_spacing_too_short",))),  # week 5
        (36, ((), ("session_spacing_too_short",))),  # week 6 but 5 days after day 31
        (37, ((), ())),  # week 6, 6 days after day 31
    ],
)
def test_weekly_maintenance_boundary(proposed_day, codes):
    past = [at(day(d)) for d in (0, 3, 7, 10, 14, 17, 21, 24, 31)]
    decision = check_schedule(
        ESKETAMINE_TRD,
        past,
        at(day(proposed_day)),
        course_start=MONDAY,
        efficacy_review_done=True,
    )
    assert (decision.codes, decision.acknowledgment_codes) == codes


def test_first_weekly_session_may_follow_the_last_induction_session_by_four_days():
    past = [at(day(d)) for d in (0, 3, 7, 10, 14, 17, 21, 24)]
    decision = check_schedule(
        ESKETAMINE_TRD, past, at(day(28)), course_start=MONDAY, efficacy_review_done=True
    )
    assert decision.allowed


def test_trd_session_after_induction_needs_the_efficacy_review():
    past = [at(day(d)) for d in (0, 3, 7, 10, 14, 17, 21, 24)]
    blocked = check_schedule(ESKETAMINE_TRD, past, at(day(28)), course_start=MONDAY)
    assert blocked.codes == ("induction_review_due",)
    assert blocked.blockers[0].overridable is True
    in_induction = check_schedule(ESKETAMINE_TRD, past[:7], at(day(24)), course_start=MONDAY)
    assert in_induction.allowed


# MDSI evaluated for 4 weeks (S2/S3): week 4 not flagged, week 5 flagged.
@pytest.mark.parametrize(("proposed_day", "flagged"), [(24, False), (28, True)])
def test_mdsi_beyond_four_weeks_is_flagged(proposed_day, flagged):
    past = [at(day(d)) for d in (0, 3, 7, 10, 14, 17, 21)]
    decision = check_schedule(
        ESKETAMINE_MDSI,
        past,
        at(day(proposed_day)),
        course_start=MONDAY,
        efficacy_review_done=True,
    )
    assert decision.allowed
    assert ("mdsi_beyond_4_weeks" in [w.code for w in decision.warnings]) is flagged


# KetECT maximum 12 sessions (S17): session 12 not flagged, session 13 flagged.
@pytest.mark.parametrize(("past_count", "flagged"), [(10, False), (11, False), (12, True)])
def test_acute_series_over_12_boundary(past_count, flagged):
    past = [at(day(3 * i)) for i in range(past_count)]
    decision = check_schedule(IM_RACEMIC, past, at(day(3 * past_count + 1)), course_start=MONDAY)
    assert ("acute_series_over_12" in [w.code for w in decision.warnings]) is flagged


def test_session_after_the_elektd_series_is_flagged_beyond_protocol():
    past = [at(day(d)) for d in (0, 4, 7, 11, 14, 18)]
    decision = check_schedule(IV_ELEKT_D, past, at(day(21)), course_start=MONDAY)
    codes = [w.code for w in decision.warnings]
    assert "beyond_protocol_schedule" in codes
    assert "planned_sessions_exceeded" in codes
    assert decision.allowed


def test_session_before_the_course_start_is_invalid_input():
    with pytest.raises(InvalidClinicalInput) as err:
        check_schedule(IV_ELEKT_D, [], at(day(-1)), course_start=MONDAY)
    assert err.value.code == "session_before_course_start"


def test_naive_proposed_time_is_invalid_input():
    with pytest.raises(InvalidClinicalInput):
        check_schedule(IV_ELEKT_D, [], datetime(2025, 1, 6, 9), course_start=MONDAY)
