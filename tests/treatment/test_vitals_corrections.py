"""A nurse at the chair mistypes a blood pressure and takes it back; repeats the last reading
with one tap. Undo is a superseding correction: the reading stays, a correction marks it
superseded, the audit log records both, and the gates read only the current readings."""

from datetime import timedelta

import pytest
from django.utils import timezone
from tests.conftest import make_user

from ketacare.accounts.models import Role
from ketacare.accounts.permissions import PermissionDenied
from ketacare.audit.models import AuditEntry
from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.treatment.models import TreatmentSession, VitalsCorrection, VitalsReading
from ketacare.treatment.selectors import current_vitals, session_status
from ketacare.treatment.services import (
    record_repeated_vitals,
    record_vitals,
    supersede_vitals,
)

NORMAL = {
    "systolic_mmhg": 124,
    "diastolic_mmhg": 78,
    "heart_rate_bpm": 72,
    "spo2_percent": 98,
    "respiratory_rate_per_min": 14,
}
# 124 typed as 214: over the esketamine label's pre-dose 140/90 (S2).
MISTYPED = {**NORMAL, "systolic_mmhg": 214}


def _codes(session):
    fresh = TreatmentSession.objects.get(pk=session.pk)
    status = session_status(fresh, timezone.now())
    # Blockers and the warnings that need an acknowledgment both stop the next step.
    return {f["code"] for f in status["blockers"] + status["acknowledgments"]}


@pytest.fixture
def mistyped(esketamine_course, checked_in, nurse, clock):
    """A checked-in session (normal pre-dose vitals recorded) and, 5 minutes later, the
    nurse's mistyped reading of 214/78."""
    session = checked_in(esketamine_course.sessions[0])
    clock.shift(timedelta(minutes=5))
    recorded = record_vitals(actor=nurse, session=session, taken_at=timezone.now(), **MISTYPED)
    return session, recorded.reading


def test_mistyped_bp_blocks_clearance_and_taking_it_back_lifts_the_block(mistyped, nurse, clock):
    session, reading = mistyped
    assert "bp_above_predose_threshold" in _codes(session)

    clock.shift(timedelta(seconds=30))
    correction = supersede_vitals(actor=nurse, session=session, reading_id=reading.pk)

    assert "bp_above_predose_threshold" not in _codes(session)
    # The original stays exactly as recorded; the correction says who took it back and why.
    kept = VitalsReading.objects.get(pk=reading.pk)
    assert kept.systolic_mmhg == 214
    assert correction.reading_id == reading.pk
    assert correction.created_by == nurse
    assert correction.reason.startswith("Mistyped")
    current = [v.pk for v in current_vitals(TreatmentSession.objects.get(pk=session.pk))]
    assert len(current) == 1
    assert reading.pk not in current
    entry = AuditEntry.objects.filter(
        action="supersede", target_type="treatment.VitalsReading", target_id=str(reading.pk)
    ).get()
    assert entry.changes["before"]["bp"] == "214/78"
    assert entry.reason.startswith("Mistyped")


# The window is one minute from recording (clinical.session.corrections.VITALS_UNDO_WINDOW,
# a product rule of issue 17.3): just inside, at, and just past it.
@pytest.mark.parametrize(
    ("after", "allowed"),
    [
        (timedelta(seconds=59), True),
        (timedelta(seconds=60), True),
        (timedelta(seconds=61), False),
    ],
)
def test_undo_window_is_one_minute_from_recording(
    mistyped, nurse, clock, unchanged, after, allowed
):
    session, reading = mistyped
    clock.shift(after)
    if allowed:
        supersede_vitals(actor=nurse, session=session, reading_id=reading.pk)
        assert VitalsCorrection.objects.filter(reading=reading).exists()
        return
    check = unchanged(VitalsCorrection, VitalsReading)
    with pytest.raises(InvalidClinicalInput) as err:
        supersede_vitals(actor=nurse, session=session, reading_id=reading.pk)
    assert err.value.code == "undo_window_passed"
    assert "within a minute" in err.value.message
    check()
    assert "bp_above_predose_threshold" in _codes(session)  # the reading stands


def test_a_colleague_cannot_take_back_another_nurses_reading(mistyped, clinic_a, unchanged):
    session, reading = mistyped
    colleague = make_user(clinic_a, Role.NURSE, "nurse_colleague")
    check = unchanged(VitalsCorrection)
    with pytest.raises(InvalidClinicalInput) as err:
        supersede_vitals(actor=colleague, session=session, reading_id=reading.pk)
    assert err.value.code == "undo_not_recorder"
    check()


