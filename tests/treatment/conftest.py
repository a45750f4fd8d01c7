"""Scenario building blocks for treatment tests.

``raw_session`` writes a course and a session row directly (test setup only, inside a service
write) for tests that do not exercise ordering; the clinic-day scenarios go through the
services from ordering onwards.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ketacare.audit.models import service_write
from ketacare.protocols.selectors import get_active_protocol_version
from ketacare.protocols.services import ensure_standard_protocols
from ketacare.treatment.models import Course, DoseAdministration, TreatmentSession

POLICY = {
    # Clinic choices for the scenarios (no published value exists for these settings).
    "weight_max_age_days": 90,
    "plausible_weight_min_kg": "35",
    "plausible_weight_max_kg": "250",
    "syringe_increment_ml": "0.1",
    "spo2_min_percent": 92,
    "predose_vitals_max_age_min": 60,
    "predischarge_vitals_max_age_min": 30,
    "vitals_tolerance_min": 10,
    "observation_min_iv": 60,
    "observation_min_im": 60,
    "observation_min_sc": 60,
}


@pytest.fixture
def policy_values():
    return dict(POLICY)


@pytest.fixture
def raw_session(prescriber, patient):
    def make(code: str = "in_esketamine_trd", *, number: int = 1, scheduled_at=None):
        ensure_standard_protocols(clinic=prescriber.clinic)
        version = get_active_protocol_version(prescriber.clinic_id, code)
        now = timezone.now()
        with service_write():
            course = Course.objects.create(
                clinic=prescriber.clinic,
                created_at=now,
                created_by=prescriber,
                patient=patient,
                protocol_version=version,
                protocol_code=code,
                route=version.route,
                drug=version.drug,
                start_at=now,
                planned_sessions=1,
            )
            return TreatmentSession.objects.create(
                clinic=prescriber.clinic,
                created_at=now,
                created_by=prescriber,
                course=course,
                patient=patient,
                number=number,
                course_week=1,
                scheduled_at=scheduled_at or now,
                updated_at=now,
            )

    return make


@pytest.fixture
def raw_dose(prescriber):
    def make(session, started_at, dose_mg="56"):
        with service_write():
            return DoseAdministration.objects.create(
                clinic=session.clinic,
                created_at=started_at + timedelta(minutes=1),
                created_by=prescriber,
                session=session,
                protocol_code=session.course.protocol_code,
                route=session.course.route,
                dose_mg=Decimal(dose_mg),
                started_at=started_at,
                lot_number="LOT-1",
            )

    return make
