"""A read compiled once (ketacare/compiled_reads.py) answers exactly as the ORM would, for
each call's own values: the bearer token of another nurse, an expired or revoked token, a
session of another clinic; and a locking read outside a transaction is still refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone
from tests.support.clinic_records import session as scheduled_session

from ketacare.accounts.models import ApiToken
from ketacare.accounts.services import _LIVE_TOKEN, _digest, issue_api_token
from ketacare.treatment.selectors import _LOCK_FOR_VITALS

pytestmark = pytest.mark.django_db


def test_each_call_reads_its_own_token_with_its_user_and_clinic(nurse, prescriber):
    raw_nurse, raw_prescriber = issue_api_token(user=nurse), issue_api_token(user=prescriber)
    now = timezone.now()
    found = _LIVE_TOKEN.first(digest=_digest(raw_nurse), now=now)
    assert found.user == nurse
    assert found.user.clinic == nurse.clinic
    assert found == ApiToken.objects.get(digest=_digest(raw_nurse))
    assert _LIVE_TOKEN.first(digest=_digest(raw_prescriber), now=now).user == prescriber
    # The user and clinic came with the token (select_related): no further query.
    again = _LIVE_TOKEN.first(digest=_digest(raw_nurse), now=now)
    assert "user" in again._state.fields_cache
    assert "clinic" in again.user._state.fields_cache


def test_an_expired_or_revoked_token_is_not_found(nurse):
    raw = issue_api_token(user=nurse)
    token = ApiToken.objects.get(digest=_digest(raw))
    assert (
        _LIVE_TOKEN.first(digest=_digest(raw), now=token.expires_at + timedelta(seconds=1)) is None
    )
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    assert _LIVE_TOKEN.first(digest=_digest(raw), now=timezone.now()) is None
    assert _LIVE_TOKEN.first(digest=_digest("not a token"), now=timezone.now()) is None


def test_the_vitals_lock_needs_a_transaction_and_the_clinic(
    prescriber, patient, outsider, monkeypatch
):
    session = scheduled_session(prescriber, patient)
    nurse = prescriber
    with monkeypatch.context() as m:  # as in autocommit (the test runs inside a transaction)
        m.setattr(connection, "get_autocommit", lambda: True)
        with pytest.raises(TransactionManagementError):  # the first call compiles
            _LOCK_FOR_VITALS.first(id=session.pk, clinic=nurse.clinic_id)
    with transaction.atomic():
        locked = _LOCK_FOR_VITALS.first(id=session.pk, clinic=nurse.clinic_id)
        assert locked.pk == session.pk
        assert locked.state == session.state
        assert locked.course.protocol_version_id == session.course.protocol_version_id
        assert _LOCK_FOR_VITALS.first(id=session.pk, clinic=outsider.clinic_id) is None
    monkeypatch.setattr(connection, "get_autocommit", lambda: True)
    with pytest.raises(TransactionManagementError):  # and when already compiled
        _LOCK_FOR_VITALS.first(id=session.pk, clinic=nurse.clinic_id)


def _as_prefetched(courses):
    return [
        (c.pk, c.protocol_version_id, [(s.pk, s.number, s.course_id) for s in c.sessions.all()])
        for c in courses
    ]


def test_a_patients_courses_come_with_their_own_sessions_as_the_prefetch_gave_them(
    prescriber, patient, django_assert_num_queries
):
    from django.db.models import Prefetch

    from ketacare.treatment.models import Course, TreatmentSession
    from ketacare.treatment.selectors import courses_with_sessions

    first = scheduled_session(prescriber, patient)
    second = scheduled_session(prescriber, patient)  # a second course of the same patient
    prefetched = list(
        Course.objects.filter(patient=patient)
        .select_related("protocol_version")
        .prefetch_related(
            Prefetch(
                "sessions",
                queryset=TreatmentSession.objects.select_related("dose").order_by("number"),
            )
        )
        .order_by("-start_at", "-id")
    )
    with django_assert_num_queries(2):
        courses = courses_with_sessions(patient)
    with django_assert_num_queries(0):  # sessions, their course and (absent) dose: no query
        assert _as_prefetched(courses) == _as_prefetched(prefetched)
        sessions = [s for c in courses for s in c.sessions.all()]
        assert {s.pk for s in sessions} == {first.pk, second.pk}
        assert all(s.course is c for c in courses for s in c.sessions.all())
        assert all(getattr(s, "dose", None) is None for s in sessions)
        assert all(c.sessions.first() is not None for c in courses)


def test_a_patient_with_no_course_reads_one_statement(patient, django_assert_num_queries):
    from ketacare.treatment.selectors import courses_with_sessions

    with django_assert_num_queries(1):
        assert courses_with_sessions(patient) == []


def test_the_current_plan_comes_with_its_components_and_their_owners(
    therapist, patient, django_assert_num_queries
):
    from tests.support.clinic_records import plan_component

    from ketacare.careplans.selectors import _current_plan

    component_id = plan_component(therapist, patient)
    with django_assert_num_queries(2):
        plan = _current_plan(patient.pk)
    with django_assert_num_queries(0):
        components = list(plan.components.all())
        assert [c.pk for c in components] == [component_id]
        assert components[0].plan is plan
        assert plan.patient == patient
