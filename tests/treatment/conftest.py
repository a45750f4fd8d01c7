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
from tests.support.vitals import NORMAL_VITALS

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


@pytest.fixture(autouse=True)
def clock():
    """Time stands still at 10:00 UTC today unless a test moves it (``clock.shift(...)``), so a
    session day never straddles midnight."""
    import time_machine

    ten = timezone.now().replace(hour=10, minute=0, second=0, microsecond=0)
    with time_machine.travel(ten, tick=False) as traveller:
        yield traveller


@pytest.fixture
def clinic_policy(clinic_admin):
    from ketacare.protocols.services import record_clinic_policy

    return record_clinic_policy(actor=clinic_admin, values=dict(POLICY))


@pytest.fixture
def consent_for(clinic_admin, nurse, patient):
    from ketacare.consent.services import publish_consent_version, sign_consent

    def make(route: str) -> None:
        version = publish_consent_version(
            actor=clinic_admin,
            route=route,
            title=f"Consent to {route} ketamine treatment",
            body="What the treatment is, its risks and alternatives.",
            effective_at=timezone.now() - timedelta(days=30),
            material_change=True,
        )
        sign_consent(actor=nurse, patient=patient, version=version, typed_name="Avery Alvarez")

    return make


@pytest.fixture
def rems_enrolled(prescriber, patient):
    from ketacare.treatment.services import record_rems_enrollment

    return record_rems_enrollment(
        actor=prescriber,
        patient=patient,
        rems_patient_id="REMS-PT-1",
        enrolled_at=timezone.now() - timedelta(days=1),
    )


@pytest.fixture
def weight(nurse, patient):
    from ketacare.patients.services import record_weight

    return record_weight(
        actor=nurse,
        patient=patient,
        weight_kg=Decimal("70.0"),
        measured_at=timezone.now() - timedelta(days=10),
    )


@pytest.fixture
def esketamine_course(clinic_policy, consent_for, evaluate, rems_enrolled, prescriber, patient):
    from ketacare.treatment.services import order_course

    evaluate("intranasal")
    consent_for("intranasal")
    return order_course(
        actor=prescriber,
        patient=patient,
        protocol_code="in_esketamine_trd",
        start_at=timezone.now(),
        sessions=8,
    )


@pytest.fixture
def iv_course(clinic_policy, consent_for, evaluate, weight, prescriber, patient):
    from ketacare.treatment.services import order_course

    evaluate("iv")
    consent_for("iv")
    return order_course(
        actor=prescriber,
        patient=patient,
        protocol_code="iv_racemic_elektd",
        start_at=timezone.now(),
    )


@pytest.fixture
def checked_in(nurse):
    """Check the session in and record normal pre-dose vitals and a MOAA/S baseline of 5."""
    from ketacare.treatment.services import check_in, record_observation, record_vitals

    def make(session, *, vitals=None, **flags):
        session = check_in(actor=nurse, session=session, **flags)
        record_vitals(
            actor=nurse, session=session, taken_at=timezone.now(), **(vitals or NORMAL_VITALS)
        )
        record_observation(
            actor=nurse, session=session, scale="moaas", items=[5], observed_at=timezone.now()
        )
        return session

    return make


@pytest.fixture
def cleared(checked_in, nurse):
    from ketacare.treatment.services import clear_session

    def make(session, **kwargs):
        session = checked_in(session, **kwargs)
        return clear_session(
            actor=nurse, session=session, npo_confirmed=True, ride_home="Partner (Jordan) drives"
        )

    return make


SCREENING_NO = [
    "ect_used",
    "aneurysmal_vascular_disease_or_avm",
    "intracerebral_hemorrhage_history",
    "hypersensitivity_to_ketamine_or_esketamine",
    "psychosis_history",
    "current_psychosis",
    "pregnant",
    "breastfeeding",
    "uncontrolled_hypertension",
    "hypertensive_encephalopathy_history",
    "takes_cns_depressants",
    "takes_psychostimulants",
    "takes_maois",
]


@pytest.fixture
def evaluate(prescriber, patient):
    """Record two adequate failed antidepressant trials and an evaluation for ``route``."""
    from ketacare.evaluation.mappers import ScreeningAnswers
    from ketacare.evaluation.services import record_evaluation
    from ketacare.patients.services import record_medication_trial

    def make(route: str, **answers):
        for drug in ("sertraline", "venlafaxine"):
            record_medication_trial(
                actor=prescriber,
                patient=patient,
                drug=drug,
                dose_mg_per_day=Decimal("150"),
                weeks=8,
                adherence="good",
                adequate=True,
                outcome="no_response",
            )
        screening = ScreeningAnswers.from_dict(
            {
                **dict.fromkeys(SCREENING_NO, False),
                "route": route,
                "severity": "moderate",
                "substance_use_disorder": "none",
                "hepatic_impairment": "none",
                "cssrs": {"risk": "low", "assessed_at": timezone.now()},
                "substance_screen": {
                    "heavy_drinking_days_past_year": 0,
                    "drug_use_times_past_year": 0,
                    "screened_at": timezone.now(),
                },
                **answers,
            }
        )
        return record_evaluation(actor=prescriber, patient=patient, answers=screening)

    return make
