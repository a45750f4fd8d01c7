"""Completing the SPRAVATO REMS Patient Monitoring Form (rule 11, S5/S6): staff fill the answers
the record does not hold; each fill is a new version (the previous one kept) and audited; the
pending queue tells incomplete forms from complete ones waiting to be submitted."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ketacare.accounts.permissions import PermissionDenied
from ketacare.audit.models import AuditEntry
from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.treatment.models import RemsForm, RemsFormRevision
from ketacare.treatment.selectors import list_pending_rems_forms, pending_rems_forms
from ketacare.treatment.services import (
    administer_dose,
    discharge_session,
    record_observation,
    record_rems_form_answers,
    record_rems_form_submitted,
    record_vitals,
)

VITALS = {"heart_rate_bpm": 72, "spo2_percent": 98, "respiratory_rate_per_min": 14}
# What the test clinic's record lacks: the provider's phone (never held) and the clinic address.
PROVIDER = {
    "monitoring_provider_phone": "555-0100",
    "monitoring_provider_email": "prescriber@clinic.example",
    "setting_address": "1 Main St, Columbus OH 43215",
}


def _vitals(nurse, session, systolic=124):
    record_vitals(
        actor=nurse,
        session=session,
        taken_at=timezone.now(),
        systolic_mmhg=systolic,
        diastolic_mmhg=78,
        **VITALS,
    )


@pytest.fixture
def discharged(esketamine_course, cleared, prescriber, nurse, clock):
    """Session 1: 56 mg (2 devices), BP 40 minutes and discharge 120 minutes after the last
    device (observation counts from the end of administration, issue 16.3)."""
    session = cleared(esketamine_course.sessions[0])
    start = timezone.now() - timedelta(minutes=5)
    administer_dose(
        actor=prescriber,
        session=session,
        dose_mg=Decimal("56"),
        device_times=[start, start + timedelta(minutes=5)],
        lot_number="LOT-1",
        pulse_oximeter_available=True,
    )
    _vitals(nurse, session)
    record_observation(
        actor=nurse, session=session, scale="moaas", items=[5], observed_at=timezone.now()
    )
    clock.shift(timedelta(minutes=40))
    _vitals(nurse, session, 126)
    clock.shift(timedelta(minutes=70))
    _vitals(nurse, session, 122)
    record_observation(
        actor=nurse, session=session, scale="moaas", items=[5], observed_at=timezone.now()
    )
    record_observation(
        actor=nurse,
        session=session,
        scale="cadss",
        items=[0] * 23,
        observed_at=timezone.now(),
        dissociation_resolved=True,
    )
    clock.shift(timedelta(minutes=10))
    return discharge_session(
        actor=nurse, session=session, clinician_ready=True, ready_to_leave_without_minimum_min=90
    )


def test_filling_the_provider_phone_completes_the_form_as_a_new_version(discharged, nurse):
    form = RemsForm.objects.get(session=discharged)
    assert "monitoring_provider_phone" in form.data["missing"]
    updated = record_rems_form_answers(actor=nurse, session=discharged, answers=PROVIDER)
    assert (updated.version, updated.data["complete"], updated.data["missing"]) == (2, True, [])
    assert updated.data["answers"]["monitoring_provider_phone"] == "555-0100"
    assert updated.data["answers"]["ready_to_leave_without_minimum_min"] == 90  # carried over
    (revision,) = RemsFormRevision.objects.filter(form=form)
    assert (revision.version, revision.data["complete"]) == (1, False)
    assert revision.changed_fields == sorted(PROVIDER)
    entry = AuditEntry.objects.filter(
        target_type="treatment.RemsForm", summary="REMS monitoring form answers recorded"
    ).get()
    assert entry.changes["after"]["version"] == 2


def test_a_later_fill_keeps_earlier_staff_answers(discharged, nurse):
    record_rems_form_answers(
        actor=nurse, session=discharged, answers={"monitoring_provider_phone": "555-0100"}
    )
    form = record_rems_form_answers(
        actor=nurse, session=discharged, answers={"setting_address": "2 Elm St, Columbus OH"}
    )
    assert form.version == 3
    answers = form.data["answers"]
    assert answers["monitoring_provider_phone"] == "555-0100"
    assert answers["setting_address"] == "2 Elm St, Columbus OH"


@pytest.mark.parametrize(
    ("answers", "code"),
    [
        ({}, "no_answers"),
        ({"dose_mg": "84"}, "rems_answer_not_editable"),  # from the dose record
        ({"bp_before_completion": {"systolic_mmhg": 120}}, "rems_answer_not_editable"),
    ],
)
def test_refused_answers_change_nothing(discharged, nurse, unchanged, answers, code):
    check = unchanged(RemsForm, RemsFormRevision)
    with pytest.raises(InvalidClinicalInput) as err:
        record_rems_form_answers(actor=nurse, session=discharged, answers=answers)
    assert err.value.code == code
    check()
    assert RemsForm.objects.get(session=discharged).version == 1


def test_a_submitted_form_is_not_changed(discharged, nurse, unchanged):
    record_rems_form_submitted(actor=nurse, session=discharged, submitted_at=timezone.now())
    check = unchanged(RemsFormRevision)
    with pytest.raises(InvalidClinicalInput) as err:
        record_rems_form_answers(actor=nurse, session=discharged, answers=PROVIDER)
    assert err.value.code == "rems_form_already_submitted"
    check()


def test_front_desk_cannot_fill_the_form(discharged, frontdesk, unchanged):
    check = unchanged(RemsFormRevision)
    with pytest.raises(PermissionDenied):
        record_rems_form_answers(actor=frontdesk, session=discharged, answers=PROVIDER)
    check()


def test_pending_queue_tells_incomplete_from_ready_to_submit(discharged, nurse, clinic_a):
    (row,) = list_pending_rems_forms(nurse)
    assert (row.status, row.overdue) == ("incomplete", False)
    assert "monitoring_provider_phone" in row.missing
    record_rems_form_answers(actor=nurse, session=discharged, answers=PROVIDER)
    (row,) = pending_rems_forms(clinic_a, timezone.now())
    assert (row.status, row.missing, row.version) == ("ready_to_submit", (), 2)


@pytest.mark.parametrize(
    ("after", "overdue", "days_overdue"),
    # S6b: submitted within 7 days of the session; exactly 7 days is on time.
    [
        (timedelta(days=7) - timedelta(seconds=1), False, 0),
        (timedelta(days=7), False, 0),
        (timedelta(days=7, seconds=1), True, 1),
        (timedelta(days=9), True, 2),
    ],
)
def test_pending_forms_are_overdue_after_7_days(discharged, clinic_a, after, overdue, days_overdue):
    form = RemsForm.objects.get(session=discharged)
    (row,) = pending_rems_forms(clinic_a, form.session_completed_at + after)
    assert (row.overdue, row.days_overdue) == (overdue, days_overdue)


def test_pending_forms_of_another_clinic_are_not_listed(discharged, clinic_b, outsider):
    assert pending_rems_forms(clinic_b, timezone.now()) == []
    assert list_pending_rems_forms(outsider) == []


def test_rems_form_api_fills_answers_and_keeps_the_get_contract(discharged, api, nurse, outsider):
    path = f"/sessions/{discharged.pk}/rems-form"
    before = api(nurse).get(path).json()
    assert (before["version"], before["data"]["complete"]) == (1, False)
    assert api(outsider).post(path, PROVIDER).status_code == 404
    bad = api(nurse).post(path, {"monitoring_provider_email": "not an email"})
    assert bad.status_code == 422
    unknown = api(nurse).post(path, {"dose_mg": 84})
    assert unknown.status_code == 422
    response = api(nurse).post(path, PROVIDER)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["version"], body["data"]["complete"], body["overdue"]) == (2, True, False)
    assert api(nurse).get(path).json()["version"] == 2
    (pending,) = api(nurse).get("/rems-forms/pending").json()
    assert (pending["status"], pending["missing"], pending["days_overdue"]) == (
        "ready_to_submit",
        [],
        0,
    )
