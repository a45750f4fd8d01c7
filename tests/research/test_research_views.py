"""The research page: researchers see suppressed statistics and their exports; clinical staff
do not reach it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client

from ketacare.research.models import ResearchExport
from ketacare.research.services import record_research_settings

FIRST_DOSE = datetime(2025, 3, 10, 15, 0, tzinfo=UTC)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_researcher_sees_summary_and_exports_from_the_page(
    clinic_admin, prescriber, researcher, treated
):
    record_research_settings(actor=clinic_admin, min_cell_count=1)
    t = treated(prescriber, first_dose_at=FIRST_DOSE)
    client = _client(researcher)
    page = client.get("/research/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-protocol="in_esketamine_trd"' in body
    assert t.patient.family_name not in body
    created = client.post("/research/exports/", {"protocol_codes": "in_esketamine_trd"})
    assert created.status_code == 302
    export = ResearchExport.objects.get()
    listing = client.get("/research/").content.decode()
    assert f"/research/exports/{export.pk}/download/" in listing
    download = client.get(f"/research/exports/{export.pk}/download/")
    assert download["Content-Type"] == "application/zip"


def test_small_cohort_export_from_the_page_shows_the_refusal(prescriber, researcher, treated):
    treated(prescriber, first_dose_at=FIRST_DOSE)
    response = _client(researcher).post("/research/exports/", {})
    assert response.status_code == 422
    assert 'data-code="cohort_below_minimum_cell_count"' in response.content.decode()
    assert ResearchExport.objects.count() == 0


@pytest.mark.parametrize("role", ["prescriber", "nurse", "frontdesk"])
def test_clinical_staff_cannot_open_the_research_page(request, role):
    response = _client(request.getfixturevalue(role)).get("/research/")
    assert response.status_code == 403


def test_research_appears_in_the_researchers_navigation(researcher):
    assert 'href="/research/"' in _client(researcher).get("/research/").content.decode()
