"""Upcoming sessions on the portal home (rows written directly as test setup only)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ketacare.audit.models import service_write
from ketacare.protocols.selectors import get_active_protocol_version
from ketacare.protocols.services import ensure_standard_protocols
from ketacare.treatment.models import Course, TreatmentSession


@pytest.fixture
def booked(prescriber, patient):
    def make(when, number=1, patient=patient):
        ensure_standard_protocols(clinic=prescriber.clinic)
        version = get_active_protocol_version(prescriber.clinic_id, "in_esketamine_trd")
        now = timezone.now()
        with service_write():
            course = Course.objects.create(
                clinic=prescriber.clinic,
                created_at=now,
                created_by=prescriber,
                patient=patient,
                protocol_version=version,
                protocol_code="in_esketamine_trd",
                route=version.route,
                drug=version.drug,
                start_at=now,
                planned_sessions=2,
            )
            return TreatmentSession.objects.create(
                clinic=prescriber.clinic,
                created_at=now,
                created_by=prescriber,
                course=course,
                patient=patient,
                number=number,
                course_week=1,
                scheduled_at=when,
                updated_at=now,
            )

    return make


def test_home_lists_booked_sessions_with_the_esketamine_fasting_reminder(
    client, patient_user, booked
):
    booked(timezone.now() + timedelta(days=2), number=2)
    booked(timezone.now() - timedelta(days=2), number=1)  # past: not upcoming
    client.force_login(patient_user)
    body = client.get("/portal/").content.decode()
    assert "Esketamine session 2" in body
    assert "Esketamine session 1" not in body
    assert "no food 2 hours and no drinks 30 minutes before" in body
