"""The induction efficacy review (rule 15; label S2/S3): an esketamine TRD session after week 4
is blocked by ``induction_review_due`` (a prescriber may override it) until the prescriber
records the course's efficacy review; then it passes the schedule check."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ketacare.accounts.permissions import PermissionDenied
from ketacare.audit.models import AuditEntry
from ketacare.clinical.errors import GateBlocked, InvalidClinicalInput
from ketacare.treatment.models import DoseAdministration, EfficacyReview, TreatmentSession
from ketacare.treatment.services import administer_dose, order_course, record_efficacy_review


@pytest.fixture
def long_course(clinic_policy, consent_for, evaluate, rems_enrolled, prescriber, patient):
    evaluate("intranasal")
    consent_for("intranasal")
    return order_course(
        actor=prescriber,
        patient=patient,
        protocol_code="in_esketamine_trd",
        start_at=timezone.now(),
        sessions=10,
    )


def _session_in_week(course, week):
    return next(s for s in course.sessions if s.course_week == week)


def _dose(prescriber, session):
    start = timezone.now() - timedelta(minutes=5)
    return administer_dose(
        actor=prescriber,
        session=session,
        dose_mg=Decimal("56"),
        device_times=[start, start + timedelta(minutes=5)],
        lot_number="LOT-1",
        pulse_oximeter_available=True,
    )


def test_week_5_dose_is_blocked_until_the_efficacy_review_is_recorded(
    long_course, cleared, prescriber, clock, unchanged
):
    session = _session_in_week(long_course, 5)
    clock.move_to(session.scheduled_at)
    session = cleared(session)
    check = unchanged(DoseAdministration, TreatmentSession)
    with pytest.raises(GateBlocked) as err:
        _dose(prescriber, session)
    assert "induction_review_due" in err.value.decision.codes
    check()
    review = record_efficacy_review(
        actor=prescriber,
        course=long_course.course,
        notes="MADRS 34 -> 15 over induction; responding, continue weekly.",
        reviewed_at=timezone.now() - timedelta(minutes=30),  # before the first device
    )
    assert review.course_week == 5
    assert _dose(prescriber, session).dose_mg == Decimal("56")


@pytest.mark.parametrize(
    ("week", "allowed"),
    # The label's review is at the end of the 4-week induction (S2, S3).
    [(3, False), (4, True), (5, True)],
)
def test_efficacy_review_is_recorded_from_the_review_week(
    long_course, prescriber, clock, unchanged, week, allowed
):
    start = timezone.localtime(long_course.course.start_at)
    clock.move_to(start + timedelta(days=7 * (week - 1), hours=1))
    if allowed:
        review = record_efficacy_review(
            actor=prescriber, course=long_course.course, notes="Responding; continue."
        )
        assert review.course_week == week
        return
    check = unchanged(EfficacyReview)
    with pytest.raises(InvalidClinicalInput) as err:
        record_efficacy_review(
            actor=prescriber, course=long_course.course, notes="Responding; continue."
        )
    assert err.value.code == "efficacy_review_too_early"
    check()


def test_prescriber_may_still_override_the_review_instead(long_course, cleared, prescriber, clock):
    from ketacare.clinical.gates import Override

    session = _session_in_week(long_course, 5)
    clock.move_to(session.scheduled_at)
    session = cleared(session)
    start = timezone.now() - timedelta(minutes=5)
    dose = administer_dose(
        actor=prescriber,
        session=session,
        dose_mg=Decimal("56"),
        device_times=[start, start + timedelta(minutes=5)],
        lot_number="LOT-1",
        pulse_oximeter_available=True,
        override=Override("Review booked for tomorrow", frozenset({"induction_review_due"})),
    )
    assert dose.override_codes == ["induction_review_due"]


def test_efficacy_review_is_audited(long_course, prescriber, clock, patient):
    clock.move_to(timezone.localtime(long_course.course.start_at) + timedelta(days=25))
    review = record_efficacy_review(actor=prescriber, course=long_course.course, notes="Continue.")
    entry = AuditEntry.objects.get(target_type="treatment.EfficacyReview")
    assert (entry.action, entry.target_id, entry.patient_id_snapshot) == (
        "create",
        str(review.pk),
        patient.pk,
    )


def test_nurse_cannot_record_the_efficacy_review(long_course, nurse, clock, unchanged):
    clock.move_to(timezone.localtime(long_course.course.start_at) + timedelta(days=25))
    check = unchanged(EfficacyReview)
    with pytest.raises(PermissionDenied):
        record_efficacy_review(actor=nurse, course=long_course.course, notes="Continue.")
    check()


def test_blank_review_notes_are_refused(long_course, prescriber, clock, unchanged):
    clock.move_to(timezone.localtime(long_course.course.start_at) + timedelta(days=25))
    check = unchanged(EfficacyReview)
    with pytest.raises(InvalidClinicalInput) as err:
        record_efficacy_review(actor=prescriber, course=long_course.course, notes="   ")
    assert err.value.code == "efficacy_review_notes_required"
    check()


def test_a_protocol_without_an_induction_review_refuses_one(iv_course, prescriber, clock):
    clock.move_to(timezone.localtime(iv_course.course.start_at) + timedelta(days=25))
    with pytest.raises(InvalidClinicalInput) as err:
        record_efficacy_review(actor=prescriber, course=iv_course.course, notes="Continue.")
    assert err.value.code == "efficacy_review_not_applicable"


def test_efficacy_review_api(long_course, api, prescriber, nurse, outsider, clock):
    clock.move_to(timezone.localtime(long_course.course.start_at) + timedelta(days=25))
    path = f"/courses/{long_course.course.pk}/efficacy-review"
    body = {"notes": "MADRS 34 -> 15; continue weekly."}
    assert api(nurse).post(path, body).status_code == 403
    assert api(outsider).post(path, body).status_code == 404
    response = api(prescriber).post(path, body)
    assert response.status_code == 201, response.content
    assert response.json()["course_week"] == 4
    early = api(prescriber).post(
        path, {**body, "reviewed_at": long_course.course.start_at.isoformat()}
    )
    assert (early.status_code, early.json()["code"]) == (422, "efficacy_review_too_early")
