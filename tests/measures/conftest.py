"""Scenario building blocks for measures tests.

``give_doses`` writes a course with one discharged session and dose per given time (test setup
only, inside a service write): the outcomes and maintenance scenarios need dose histories, not
the clinic-day workflow, which the treatment tests cover. Scores go through the real service.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ketacare.audit.models import service_write
from ketacare.measures.services import record_assessment
from ketacare.protocols.selectors import get_active_protocol_version
from ketacare.protocols.services import ensure_standard_protocols
from ketacare.treatment.models import Course, DoseAdministration, TreatmentSession


def phq9_items(total: int, item9: int = 0) -> list[int]:
    """Nine PHQ-9 answers summing to ``total``: items 1-8 filled 3 at a time, then item 9."""
    items = [0] * 9
    items[8] = item9
    left = total - item9
    for i in range(8):
        items[i] = min(3, left)
        left -= items[i]
    assert left == 0
    assert sum(items) == total
    return items


@pytest.fixture(autouse=True)
def clock():
    """Time stands still unless a test moves it (``clock.shift(timedelta(...))``)."""
    import time_machine

    with time_machine.travel(timezone.now().replace(microsecond=0), tick=False) as traveller:
        yield traveller


@pytest.fixture
def give_doses(prescriber, patient):
    def make(
        times: list[datetime],
        *,
        code: str = "iv_racemic_elektd",
        who=None,
        weeks: list[int] | None = None,
        pending: list[datetime] = (),
    ) -> Course:
        target = who or patient
        ensure_standard_protocols(clinic=prescriber.clinic)
        version = get_active_protocol_version(prescriber.clinic_id, code)
        now = timezone.now()
        with service_write():
            course = Course.objects.create(
                clinic=prescriber.clinic,
                created_at=now,
                created_by=prescriber,
                patient=target,
                protocol_version=version,
                protocol_code=code,
                route=version.route,
                drug=version.drug,
                start_at=times[0] if times else now,
                planned_sessions=len(times) + len(pending),
            )
            for number, at in enumerate(times, start=1):
                session = TreatmentSession.objects.create(
                    clinic=prescriber.clinic,
                    created_at=now,
                    created_by=prescriber,
                    course=course,
                    patient=target,
                    number=number,
                    course_week=weeks[number - 1] if weeks else 1 + (at - times[0]).days // 7,
                    scheduled_at=at,
                    state="discharged",
                    updated_at=now,
                )
                DoseAdministration.objects.create(
                    clinic=prescriber.clinic,
                    created_at=at + timedelta(minutes=1),
                    created_by=prescriber,
                    session=session,
                    protocol_code=code,
                    route=version.route,
                    dose_mg=Decimal("35"),
                    started_at=at,
                    lot_number="LOT-1",
                )
            for offset, at in enumerate(pending, start=len(times) + 1):
                TreatmentSession.objects.create(
                    clinic=prescriber.clinic,
                    created_at=now,
                    created_by=prescriber,
                    course=course,
                    patient=target,
                    number=offset,
                    course_week=1 + (at - course.start_at).days // 7,
                    scheduled_at=at,
                    updated_at=now,
                )
        return course

    return make


@pytest.fixture
def score_phq9(nurse, patient):
    def make(total: int, taken_at: datetime, context: str = "follow_up", *, item9: int = 0):
        return record_assessment(
            actor=nurse,
            patient=patient,
            instrument="phq9",
            items=phq9_items(total, item9),
            context=context,
            taken_at=taken_at,
        )

    return make


@pytest.fixture
def phq9():
    """``phq9(total, item9=0)``: nine answers with that total."""
    return phq9_items
