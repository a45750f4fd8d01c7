"""Scenario building blocks for the recommendation tests.

``evaluate`` records the screening through ``evaluation.record_evaluation`` (every answer "no"
unless given). ``give_course`` writes a KetaCare course with one discharged session and dose per
time (test setup only, inside a service write, as the measures tests do): the mapper needs dose
histories, not the clinic-day workflow, which the treatment tests cover. Scores go through
``measures.record_assessment``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

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
def trd_patient(patient, prescriber):
    from ketacare.patients.services import record_medication_trial

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
    return patient


@pytest.fixture
def evaluate(prescriber):
    from ketacare.evaluation.mappers import ScreeningAnswers
    from ketacare.evaluation.services import record_evaluation

    def make(patient, *, as_of: datetime | None = None, cssrs: str | None = "low", **answers):
        when = as_of or timezone.now() - timedelta(hours=1)
        screening = ScreeningAnswers.from_dict(
            {
                **dict.fromkeys(SCREENING_NO, False),
                "route": None,
                "severity": "moderate",
                "substance_use_disorder": "none",
                "hepatic_impairment": "none",
                "cssrs": {"risk": cssrs, "assessed_at": when} if cssrs else None,
                "substance_screen": {
                    "heavy_drinking_days_past_year": 0,
                    "drug_use_times_past_year": 0,
                    "screened_at": when,
                },
                **answers,
            }
        )
        return record_evaluation(actor=prescriber, patient=patient, answers=screening, as_of=when)

    return make


def _items(total: int, count: int, top: int) -> list[int]:
    items = []
    for _ in range(count):
        items.append(min(top, total))
        total -= items[-1]
    assert total == 0
    return items


@pytest.fixture
def score(nurse):
    """``score(patient, "madrs", 30, at, context="baseline")`` through the measures service."""
    from ketacare.measures.services import record_assessment

    shape = {"phq9": (9, 3), "madrs": (10, 6), "qids_sr16": None}

    def make(patient, instrument: str, total: int, taken_at: datetime, context="follow_up"):
        count, top = shape[instrument]
        return record_assessment(
            actor=nurse,
            patient=patient,
            instrument=instrument,
            items=_items(total, count, top),
            context=context,
            taken_at=taken_at,
        ).assessment

    return make


@pytest.fixture
def give_course(prescriber):
    from ketacare.audit.models import service_write
    from ketacare.protocols.selectors import get_active_protocol_version
    from ketacare.protocols.services import ensure_standard_protocols
    from ketacare.treatment.models import Course, DoseAdministration, TreatmentSession

    def make(patient, times: list[datetime], *, code: str = "iv_racemic_elektd"):
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
                start_at=times[0],
                planned_sessions=len(times),
            )
            sessions = []
            for number, at in enumerate(times, start=1):
                session = TreatmentSession.objects.create(
                    clinic=prescriber.clinic,
                    created_at=now,
                    created_by=prescriber,
                    course=course,
                    patient=patient,
                    number=number,
                    course_week=1 + (at - times[0]).days // 7,
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
                sessions.append(session)
        return course, sessions

    return make


from tests.support.cds_client import CdsClient  # noqa: E402


@pytest.fixture
def cds_client_keys(settings):
    return CdsClient(settings)
