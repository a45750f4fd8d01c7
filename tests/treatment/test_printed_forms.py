"""Printed forms (issue 17.5) for the demo clinic: the SPRAVATO REMS Patient Monitoring Form
of a discharged esketamine session, a session's controlled-substance administration record
and a clinic day's controlled-substance records (administration, witnessed waste, counts),
each a PDF made by WeasyPrint whose text holds the paper form's fields and the record's
values. Downloads are audited reads and limited to the roles that may see the records."""

from __future__ import annotations

import io
import re

import pytest
from django.utils import timezone
from pypdf import PdfReader

from ketacare.accounts.models import User
from ketacare.audit.models import AuditEntry


@pytest.fixture
def demo(db):
    from ketacare.demo.seed import demo_password, seed_demo_clinic

    # The demo's own password: its witnessed wastes are recorded only when the witness's
    # password is the one the demo knows.
    assert seed_demo_clinic(password=demo_password())


def _pdf_text(response) -> str:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    reader = PdfReader(io.BytesIO(response.content))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() or "" for page in reader.pages))


def _esketamine_form():
    from ketacare.treatment.models import RemsForm

    return (
        RemsForm.objects.select_related("session__patient", "session__dose")
        .order_by("-session_completed_at")
        .first()
    )


def test_rems_monitoring_form_pdf_holds_every_section_of_the_paper_form(demo, client):
    nurse = User.objects.get(username="nurse")
    form = _esketamine_form()
    session, patient = form.session, form.session.patient
    client.force_login(nurse)
    text = _pdf_text(client.get(f"/sessions/{session.pk}/rems-form.pdf"))

    for field in (
        "SPRAVATO® REMS Patient Monitoring Form",
        "PATIENT INFORMATION",
        "Birthdate (MM/DD/YYYY)",
        "CONCOMITANT MEDICATION",
        "Benzodiazepines",
        "Monoamine oxidase inhibitors (MAOIs)",
        "HEALTHCARE PROVIDER CONDUCTING PATIENT MONITORING",
        "Prescriber on site",
        "HEALTHCARE SETTING INFORMATION",
        "Treatment date",
        "Dose administered",
        "56 mg",
        "84 mg",
        "Lot number",
        "Treatment duration",
        "REMS evaluation question",
        "Vital signs were in acceptable range prior to administration?",
        "Prior to administration",
        "40 mins post-administration",
        "Prior to treatment session completion",
        "Sedation?",
        "Dissociation?",
        "Respiratory depression?",
        "ADVERSE EVENTS THIS SESSION",
        "SIGNATURES",
        "Healthcare provider conducting monitoring: signature",
        "Prescriber: signature",
    ):
        assert field in text, field
    answers = form.data["answers"]
    assert patient.family_name in text
    assert patient.given_name in text
    assert session.dose.lot_number in text
    bp = answers["bp_before_administration"]
    assert f"{bp['systolic_mmhg']} / {bp['diastolic_mmhg']} mmHg" in text
    if form.data["complete"]:
        assert f"{form.data['treatment_duration_min']} minutes" in text
    else:  # what the record lacks is marked for staff to complete before submitting
        assert "missing: complete before submitting" in text
    assert AuditEntry.objects.filter(
        actor=nurse, action="read", summary="REMS monitoring form PDF"
    ).exists()


def test_session_controlled_substance_record_pdf_lists_the_administration(demo, client):
    from ketacare.controlled_substances.models import LedgerEntry

    entry = (
        LedgerEntry.objects.filter(kind="administer", session__isnull=False)
        .select_related("container", "patient", "created_by")
        .order_by("-occurred_at")
        .first()
    )
    nurse = User.objects.get(username="nurse")
    client.force_login(nurse)
    text = _pdf_text(client.get(f"/sessions/{entry.session_id}/controlled-substance-record.pdf"))
    for field in (
        "Controlled-Substance Administration Record",
        "PATIENT AND SESSION",
        "ADMINISTRATION",
        "Administered by",
        "Balance after",
        "WASTE (WITNESSED)",
        "Witness",
        "Witness to waste: signature",
    ):
        assert field in text, field
    assert entry.patient.family_name in text
    assert entry.container.lot in text
    assert f"{entry.quantity_mg:.2f} mg" in text
    assert entry.created_by.get_full_name() in text
    assert AuditEntry.objects.filter(
        actor=nurse, action="read", summary__startswith="controlled-substance record of the session"
    ).exists()


def test_clinic_day_controlled_substance_records_pdf_has_administration_waste_and_counts(
    demo, client
):
    from ketacare.controlled_substances.models import InventoryCount, LedgerEntry

    waste = (
        LedgerEntry.objects.filter(kind="waste", witness__isnull=False)
        .select_related("witness", "container", "created_by")
        .order_by("occurred_at")
        .first()
    )
    day = timezone.localtime(waste.occurred_at).date()
    client.force_login(User.objects.get(username="prescriber"))
    text = _pdf_text(client.get(f"/board/controlled-substance-records.pdf?date={day.isoformat()}"))
    for field in (
        "Controlled-Substance Records",
        "ADMINISTRATION RECORD",
        "WASTE RECORD (WITNESSED)",
        "Quantity wasted",
        "Reason / method",
        "INVENTORY COUNTS (LATEST, UP TO THIS DAY)",
        "Expected",
        "Counted",
        "Discrepancy",
        "Registrant or designee: signature",
    ):
        assert field in text, field
    assert waste.witness.get_full_name() in text
    assert waste.created_by.get_full_name() in text
    assert waste.container.lot in text
    count = InventoryCount.objects.filter(counted_at__lt=waste.occurred_at).order_by("-counted_at")
    if count.exists():
        assert "counted by" in text
    assert AuditEntry.objects.filter(
        action="read", summary__startswith=f"controlled-substance records {day:%Y-%m-%d}"
    ).exists()


def test_only_those_who_keep_the_ledger_may_print_controlled_records_and_only_in_clinic(
    demo, client, outsider
):
    from ketacare.controlled_substances.models import LedgerEntry

    entry = LedgerEntry.objects.filter(kind="administer", session__isnull=False).first()
    record = f"/sessions/{entry.session_id}/controlled-substance-record.pdf"
    for username in ("therapist", "frontdesk"):
        client.force_login(User.objects.get(username=username))
        assert client.get(record).status_code == 403
        assert client.get("/board/controlled-substance-records.pdf").status_code == 403
        # ...and neither the board nor the run sheet offers them the link.
        assert b"controlled-substance-records.pdf" not in client.get("/board/").content
        assert (
            b"controlled-substance-record.pdf"
            not in client.get(f"/sessions/{entry.session_id}/").content
        )
    form = _esketamine_form()
    client.force_login(outsider)
    assert client.get(f"/sessions/{form.session_id}/rems-form.pdf").status_code == 404


def test_board_and_run_sheet_offer_the_pdfs_to_a_nurse_and_a_bad_date_is_refused(demo, client):
    form = _esketamine_form()
    client.force_login(User.objects.get(username="nurse"))
    assert b'href="/board/controlled-substance-records.pdf"' in client.get("/board/").content
    sheet = client.get(f"/sessions/{form.session_id}/").content.decode()
    assert f'href="/sessions/{form.session_id}/rems-form.pdf"' in sheet
    assert f'href="/sessions/{form.session_id}/controlled-substance-record.pdf"' in sheet
    response = client.get("/board/controlled-substance-records.pdf?date=12/03/2026")
    assert response.status_code == 422