def test_a_reading_is_taken_back_only_once(mistyped, nurse, unchanged):
    session, reading = mistyped
    supersede_vitals(actor=nurse, session=session, reading_id=reading.pk)
    check = unchanged(VitalsCorrection)
    with pytest.raises(InvalidClinicalInput) as err:
        supersede_vitals(actor=nurse, session=session, reading_id=reading.pk)
    assert err.value.code == "reading_already_superseded"
    check()


def test_undo_of_another_sessions_reading_is_refused(mistyped, nurse, esketamine_course):
    _session, reading = mistyped
    other = esketamine_course.sessions[1]
    with pytest.raises(InvalidClinicalInput) as err:
        supersede_vitals(actor=nurse, session=other, reading_id=reading.pk)
    assert err.value.code == "reading_not_found"


def test_therapist_cannot_take_back_a_reading(mistyped, therapist):
    session, reading = mistyped
    with pytest.raises(PermissionDenied):
        supersede_vitals(actor=therapist, session=session, reading_id=reading.pk)


def test_repeat_last_reading_records_the_same_values_now_as_a_new_reading(
    esketamine_course, checked_in, nurse, clock
):
    session = checked_in(esketamine_course.sessions[0])
    clock.shift(timedelta(minutes=15))
    repeated = record_repeated_vitals(actor=nurse, session=session)
    readings = current_vitals(TreatmentSession.objects.get(pk=session.pk))
    assert len(readings) == 2
    assert repeated.reading.taken_at == timezone.now()
    assert repeated.reading.systolic_mmhg == NORMAL["systolic_mmhg"]
    assert repeated.reading.respiratory_rate_per_min == NORMAL["respiratory_rate_per_min"]
    entry = AuditEntry.objects.filter(
        action="create", target_type="treatment.VitalsReading", target_id=str(repeated.reading.pk)
    ).get()
    assert entry.changes["after"]["repeat_of"] == readings[0].pk


def test_repeating_an_out_of_range_reading_is_judged_by_the_same_thresholds(
    esketamine_course, checked_in, nurse, clock
):
    low_spo2 = {**NORMAL, "spo2_percent": 88}  # below the clinic's 92% (tests' policy)
    session = checked_in(esketamine_course.sessions[0], vitals=low_spo2)
    clock.shift(timedelta(minutes=5))
    repeated = record_repeated_vitals(actor=nurse, session=session)
    assert "spo2_below_threshold" in {a["code"] for a in repeated.alerts}


def test_repeat_after_undo_repeats_the_reading_before_the_mistyped_one(mistyped, nurse, clock):
    session, reading = mistyped
    supersede_vitals(actor=nurse, session=session, reading_id=reading.pk)
    clock.shift(timedelta(minutes=1))
    repeated = record_repeated_vitals(actor=nurse, session=session)
    assert repeated.reading.systolic_mmhg == 124


def test_repeat_with_no_earlier_reading_is_refused_and_writes_nothing(
    esketamine_course, nurse, unchanged
):
    from ketacare.treatment.services import check_in

    session = check_in(actor=nurse, session=esketamine_course.sessions[0])
    check = unchanged(VitalsReading)
    with pytest.raises(InvalidClinicalInput) as err:
        record_repeated_vitals(actor=nurse, session=session)
    assert err.value.code == "no_reading_to_repeat"
    check()


def test_superseded_post_dose_reading_does_not_count_as_the_40_minute_check(
    esketamine_course, cleared, nurse, prescriber, clock
):
    from ketacare.treatment.services import administer_dose

    session = cleared(esketamine_course.sessions[0])
    clock.shift(timedelta(minutes=10))
    start = timezone.now() - timedelta(minutes=5)
    administer_dose(
        actor=prescriber,
        session=session,
        dose_mg="56",
        device_times=[start, start + timedelta(minutes=5)],
        lot_number="LOT-ESK-1",
        pulse_oximeter_available=True,
    )
    clock.shift(timedelta(minutes=35))  # 40 min after the first device (label's BP check)
    reading = record_vitals(actor=nurse, session=session, taken_at=timezone.now(), **NORMAL)
    fresh = TreatmentSession.objects.get(pk=session.pk)
    due = session_status(fresh, timezone.now())["vitals_due"]
    assert due[0]["minutes_after_start"] == 40
    assert due[0]["status"] == "done"

    supersede_vitals(actor=nurse, session=session, reading_id=reading.reading.pk)
    fresh = TreatmentSession.objects.get(pk=session.pk)
    due = session_status(fresh, timezone.now())["vitals_due"]
    assert due[0]["status"] != "done"
