"""Builders for research tests: treated patients with a course, dosed sessions, PHQ-9
scores, an adverse event and an evaluation, written as rows (the gates that guard those
writes are tested in their own apps)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from tests.support.registration import registered_long_ago

from ketacare.audit.models import service_write


@pytest.fixture(autouse=True)
def _exports_in_tmp(settings, tmp_path):
    settings.DATA_DIR = tmp_path


@dataclass
class Treated:
    patient: object
    first_dose_at: datetime
    absolute_dates: list[date] = field(default_factory=list)


def _phq9_band(total: int) -> str:
    for low, code in ((20, "severe"), (15, "moderately_severe"), (10, "moderate"), (5, "mild")):
        if total >= low:
            return code
    return "none_minimal"


def make_treated_patient(
    user,
    *,
    given="Avery",
    family="Alvarez",
    date_of_birth=date(1980, 5, 17),
    first_dose_at: datetime,
    code="in_esketamine_trd",
    phq9=((-2, 20), (7, 9), (21, 4)),
    treatment_resistant=True,
    sessions=2,
    phone="+1 555 0100",
    email="avery@example.org",
) -> Treated:
    from ketacare.evaluation.models import Evaluation
    from ketacare.measures.models import Assessment
    from ketacare.patients.services import register_patient
    from ketacare.protocols.selectors import get_active_protocol_version
    from ketacare.protocols.services import ensure_standard_protocols
    from ketacare.treatment.models import (
        AdverseEventRecord,
        Course,
        DoseAdministration,
        TreatmentSession,
    )

    patient = register_patient(

        as_of=registered_long_ago(),
        actor=user, given_name=given, family_name=family, date_of_birth=date_of_birth,
        sex="female", phone=phone, email=email, address="12 Elm Street, Springfield",
        emergency_contact="Sam Alvarez +1 555 0101",
    )  # fmt: skip
    ensure_standard_protocols(clinic=user.clinic)
    version = get_active_protocol_version(user.clinic_id, code)
    common = {"clinic": user.clinic, "created_by": user, "created_at": first_dose_at}
    seen: list[date] = [date_of_birth]
    with service_write():
        Evaluation.objects.create(
            **common, patient=patient, as_of=first_dose_at - timedelta(days=5), age_years=40,
            episode_duration_months=12, severity="moderate", inputs={}, verdict="eligible",
            adequate_failed_trials=2 if treatment_resistant else 1,
            treatment_resistant=treatment_resistant, evaluated_by=user,
        )  # fmt: skip
        course = Course.objects.create(
            **common, patient=patient, protocol_version=version, protocol_code=version.code,
            route=version.route, drug=version.drug, start_at=first_dose_at - timedelta(hours=1),
            planned_sessions=sessions, notes=f"Free text about {given} {family}",
        )  # fmt: skip
        for n in range(1, sessions + 1):
            at = first_dose_at + timedelta(days=3 * (n - 1))
            seen.append(at.date())
            session = TreatmentSession.objects.create(
                **common, course=course, patient=patient, number=n, course_week=1,
                scheduled_at=at, updated_at=at, state="discharged",
                discharged_at=at + timedelta(hours=2),
                ride_home=f"{given}'s partner", safety_assessment="calm",
            )  # fmt: skip
            DoseAdministration.objects.create(
                **common, session=session, protocol_code=version.code, route=version.route,
                dose_mg=Decimal("56"), started_at=at, lot_number="LOT-XYZ-123",
                rounding_note=f"note about {family}",
            )  # fmt: skip
            if n == 1:
                AdverseEventRecord.objects.create(
                    **common, session=session, event_type="dissociation", severity="mild",
                    ctcae_grade=1, onset_at=at + timedelta(minutes=20),
                    description=f"{given} felt detached", action_taken="reassurance",
                    outcome="resolved", resolved_at=at + timedelta(minutes=80),
                )  # fmt: skip
        for offset, total in phq9:
            at = first_dose_at + timedelta(days=offset, minutes=-30 if offset <= 0 else 0)
            seen.append(at.date())
            Assessment.objects.create(
                **common, patient=patient, instrument="phq9", instrument_version="PHQ-9",
                items=[min(3, total)] + [0] * 8, total=total, severity=_phq9_band(total),
                context="baseline" if offset < 0 else "follow_up", taken_at=at,
                submitted_by=user, channel="clinician",
            )  # fmt: skip
    return Treated(patient, first_dose_at, seen)


@pytest.fixture
def treated():
    return make_treated_patient
