from datetime import timedelta

import pytest
from session_builders import DOSE_AT

from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.session.monitoring import (
    AdverseEvent,
    AdverseEventSeverity,
    AdverseEventType,
    CheckStatus,
    MonitoringSchedule,
    assess_dissociation,
    assess_sedation,
    esketamine_schedule,
    iv_example_schedule,
    vitals_due,
)
from ketacare.clinical.session.types import Route


def at(minutes: float):
    return DOSE_AT + timedelta(minutes=minutes)


# Esketamine (S3): BP 40 minutes after administration. With tolerance 0 the check is
# upcoming before 40, due at 40, overdue just after.
@pytest.mark.parametrize(
    ("now_min", "status"),
    [
        (39, CheckStatus.UPCOMING),
        (40, CheckStatus.DUE),
        (40 + 1 / 60, CheckStatus.OVERDUE),
    ],
)
def test_esketamine_bp_is_due_at_40_minutes(now_min, status):
    due = vitals_due(
        Route.INTRANASAL, DOSE_AT, (), esketamine_schedule(tolerance_min=0), at(now_min)
    )
    [check] = due.checks
    assert check.minutes_after_start == 40
    assert check.due_at == at(40)
    assert check.status is status


# With a clinic tolerance of 5 min, a BP at 35..45 min satisfies the 40-min check.
@pytest.mark.parametrize(
    ("taken_min", "done"), [(34, False), (35, True), (40, True), (45, True), (46, False)]
)
def test_a_bp_within_the_clinic_tolerance_satisfies_the_40_minute_check(taken_min, done):
    due = vitals_due(
        Route.INTRANASAL, DOSE_AT, (at(taken_min),), esketamine_schedule(tolerance_min=5), at(60)
    )
    assert (due.checks[0].status is CheckStatus.DONE) is done
    assert (due.overdue == ()) is done


def test_next_due_is_the_40_minute_check_until_it_is_done():
    schedule = esketamine_schedule(tolerance_min=5)
    assert vitals_due(Route.INTRANASAL, DOSE_AT, (), schedule, at(10)).next_due.due_at == at(40)
    done = vitals_due(Route.INTRANASAL, DOSE_AT, (at(41),), schedule, at(50))
    assert done.next_due is None
    assert done.overdue == ()


def test_iv_example_schedule_is_every_10_min_during_and_15_min_after_the_infusion():
    # Emory example (S25): 40-min infusion -> 10, 20, 30, 40; then 55, 70, 85, 100, 115.
    schedule = iv_example_schedule(infusion_min=40, observation_until_min=120, tolerance_min=2)
    assert schedule.check_minutes() == (10, 20, 30, 40, 55, 70, 85, 100, 115)
    due = vitals_due(Route.INTRAVENOUS, DOSE_AT, (at(10), at(31)), schedule, at(45))
    statuses = [c.status for c in due.checks[:5]]
    assert statuses == [
        CheckStatus.DONE,
        CheckStatus.OVERDUE,  # nothing at 18..22
        CheckStatus.DONE,
        CheckStatus.OVERDUE,  # nothing at 38..42, and now is 45
        CheckStatus.UPCOMING,
    ]
    assert [c.minutes_after_start for c in due.overdue] == [20, 40]
    assert due.next_due.minutes_after_start == 55


def test_a_schedule_for_another_route_is_refused():
    with pytest.raises(InvalidClinicalInput) as error:
        vitals_due(Route.INTRAVENOUS, DOSE_AT, (), esketamine_schedule(tolerance_min=5), at(10))
    assert error.value.code == "schedule_route_mismatch"


def test_an_after_phase_interval_without_an_end_is_refused():
    with pytest.raises(InvalidClinicalInput):
        MonitoringSchedule(
            name="incomplete",
            routes=frozenset({Route.INTRAMUSCULAR}),
            tolerance_min=2,
            source=esketamine_schedule(tolerance_min=0).source,
            interval_after_min=15,
        )


# MOAA/S (S9b): any decrease from pre-dose is sedation; 0 is loss of consciousness.
@pytest.mark.parametrize(
    ("predose", "now", "sedated", "loc", "decrease"),
    [
        (5, 5, False, False, 0),
        (5, 4, True, False, 1),  # 5 - 4 = 1 point: mild sedation
        (4, 4, False, False, 0),  # a patient drowsy before dosing is not newly sedated
        (4, 5, False, False, 0),
        (5, 0, True, True, 5),
    ],
)
def test_sedation_is_any_decrease_in_moaas_from_predose(predose, now, sedated, loc, decrease):
    result = assess_sedation(predose, now)
    assert (result.sedated, result.loss_of_consciousness, result.decrease) == (
        sedated,
        loc,
        decrease,
    )


@pytest.mark.parametrize(("predose", "now"), [(6, 5), (5, -1), (True, 5)])
def test_moaas_outside_0_to_5_is_refused(predose, now):
    with pytest.raises(InvalidClinicalInput) as error:
        assess_sedation(predose, now)
    assert error.value.code == "moaas_out_of_range"


def test_dissociation_is_resolved_only_when_the_clinician_records_it():
    assert not assess_dissociation(0, clinician_recorded_resolved=False).resolved
    assert assess_dissociation(12, clinician_recorded_resolved=True).resolved


# Optional clinic CADSS cutoff (no published default), here 4: above it is not resolved.
@pytest.mark.parametrize(("total", "resolved"), [(3, True), (4, True), (5, False)])
def test_clinic_cadss_cutoff_applies_on_top_of_the_clinician_record(total, resolved):
    result = assess_dissociation(total, clinician_recorded_resolved=True, resolved_max_total=4)
    assert result.resolved is resolved


def test_a_negative_cadss_total_is_refused():
    with pytest.raises(InvalidClinicalInput):
        assess_dissociation(-1, clinician_recorded_resolved=True)


def test_adverse_event_severity_follows_ctcae_grades():
    assert [s.ctcae_grade for s in AdverseEventSeverity] == [1, 2, 3, 4, 5]


def test_an_other_adverse_event_needs_a_description():
    with pytest.raises(InvalidClinicalInput) as error:
        AdverseEvent(AdverseEventType.OTHER, AdverseEventSeverity.MILD, at(20))
    assert error.value.code == "adverse_event_description_required"
    event = AdverseEvent(AdverseEventType.OTHER, AdverseEventSeverity.MILD, at(20), "Nausea")
    assert event.description == "Nausea"


def test_an_adverse_event_cannot_resolve_before_it_began():
    with pytest.raises(InvalidClinicalInput):
        AdverseEvent(
            AdverseEventType.SEDATION,
            AdverseEventSeverity.MODERATE,
            at(30),
            resolved_at=at(20),
        )
