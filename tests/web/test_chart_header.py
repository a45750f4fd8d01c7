"""The chart leads with what is dangerous: a fixed header with age, weight, allergies, the
contraindication verdict, consent, open alerts and the next session, in words (the colour of
a badge only repeats them); sections as collapsible panels; the access log paged; a print
view. Every page is an audited read of the patient."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ketacare.audit.models import AuditEntry
from ketacare.audit.services import record_read


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def _header(response) -> str:
    html = response.content.decode()
    start = html.index('<header class="chart-header')
    return re.sub(
        r"\s+", " ", re.sub(r"<[^>]+>", " ", html[start : html.index("</header>", start)])
    )


def _record_weight(nurse, patient, kg: str):
    from ketacare.patients.services import record_weight

    record_weight(
        actor=nurse,
        patient=patient,
        weight_kg=Decimal(kg),
        measured_at=timezone.now() - timedelta(days=2),
    )


def _item9_alert(nurse, patient):
    from ketacare.measures.services import record_assessment

    record_assessment(
        actor=nurse,
        patient=patient,
        instrument="phq9",
        items=[1, 1, 1, 1, 1, 1, 1, 1, 1],
        context="follow_up",
        taken_at=timezone.now() - timedelta(minutes=5),
    )


def test_header_of_a_new_patient_says_what_is_not_yet_known(client, nurse, patient):
    client.force_login(nurse)
    header = _header(client.get(f"/patients/{patient.pk}/"))
    assert "Alvarez, Avery" in header
    assert "No weight recorded" in header
    assert "Allergies Not yet asked" in header
    assert "Contraindications Not yet evaluated" in header
    assert "Open alerts None open" in header
    assert "Next session None scheduled" in header


def test_header_leads_with_hypersensitivity_the_verdict_and_an_open_alert(
    client, prescriber, nurse, patient, evaluate
):
    _record_weight(nurse, patient, "72.5")
    evaluate("intranasal", hypersensitivity_to_ketamine_or_esketamine=True)
    _item9_alert(nurse, patient)
    client.force_login(prescriber)
    response = client.get(f"/patients/{patient.pk}/")
    header = _header(response)
    assert "72.5 kg" in header
    assert "Allergy: Hypersensitivity to ketamine or esketamine" in header
    assert "Contraindications Not eligible" in header
    assert "Alert: Suicidal thoughts reported (PHQ-9 item 9)" in header
    assert 'class="chart-header chart-header-danger"' in response.content.decode()
    assert "Consent No consent documents" in header  # the clinic has published none


def test_header_shows_valid_consent_and_the_next_session_with_its_run_sheet(
    client, nurse, patient, esketamine_course
):
    client.force_login(nurse)
    response = client.get(f"/patients/{patient.pk}/")
    header = _header(response)
    session = esketamine_course.sessions[0]
    assert ": Valid" in header
    assert "No ketamine or esketamine hypersensitivity" in header
    assert "Contraindications Eligible" in header
    assert f"session {session.number}" in header
    assert f'href="/sessions/{session.pk}/"' in response.content.decode()
    assert "Scheduled" in header


def test_sections_are_collapsible_panels_and_the_access_log_starts_closed(
    client, clinic_admin, patient
):
    client.force_login(clinic_admin)
    html = client.get(f"/patients/{patient.pk}/").content.decode()
    assert re.search(
        r'<details class="card chart-panel" id="panel-summary" data-panel="summary" open>', html
    )
    assert re.search(
        r'<details class="card chart-panel" id="panel-access-log" data-panel="access-log">', html
    )
    assert "ketacare/js/chart_panels.js" in html
    assert "<script>" not in html
    assert " style=" not in html
    assert "<style" not in html


def _fill_log(actor, patient, n: int) -> None:
    for i in range(n):
        record_read(actor=actor, target=patient, patient_id=patient.pk, summary=f"filler {i}")


def test_access_log_is_paged_20_at_a_time_newest_first(client, clinic_admin, patient):
    _fill_log(clinic_admin, patient, 45)
    client.force_login(clinic_admin)
    chart = client.get(f"/patients/{patient.pk}/").content.decode()
    log = chart[chart.index('<div id="audit-log"') :]
    assert log.count("data-audit-entry=") == 20
    assert "Older entries" in log
    assert "Newer entries" not in log.split("</nav>")[0]
    total = AuditEntry.objects.filter(patient_id_snapshot=patient.pk).count()
    response = client.get(f"/patients/{patient.pk}/audit/?page=2", headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="audit-log"')  # the region htmx swaps, no layout
    assert body.count("data-audit-entry=") == 20
    assert f"Entries 21–40 of {total + 1}" in body  # this request's own read is entry 1
    assert "Newer entries" in body
    assert "Older entries" in body


def test_each_access_log_page_is_an_audited_read_and_a_page_past_the_end_shows_the_last(
    client, clinic_admin, patient
):
    _fill_log(clinic_admin, patient, 25)
    client.force_login(clinic_admin)
    before = AuditEntry.objects.filter(action="read", patient_id_snapshot=patient.pk).count()
    body = client.get(f"/patients/{patient.pk}/audit/?page=99").content.decode()
    entry = AuditEntry.objects.filter(action="read").latest("id")
    assert (entry.actor_id, entry.patient_id_snapshot, entry.summary) == (
        clinic_admin.pk,
        patient.pk,
        "access log",
    )
    assert AuditEntry.objects.filter(action="read", patient_id_snapshot=patient.pk).count() == (
        before + 1
    )
    assert "page 2 of 2" in body
    assert client.get(f"/patients/{patient.pk}/audit/?page=x").status_code == 200


def test_nurse_cannot_page_the_access_log_and_no_read_is_logged(client, nurse, patient):
    client.force_login(nurse)
    before = AuditEntry.objects.count()
    response = client.get(f"/patients/{patient.pk}/audit/?page=1")
    assert response.status_code == 403
    assert AuditEntry.objects.count() == before


def test_outsider_gets_not_found_for_the_access_log_and_the_print_view(client, outsider, patient):
    client.force_login(outsider)
    assert client.get(f"/patients/{patient.pk}/print/").status_code == 404


def test_print_view_has_the_header_and_panels_without_the_access_log(
    client, prescriber, nurse, patient
):
    _record_weight(nurse, patient, "68.0")
    # A prescriber (the weight is clinical history, which a clinic admin no longer reads:
    # issue 14.2; this test printed as the clinic admin before).
    client.force_login(prescriber)
    response = client.get(f"/patients/{patient.pk}/print/")
    assert response.status_code == 200
    text = _text(response)
    assert "68.0 kg" in text
    assert "Chart summary printed" in text
    assert "Who viewed or changed this record" not in text
    assert "<details" not in response.content.decode()  # everything open on paper
    entry = AuditEntry.objects.filter(action="read").latest("id")
    assert (entry.patient_id_snapshot, entry.summary) == (patient.pk, "chart print")


@pytest.mark.parametrize("url", ["/patients/{}/", "/patients/{}/print/"])
def test_header_costs_a_fixed_number_of_queries(client, prescriber, nurse, patient, url):
    client.force_login(prescriber)
    path = url.format(patient.pk)
    client.get(path)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(path).status_code == 200
        return len(ctx.captured_queries)

    small = count()
    for kg in ("70.0", "71.0", "72.0"):
        _record_weight(nurse, patient, kg)
    for _ in range(3):
        _item9_alert(nurse, patient)
    assert count() == small


def test_consent_of_the_treated_route_gets_a_badge_and_unsigned_other_routes_one_line(
    client, clinic_admin, nurse, patient, esketamine_course
):
    from ketacare.consent.services import publish_consent_version

    publish_consent_version(
        actor=clinic_admin,
        route="iv",
        title="Consent to IV ketamine treatment",
        body="What the treatment is, its risks and alternatives.",
        effective_at=timezone.now() - timedelta(days=3),
        material_change=True,
    )
    client.force_login(nurse)
    header = _header(client.get(f"/patients/{patient.pk}/"))
    assert "Intranasal esketamine: Valid" in header
    assert "Intravenous ketamine: Missing" not in header  # not a row of warnings
    assert "Not consented: Intravenous ketamine" in header


def test_withdrawn_consent_for_the_route_being_treated_marks_the_header_dangerous(
    client, nurse, patient, esketamine_course
):
    from ketacare.consent.models import ConsentSignature
    from ketacare.consent.services import withdraw_consent

    withdraw_consent(
        actor=nurse,
        signature=ConsentSignature.objects.get(patient=patient),
        reason="Patient asked to stop treatment.",
    )
    client.force_login(nurse)
    response = client.get(f"/patients/{patient.pk}/")
    assert "Intranasal esketamine: Withdrawn" in _header(response)
    html = response.content.decode()
    assert 'class="chart-header chart-header-danger"' in html
    assert re.search(r'<span class="badge danger"[^>]*>Intranasal esketamine: Withdrawn', html)
