"""The benchmark's hand-written baselines (bench/web.py) run on both engines and read the same
rows their pages show: a baseline that silently read less would flatter every ratio."""

from collections import Counter

import pytest
from django.db import connection

from bench import web
from ketacare.demo.registry import seed_registry
from ketacare.measures.models import Assessment, SafetyAlert
from ketacare.treatment.models import DoseAdministration, TreatmentSession, VitalsReading


@pytest.fixture
def samples(db):
    # Courses that started three days ago: every patient has a session on today's board.
    seed_registry(patients=12, seed=3, progress=False, course_start_days=(-3, -3))
    return web._samples(repeats=4, seed=2)


def _rows(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def test_every_page_has_records_and_a_baseline_that_runs(samples):
    for page, picked in samples.items():
        assert picked, page
        for _, _, sql, params in picked:
            assert _rows(sql, params), page


def test_the_chart_baseline_reads_every_assessment_session_and_alert_of_the_patient(samples):
    for _, url, sql, params in samples["chart"]:
        kinds = Counter(row[0] for row in _rows(sql, params))
        patient = params["id"]
        assert kinds["patient"] == 1, url
        assert kinds["assessment"] == Assessment.objects.filter(patient_id=patient).count()
        assert kinds["session"] == TreatmentSession.objects.filter(patient_id=patient).count()
        assert kinds["alert"] == SafetyAlert.objects.filter(patient_id=patient).count()
        assert {"evaluation", "consent", "course", "clinic policy", "protocol"} <= set(kinds)


def test_the_board_baseline_reads_todays_sessions_with_their_readings(samples):
    _, _, sql, params = samples["board"][0]
    rows = _rows(sql, params)
    sessions = {row[1] for row in rows if row[0] == "session"}
    today = TreatmentSession.objects.filter(
        clinic_id=params["clinic"],
        scheduled_at__gte=params["start"],
        scheduled_at__lt=params["end"],
    )
    assert sessions
    assert sessions >= set(today.values_list("id", flat=True))
    readings = sum(1 for row in rows if row[0] == "vitals")
    assert readings == VitalsReading.objects.filter(session_id__in=sessions).count()


def test_the_run_sheet_and_outcomes_baselines_read_the_whole_record(samples):
    _, _, sql, params = samples["run sheet"][0]
    kinds = Counter(row[0] for row in _rows(sql, params))
    assert kinds["vitals"] == VitalsReading.objects.filter(session_id=params["id"]).count() > 0
    assert kinds["dose"] == 1  # a discharged session was dosed
    _, _, sql, params = samples["outcomes (API)"][0]
    kinds = Counter(row[0] for row in _rows(sql, params))
    assert kinds["score"] == Assessment.objects.filter(patient_id=params["id"]).count()
    assert (
        kinds["dose"] == DoseAdministration.objects.filter(session__patient_id=params["id"]).count()
    )


def test_the_floor_is_one_row(samples):
    for _, _, sql, params in samples["floor: one patient (API)"]:
        assert len(_rows(sql, params)) == 1
