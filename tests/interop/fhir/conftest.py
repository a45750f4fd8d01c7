"""FHIR server scenarios: a patient at clinic A with scores, a weight and a diagnosis; another
clinic's patient for the outsider tests; a client that calls /fhir with a real bearer token."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from tests.support.fhir_client import FhirClient
from tests.support.registration import registered_long_ago

PHQ9_ITEMS = [2, 2, 1, 1, 2, 1, 1, 1, 1]  # total 12 (2+2+1+1+2+1+1+1+1)
GAD7_ITEMS = [1, 1, 1, 1, 1, 1, 1]  # total 7


@pytest.fixture(autouse=True)
def clock():
    """Midday UTC, so "N days ago" never straddles midnight in the date-search tests."""
    import time_machine

    with time_machine.travel(datetime(2026, 3, 10, 12, 0, tzinfo=UTC), tick=True):
        yield


@pytest.fixture
def fhir():
    return FhirClient


@pytest.fixture
def scored_patient(prescriber, nurse, patient):
    """Avery (clinic A): a PHQ-9 and a GAD-7 a week apart, a weight, an F33.1 diagnosis."""
    from ketacare.measures.services import record_assessment
    from ketacare.patients.services import record_diagnosis, record_medication, record_weight

    now = timezone.now().replace(microsecond=0)
    record_assessment(
        actor=nurse, patient=patient, instrument="phq9", items=PHQ9_ITEMS,
        context="baseline", taken_at=now - timedelta(days=14),
    )  # fmt: skip
    record_assessment(
        actor=nurse, patient=patient, instrument="gad7", items=GAD7_ITEMS,
        context="baseline", taken_at=now - timedelta(days=7),
    )  # fmt: skip
    record_weight(
        actor=nurse, patient=patient, weight_kg=Decimal("72.5"), measured_at=now - timedelta(days=3)
    )
    record_diagnosis(
        actor=prescriber, patient=patient, icd10_code="F33.1",
        description="Major depressive disorder, recurrent, moderate", onset_date=date(2025, 6, 1),
    )  # fmt: skip
    record_medication(
        actor=prescriber, patient=patient, name="sertraline", drug_class="antidepressant",
        dose_text="100 mg daily", started_on=date(2025, 7, 1),
    )  # fmt: skip
    return patient


@pytest.fixture
def other_clinic_patient(outsider):
    from ketacare.measures.services import record_assessment
    from ketacare.patients.services import register_patient

    other = register_patient(

        as_of=registered_long_ago(),
        actor=outsider, given_name="Blake", family_name="Brennan",
        date_of_birth=date(1975, 3, 2), sex="male",
    )  # fmt: skip
    record_assessment(
        actor=outsider, patient=other, instrument="phq9", items=PHQ9_ITEMS,
        context="baseline", taken_at=timezone.now() - timedelta(days=1),
    )  # fmt: skip
    return other


@pytest.fixture
def demo_clinic(db):
    """The demo clinic, seeded through the services as `ketacare demo` does; its users."""
    from ketacare.accounts.models import User
    from ketacare.demo.seed import DEMO_USERNAMES, seed_demo_clinic

    seed_demo_clinic(password="demo-password-for-tests")
    return {name: User.objects.get(username=name) for name in DEMO_USERNAMES}


@pytest.fixture
def data_dir(settings, tmp_path):
    """A data directory of the test's own (Bulk export files are written under it)."""
    settings.DATA_DIR = tmp_path / "data"
    return settings.DATA_DIR
