"""The research API: exports with a download URL, downloads for their maker only, and the
suppressed cohort summary."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import UTC, datetime

import pytest

from ketacare.research.services import record_research_settings

FIRST_DOSE = datetime(2025, 3, 10, 15, 0, tzinfo=UTC)


@pytest.fixture
def k1(clinic_admin):
    return record_research_settings(actor=clinic_admin, min_cell_count=1)


def test_researcher_exports_and_downloads_the_zip(api, prescriber, researcher, treated, k1):
    treated(prescriber, first_dose_at=FIRST_DOSE)
    created = api(researcher).post("/research/exports", {"protocol_codes": ["in_esketamine_trd"]})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["patient_count"] == 1
    assert body["download_url"] == f"/api/v1/research/exports/{body['id']}/download"
    client = api(researcher)
    download = client.client.get(body["download_url"], headers=client.headers)
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    assert hashlib.sha256(download.content).hexdigest() == body["sha256"]
    names = set(zipfile.ZipFile(io.BytesIO(download.content)).namelist())
    assert {"patients.csv", "courses.csv", "sessions.csv", "assessments.csv"} <= names
    listed = api(researcher).get("/research/exports").json()["items"]
    assert [e["id"] for e in listed] == [body["id"]]


def test_another_researcher_gets_404_for_the_download(
    api, prescriber, researcher, clinic_a, treated, k1
):
    from ketacare.accounts.services import create_user

    treated(prescriber, first_dose_at=FIRST_DOSE)
    export_id = api(researcher).post("/research/exports", {}).json()["id"]
    other = create_user(
        actor=None, clinic=clinic_a, username="researcher_a2", password="correct horse battery",
        role="researcher", validate=False,
    )  # fmt: skip
    response = api(other).get(f"/research/exports/{export_id}/download")
    assert response.status_code == 404


@pytest.mark.parametrize("role", ["prescriber", "nurse", "therapist"])
def test_clinical_staff_cannot_export(api, request, role):
    response = api(request.getfixturevalue(role)).post("/research/exports", {})
    assert response.status_code == 403


def test_small_cohort_is_refused_with_a_stable_code(api, prescriber, researcher, treated):
    treated(prescriber, first_dose_at=FIRST_DOSE)  # 1 patient < default k of 11
    response = api(researcher).post("/research/exports", {})
    assert response.status_code == 422
    assert response.json()["code"] == "cohort_below_minimum_cell_count"


def test_cohort_summary_withholds_small_cells(api, prescriber, researcher, treated):
    for i in range(3):
        treated(prescriber, first_dose_at=FIRST_DOSE, given=f"G{i}", family=f"F{i}")
    body = api(researcher).get("/research/cohort-summary").json()
    assert body["min_cell_count"] == 11
    (row,) = body["protocols"]
    assert row["patients"] is None
    assert row["responders"] is None
    assert "patients" in row["suppressed"]
    assert body["relapse_free_curves"] == {}


def test_cohort_summary_shows_rates_with_wilson_intervals_at_k(
    api, clinic_admin, prescriber, researcher, treated
):
    record_research_settings(actor=clinic_admin, min_cell_count=2)
    for i in range(2):
        treated(prescriber, first_dose_at=FIRST_DOSE, given=f"R{i}", family="Resp")
    for i in range(2):
        treated(
            prescriber, first_dose_at=FIRST_DOSE, given=f"N{i}", family="Non",
            phq9=((-2, 20), (7, 18)),
        )  # fmt: skip
    (row,) = api(researcher).get("/research/cohort-summary").json()["protocols"]
    # 2 of 4 responded (20 -> 9 is >= 50% fewer points); Wilson 95%: 0.1500 .. 0.8500
    assert row["measured"] == 4
    assert row["responders"] == 2
    assert row["response_rate"] == 0.5
    assert row["response_ci_lower"] == pytest.approx(0.15, abs=1e-3)
    assert row["response_ci_upper"] == pytest.approx(0.85, abs=1e-3)
    assert row["median_days_to_response"] == 7


def test_cohort_summary_rejects_a_reversed_age_band(api, researcher):
    response = api(researcher).get("/research/cohort-summary", age_min=70, age_max=60)
    assert response.status_code == 422
    assert response.json()["code"] == "cohort_age_band_reversed"
