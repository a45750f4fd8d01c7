"""Same-day suicide-risk screening from the measures app (rules 22-23): a positive PHQ-9 item 9,
QIDS-SR16 item 12 or C-SSRS high-risk result taken today (clinic calendar), or a suicide-risk
alert nobody has acknowledged, requires a documented same-day safety assessment before the
session clears and before the dose. Only a ``proceed`` assessment made today, after the latest
positive screen, satisfies the gate; the gate is not overridable."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ketacare.access import NotFound
from ketacare.accounts.permissions import PermissionDenied
from ketacare.audit.models import AuditEntry
from ketacare.clinical.errors import GateBlocked, InvalidClinicalInput
from ketacare.clinical.gates import Override
from ketacare.measures.models import SafetyAlert
from ketacare.measures.services import acknowledge_alert, record_assessment
from ketacare.treatment.context import start_of_clinic_day
from ketacare.treatment.models import SafetyAssessment, TreatmentSession
from ketacare.treatment.selectors import access_session, session_read
from ketacare.treatment.services import (
    administer_dose,
    clear_session,
    record_safety_assessment,
)

PHQ9_ITEM9_POSITIVE = [1, 1, 1, 0, 0, 0, 0, 0, 1]  # item 9 = 1 (rule 22)
PHQ9_ITEM9_NEGATIVE = [1, 1, 1, 0, 0, 0, 0, 0, 0]
QIDS_ITEM12_POSITIVE = [1] * 11 + [1] + [1] * 4  # item 12 = 1 (rule 22)
CSSRS_HIGH_RISK = [1, 1, 0, 1, 0, 0]  # Q4 yes, past month (rule 23)


def _clear(actor, session, **kwargs):
    return clear_session(
        actor=actor, session=session, npo_confirmed=True, ride_home="Partner drives", **kwargs
    )


def _report(nurse, patient, instrument, items, taken_at):
    return record_assessment(
        actor=nurse,
        patient=patient,
        instrument=instrument,
        items=items,
        context="pre_dose",
        taken_at=taken_at,
    )


def _acknowledge_all(nurse):
    for alert in SafetyAlert.objects.filter(status="open"):
        acknowledge_alert(actor=nurse, alert=alert, note="Reviewed with the patient by phone.")


@pytest.mark.parametrize(
    ("instrument", "items"),
    [
        ("phq9", PHQ9_ITEM9_POSITIVE),
        ("qids_sr16", QIDS_ITEM12_POSITIVE),
        ("cssrs_screener", CSSRS_HIGH_RISK),
    ],
)
def test_positive_self_report_today_blocks_clearance_until_a_safety_assessment(
    esketamine_course, checked_in, nurse, patient, unchanged, instrument, items
):
    session = checked_in(esketamine_course.sessions[0])
    _report(nurse, patient, instrument, items, timezone.now() - timedelta(minutes=20))
    check = unchanged(TreatmentSession, SafetyAssessment)
    with pytest.raises(GateBlocked) as err:
        _clear(nurse, session)
    assert err.value.decision.codes == ("safety_assessment_required",)
    check()
    record_safety_assessment(
        actor=nurse,
        session=session,
        outcome="proceed",
        notes="Passive ideation, no plan or intent; safety plan reviewed; safe to proceed.",
    )
    assert _clear(nurse, session).state == "cleared"


def test_negative_phq9_today_does_not_block(esketamine_course, checked_in, nurse, patient):
    session = checked_in(esketamine_course.sessions[0])
    _report(nurse, patient, "phq9", PHQ9_ITEM9_NEGATIVE, timezone.now() - timedelta(minutes=20))
    assert _clear(nurse, session).state == "cleared"


@pytest.mark.parametrize(
    ("seconds_from_clinic_midnight", "blocked"),
    # The clinic's calendar (TIME_ZONE), not UTC's: one second before local midnight is
    # yesterday even where it is the same UTC date as the session.
    [(-1, False), (0, True), (1, True)],
)
def test_positive_phq9_counts_only_on_the_clinic_calendar_day(
    esketamine_course,
    checked_in,
    nurse,
    patient,
    settings,
    seconds_from_clinic_midnight,
    blocked,
):
    settings.TIME_ZONE = "America/New_York"  # clock: 10:00 UTC = 05:00 or 06:00 in New York
    session = checked_in(esketamine_course.sessions[0])
    midnight = start_of_clinic_day(timezone.now())
    assert midnight.date() == timezone.now().date()  # the same UTC date as the session
    taken_at = midnight + timedelta(seconds=seconds_from_clinic_midnight)
    _report(nurse, patient, "phq9", PHQ9_ITEM9_POSITIVE, taken_at)
    _acknowledge_all(nurse)  # reviewed: only the day of the screen decides
    if blocked:
        with pytest.raises(GateBlocked) as err:
            _clear(nurse, session)
        assert err.value.decision.codes == ("safety_assessment_required",)
    else:
        assert _clear(nurse, session).state == "cleared"


def test_an_unacknowledged_suicide_risk_alert_from_yesterday_still_blocks(
    esketamine_course, checked_in, nurse, patient
):
    session = checked_in(esketamine_course.sessions[0])
    _report(nurse, patient, "phq9", PHQ9_ITEM9_POSITIVE, timezone.now() - timedelta(days=1))
    with pytest.raises(GateBlocked) as err:
        _clear(nurse, session)
    assert err.value.decision.codes == ("safety_assessment_required",)
    _acknowledge_all(nurse)
    assert _clear(nurse, session).state == "cleared"


@pytest.mark.parametrize(
    ("assessed_days_ago", "satisfies"),
    [(1, False), (0, True)],  # an assessment yesterday is not a same-day assessment
)
def test_only_a_safety_assessment_made_today_satisfies_the_gate(
    esketamine_course, nurse, patient, clock, unchanged, assessed_days_ago, satisfies
):
    from ketacare.treatment.services import check_in, record_observation, record_vitals

    session = esketamine_course.sessions[0]
    if assessed_days_ago:
        clock.shift(timedelta(days=-assessed_days_ago))
        record_safety_assessment(
            actor=nurse, session=session, outcome="proceed", notes="Safe to proceed."
        )
        clock.shift(timedelta(days=assessed_days_ago))
    _report(nurse, patient, "phq9", PHQ9_ITEM9_POSITIVE, timezone.now() - timedelta(days=2))
    session = check_in(actor=nurse, session=session)
    record_vitals(
        actor=nurse,
        session=session,
        taken_at=timezone.now(),
        systolic_mmhg=124,
        diastolic_mmhg=78,
        heart_rate_bpm=72,
        spo2_percent=98,
        respiratory_rate_per_min=14,
    )
    record_observation(
        actor=nurse, session=session, scale="moaas", items=[5], observed_at=timezone.now()
    )
    if not assessed_days_ago:
        record_safety_assessment(
            actor=nurse, session=session, outcome="proceed", notes="Safe to proceed."
        )
    if satisfies:
        assert _clear(nurse, session).state == "cleared"
    else:
        with pytest.raises(GateBlocked):
            _clear(nurse, session)


def test_a_positive_screen_after_the_assessment_needs_a_new_assessment(
    esketamine_course, checked_in, nurse, patient, clock
):
    session = checked_in(esketamine_course.sessions[0])
    record_safety_assessment(
        actor=nurse, session=session, outcome="proceed", notes="Routine check, no ideation."
    )
    clock.shift(timedelta(minutes=10))
    _report(nurse, patient, "phq9", PHQ9_ITEM9_POSITIVE, timezone.now() - timedelta(minutes=1))
    with pytest.raises(GateBlocked):
        _clear(nurse, session)


def test_do_not_proceed_outcome_is_recorded_and_the_gate_stays(
    esketamine_course, checked_in, nurse, patient
):
    session = checked_in(esketamine_course.sessions[0], cssrs_high_risk_today=True)
    row = record_safety_assessment(
        actor=nurse,
        session=session,
        outcome="do_not_proceed",
        notes="Active ideation with plan; referred to the emergency department.",
    )
    assert (row.created_by, row.outcome) == (nurse, "do_not_proceed")
    with pytest.raises(GateBlocked) as err:
        _clear(nurse, session)
    assert err.value.decision.codes == ("safety_assessment_required",)


def test_positive_screen_after_clearance_blocks_the_dose_and_cannot_be_overridden(
    esketamine_course, checked_in, nurse, prescriber, patient, clock, unchanged
):
    from ketacare.treatment.models import DoseAdministration

    session = _clear(nurse, checked_in(esketamine_course.sessions[0]))
    clock.shift(timedelta(minutes=5))
    _report(nurse, patient, "phq9", PHQ9_ITEM9_POSITIVE, timezone.now() - timedelta(minutes=1))
    start = timezone.now() - timedelta(minutes=5)
    dose = {
        "actor": prescriber,
        "session": session,
        "dose_mg": Decimal("56"),
        "device_times": [start, start + timedelta(minutes=5)],
        "lot_number": "LOT-1",
        "pulse_oximeter_available": True,
    }
    check = unchanged(DoseAdministration, TreatmentSession)
    override = Override("clinical judgement", frozenset({"safety_assessment_required"}))
    with pytest.raises(GateBlocked) as err:
        administer_dose(**dose, override=override)
    assert "safety_assessment_required" in err.value.decision.codes
    check()
    record_safety_assessment(actor=prescriber, session=session, outcome="proceed", notes="Safe.")
    assert administer_dose(**dose).dose_mg == Decimal("56")


def test_safety_assessment_is_audited_and_shown_on_the_session(
    esketamine_course, checked_in, nurse, patient
):
    session = checked_in(esketamine_course.sessions[0])
    _report(nurse, patient, "phq9", PHQ9_ITEM9_POSITIVE, timezone.now() - timedelta(minutes=20))
    row = record_safety_assessment(
        actor=nurse, session=session, outcome="proceed", notes="No plan or intent."
    )
    entry = AuditEntry.objects.filter(target_type="treatment.SafetyAssessment").get()
    assert (entry.action, entry.target_id) == ("create", str(row.pk))
    assert entry.patient_id_snapshot == patient.pk
    read = session_read(access_session(nurse, session.pk), timezone.now(), actor=nurse)
    assert read["same_day_screening"]["phq9_item9_positive"] is True
    assert [a.pk for a in read["safety_assessments"]] == [row.pk]
    assert any(e["kind"] == "safety_assessment" for e in read["timeline"])


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"notes": "  "}, "safety_assessment_notes_required"),
        ({"outcome": "maybe"}, "unknown_outcome"),
        ({"assessed_at": "tomorrow"}, "time_in_future"),
        ({"assessed_at": "yesterday"}, "safety_assessment_not_today"),
    ],
)
def test_invalid_safety_assessment_is_refused_and_nothing_is_written(
    esketamine_course, checked_in, nurse, unchanged, kwargs, code
):
    session = checked_in(esketamine_course.sessions[0])
    times = {
        "tomorrow": timezone.now() + timedelta(days=1),
        "yesterday": timezone.now() - timedelta(days=1),
    }
    body = {"outcome": "proceed", "notes": "Safe to proceed.", **kwargs}
    if "assessed_at" in body:
        body["assessed_at"] = times[body["assessed_at"]]
    check = unchanged(SafetyAssessment)
    with pytest.raises(InvalidClinicalInput) as err:
        record_safety_assessment(actor=nurse, session=session, **body)
    assert err.value.code == code
    check()


def test_front_desk_cannot_record_a_safety_assessment(
    esketamine_course, checked_in, frontdesk, unchanged
):
    session = checked_in(esketamine_course.sessions[0])
    check = unchanged(SafetyAssessment)
    with pytest.raises(PermissionDenied):
        record_safety_assessment(actor=frontdesk, session=session, outcome="proceed", notes="x")
    check()


def test_safety_assessment_after_the_dose_is_refused(
    esketamine_course, checked_in, nurse, prescriber
):
    session = _clear(nurse, checked_in(esketamine_course.sessions[0]))
    start = timezone.now() - timedelta(minutes=5)
    administer_dose(
        actor=prescriber,
        session=session,
        dose_mg=Decimal("56"),
        device_times=[start, start + timedelta(minutes=5)],
        lot_number="LOT-1",
        pulse_oximeter_available=True,
    )
    with pytest.raises(InvalidClinicalInput) as err:
        record_safety_assessment(actor=nurse, session=session, outcome="proceed", notes="Safe.")
    assert err.value.code == "session_past_clearance"


def test_safety_assessment_api_records_it_and_outsiders_get_404(
    esketamine_course, checked_in, nurse, outsider, api, patient
):
    session = checked_in(esketamine_course.sessions[0])
    _report(nurse, patient, "phq9", PHQ9_ITEM9_POSITIVE, timezone.now() - timedelta(minutes=20))
    path = f"/sessions/{session.pk}/safety-assessment"
    body = {"outcome": "proceed", "notes": "No plan or intent; safe to proceed."}
    assert api(outsider).post(path, body).status_code == 404
    response = api(nurse).post(path, body)
    assert response.status_code == 201
    assert response.json()["created_by_id"] == nurse.pk
    blocked = api(nurse).post(f"/sessions/{session.pk}/clear", {"npo_confirmed": True})
    assert "safety_assessment_required" not in str(blocked.json())
    with pytest.raises(NotFound):
        access_session(outsider, session.pk)
