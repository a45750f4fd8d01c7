"""The pharmacokinetics panel of the clinician chart: the predicted curve of the patient's next
dose (active course's protocol and latest weight) or, without a course, of the reference
regimen (0.5 mg/kg IV over 40 min) at the patient's weight; constant query count."""

import re
from datetime import timedelta
from decimal import Decimal
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ketacare.audit.models import service_write
from ketacare.patients.services import record_weight
from ketacare.protocols.selectors import get_active_protocol_version
from ketacare.protocols.services import ensure_standard_protocols
from ketacare.treatment.models import Course, DoseAdministration, TreatmentSession


@pytest.fixture
def course_with_doses(prescriber, patient):
    """An active course of ``code`` with one given dose (``dose_mg``) per time (test setup)."""

    def make(code: str, times, *, dose_mg="56", mg_per_kg=None):
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
                start_at=times[0] if times else now,
                planned_sessions=max(1, len(times)),
                mg_per_kg=mg_per_kg,
            )
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
                    dose_mg=Decimal(dose_mg),
                    started_at=at,
                    lot_number="LOT-1",
                )
        return course

    return make


@pytest.fixture
def weighed(nurse, patient):
    return record_weight(
        actor=nurse,
        patient=patient,
        weight_kg=Decimal("80.0"),
        measured_at=timezone.now() - timedelta(days=1),
    )


def _panel_params(client, patient) -> dict[str, str] | None:
    body = client.get(f"/patients/{patient.pk}/").content.decode()
    assert "Predicted concentration" in body
    found = re.search(r'id="chart-pk-next-dose" hx-get="([^"]+)"', body)
    if found is None:
        return None
    query = parse_qs(urlsplit(unescape(found.group(1))).query)
    return {k: v[0] for k, v in query.items()}


def test_without_a_course_the_reference_regimen_is_shown_at_the_patients_weight(
    client, prescriber, patient, weighed
):
    client.force_login(prescriber)
    params = _panel_params(client, patient)
    # 0.5 mg/kg x 80.0 kg = 40.0 mg IV over 40 min
    assert params == {
        "model": "kamp_2020",
        "route": "iv",
        "dose_mg": "40.0",
        "duration_min": "40",
        "weight_kg": "80.0",
        "age_years": params["age_years"],
        "sex": "female",
    }
    curve = client.get("/pk/preview/", params).content.decode()
    assert "Proposed" in curve
    assert "Reference" in curve


def test_iv_course_shows_its_mg_per_kg_at_the_latest_weight(
    client, prescriber, patient, weighed, course_with_doses
):
    course_with_doses(
        "iv_racemic_elektd", [timezone.now() - timedelta(days=3)], dose_mg="35", mg_per_kg="0.5"
    )
    client.force_login(prescriber)
    params = _panel_params(client, patient)
    # The next dose is recomputed from the latest weight: 0.5 mg/kg x 80.0 kg = 40.0 mg
    assert (params["model"], params["route"], params["dose_mg"]) == ("kamp_2020", "iv", "40.0")
    assert params["duration_min"] == "40"


def test_esketamine_course_shows_the_last_titrated_dose(
    client, prescriber, patient, weighed, course_with_doses
):
    now = timezone.now()
    course_with_doses("in_esketamine_trd", [now - timedelta(days=4)], dose_mg="56")
    client.force_login(prescriber)
    params = _panel_params(client, patient)
    assert (params["model"], params["route"], params["dose_mg"]) == (
        "perez_ruixo_2021",
        "intranasal",
        "56.00",
    )


def test_no_weight_says_so_instead_of_a_curve(client, prescriber, patient):
    client.force_login(prescriber)
    assert _panel_params(client, patient) is None
    assert "No weight recorded" in client.get(f"/patients/{patient.pk}/").content.decode()


def test_front_desk_does_not_get_the_pk_panel(client, frontdesk, patient, weighed):
    client.force_login(frontdesk)
    assert "Predicted concentration" not in client.get(f"/patients/{patient.pk}/").content.decode()


def _queries(client, patient) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/patients/{patient.pk}/").status_code == 200
    return len(ctx.captured_queries)


def test_chart_query_count_is_the_same_with_1_and_20_doses(
    client, prescriber, patient, weighed, course_with_doses
):
    now = timezone.now()
    course_with_doses("in_esketamine_trd", [now - timedelta(days=60)])
    client.force_login(prescriber)
    _queries(client, patient)  # warm the session and caches
    small = _queries(client, patient)
    course_with_doses(
        "in_esketamine_trd", [now - timedelta(days=50 - 2 * d) for d in range(19)], dose_mg="84"
    )
    assert _queries(client, patient) == small
