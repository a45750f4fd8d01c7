"""The inventory pages: same services and codes as /api/v1/inventory. Invalid input shows next
to its field, a refusal renders the blockers component with the API's codes, nothing is
written on either; the pages are for staff who manage inventory, and their query counts do
not grow with the number of containers or entries."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from ledger_helpers import PASSWORD, VALID_DEA, receive

from ketacare.controlled_substances import services
from ketacare.controlled_substances.models import (
    Discrepancy,
    InventoryCount,
    LedgerEntry,
    StockContainer,
)

PAGES = [
    "/inventory/",
    "/inventory/ledger/",
    "/inventory/receive/",
    "/inventory/waste/",
    "/inventory/count/",
]

RECEIPT = {
    "drug": "racemic_ketamine",
    "concentration_mg_per_ml": "50",
    "description": "10 mL multi-dose vial",
    "size_ml": "10",
    "container_count": "2",
    "lot": "KET-2402",
    "ndc": "0409-2051-05",
    "supplier_name": "Cardinal Distribution",
    "supplier_address": "7000 Cardinal Pl, Dublin OH",
    "supplier_dea_number": VALID_DEA,
}


def _expires(days: int) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def _shortage(nurse, vial, counted="9.5"):
    count = services.record_inventory_count(
        actor=nurse,
        business_time="closing",
        complete=False,
        lines=[{"container_id": vial.pk, "counted_ml": Decimal(counted)}],
    )
    return count.lines.get().discrepancy


# --- who may open the pages -----------------------------------------------------------------


@pytest.mark.parametrize("role", ["therapist", "frontdesk", "researcher"])
def test_roles_without_inventory_permission_are_refused_every_page(client, people, role):
    client.force_login(people[role])
    for url in PAGES:
        assert client.get(url).status_code == 403, url


def test_patient_login_cannot_open_inventory_pages(client, patient_user):
    client.force_login(patient_user)
    assert client.get("/inventory/").status_code == 403


def test_clinic_admin_sees_the_inventory_but_may_not_waste(client, clinic_admin):
    client.force_login(clinic_admin)
    page = client.get("/inventory/")
    assert page.status_code == 200
    assert b"Witnessed waste" not in page.content
    assert client.get("/inventory/waste/").status_code == 403


def test_other_clinic_gets_not_found_for_a_discrepancy(client, nurse, outsider, vial):
    discrepancy = _shortage(nurse, vial)
    client.force_login(outsider)
    assert client.get(f"/inventory/discrepancies/{discrepancy.pk}/").status_code == 404


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get("/inventory/")
    assert response.status_code == 302
    assert "login" in response["Location"]


# --- the inventory page ---------------------------------------------------------------------


def test_inventory_shows_balances_lots_expiry_badges_alerts_and_open_discrepancies(
    client, nurse, vial
):
    soon = receive(nurse, lot="SOON-1", expires_on=timezone.localdate() + timedelta(days=30))[0]
    expired = receive(
        nurse,
        lot="OLD-1",
        expires_on=timezone.localdate() - timedelta(days=5),
        as_of=timezone.now() - timedelta(days=10),
    )[0]
    discrepancy = _shortage(nurse, vial)
    client.force_login(nurse)
    body = client.get("/inventory/").content.decode()
    assert "KET-2401" in body
    assert "9.5 mL (475 mg)" in body
    soon_row = body.split(f'id="container-{soon.pk}"')[1].split("</tr>")[0]
    assert 'data-badge="expiring-soon"' in soon_row
    assert "Expires in 30 days" in soon_row
    expired_row = body.split(f'id="container-{expired.pk}"')[1].split("</tr>")[0]
    assert 'data-badge="expired"' in expired_row
    fresh_row = body.split(f'id="container-{vial.pk}"')[1].split("</tr>")[0]
    assert "data-badge" not in fresh_row
    # No complete inventory was ever taken: the overdue alert, with the API's code.
    assert 'data-code="no_complete_inventory"' in body
    row = body.split(f'id="discrepancy-{discrepancy.pk}"')[1].split("</tr>")[0]
    assert discrepancy.written_notice_due_on.strftime("%-d %b %Y") in row
    assert discrepancy.form_106_due_on.strftime("%-d %b %Y") in row


def test_inventory_page_queries_do_not_grow_with_containers(client, nurse):
    client.force_login(nurse)
    receive(nurse, container_count=5)
    with CaptureQueriesContext(connection) as five:
        assert client.get("/inventory/").status_code == 200
    receive(nurse, container_count=45)
    with CaptureQueriesContext(connection) as fifty:
        response = client.get("/inventory/")
    assert response.content.count(b'id="container-') == 50
    assert len(fifty) == len(five)


# --- receive --------------------------------------------------------------------------------


def test_receive_records_the_containers_and_returns_to_the_inventory(client, nurse):
    client.force_login(nurse)
    response = client.post("/inventory/receive/", {**RECEIPT, "expires_on": _expires(200)})
    assert response.status_code == 302
    assert response["Location"] == "/inventory/"
    assert StockContainer.objects.filter(lot="KET-2402").count() == 2


def test_receive_with_a_bad_dea_check_digit_shows_it_next_to_the_field(client, nurse, unchanged):
    check = unchanged(StockContainer, LedgerEntry)
    client.force_login(nurse)
    response = client.post(
        "/inventory/receive/",
        {**RECEIPT, "expires_on": _expires(200), "supplier_dea_number": "BB1388567"},
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="id_supplier_dea_number_error"' in body
    assert 'value="KET-2402"' in body  # what was typed is kept
    check()


def test_receive_with_missing_fields_shows_each_error_next_to_its_field(client, nurse, unchanged):
    check = unchanged(StockContainer, LedgerEntry)
    client.force_login(nurse)
    response = client.post("/inventory/receive/", {**RECEIPT, "lot": "", "size_ml": "-1"})
    assert response.status_code == 422
    body = response.content.decode()
    for field in ("lot", "size_ml", "expires_on"):
        assert f'id="id_{field}_error"' in body, field
    check()


def test_receive_of_an_expired_lot_renders_the_blocker_with_the_api_code(client, nurse, unchanged):
    check = unchanged(StockContainer, LedgerEntry)
    client.force_login(nurse)
    response = client.post("/inventory/receive/", {**RECEIPT, "expires_on": _expires(-1)})
    assert response.status_code == 409
    assert b'data-code="lot_expired"' in response.content
    assert b'id="blockers"' in response.content
    check()


def test_esketamine_kit_volume_mismatch_is_shown_next_to_the_size(client, nurse, unchanged):
    check = unchanged(StockContainer)
    client.force_login(nurse)
    response = client.post(
        "/inventory/receive/",
        {
            **RECEIPT,
            "drug": "esketamine",
            "concentration_mg_per_ml": "140",
            "size_ml": "0.5",  # 2 devices x 28 mg at 140 mg/mL is 0.4 mL
            "device_count": "2",
            "expires_on": _expires(200),
        },
    )
    assert response.status_code == 422
    assert b'id="id_size_ml_error"' in response.content
    check()


# --- witnessed waste ------------------------------------------------------------------------


@pytest.fixture
def drawn_vial(nurse, vial):
    services.draw_for_session(actor=nurse, container_id=vial.pk, quantity_ml=Decimal("1"))
    return vial


def _waste(client, vial, witness, password, quantity="0.3", code=""):
    return client.post(
        "/inventory/waste/",
        {
            "container_id": vial.pk,
            "quantity_ml": quantity,
            "witness_id": witness.pk,
            "witness_password": password,
            "witness_otp": code,
            "reason": "Residue after the dose.",
        },
    )


def test_witness_typing_their_password_and_code_records_the_waste(
    client, nurse, prescriber, drawn_vial, otp
):
    client.force_login(nurse)
    page = client.get("/inventory/waste/").content.decode()
    witnesses = page.split('name="witness_id"')[1].split("</select>")[0]
    assert f'value="{prescriber.pk}"' in witnesses
    assert f'value="{nurse.pk}"' not in witnesses  # never one's own witness
    assert 'name="witness_otp"' in page
    response = _waste(client, drawn_vial, prescriber, PASSWORD, code=otp(prescriber))
    assert response.status_code == 302
    entry = LedgerEntry.objects.get(kind="waste")
    assert (entry.witness_id, entry.created_by_id, entry.quantity_ml) == (
        prescriber.pk,
        nurse.pk,
        Decimal("0.3"),
    )


def test_wrong_witness_password_renders_the_blocker_and_writes_nothing(
    client, nurse, prescriber, drawn_vial, unchanged
):
    check = unchanged(LedgerEntry)
    client.force_login(nurse)
    response = _waste(client, drawn_vial, prescriber, "not the password")
    assert response.status_code == 409
    body = response.content.decode()
    assert 'data-code="witness_not_verified"' in body
    assert "not the password" not in body  # the password is never echoed
    check()


def test_wasting_more_than_is_drawn_up_is_refused_with_the_api_code(
    client, nurse, prescriber, drawn_vial, unchanged, otp
):
    check = unchanged(LedgerEntry)
    client.force_login(nurse)
    response = _waste(
        client, drawn_vial, prescriber, PASSWORD, quantity="1.5", code=otp(prescriber)
    )
    assert response.status_code == 409
    assert b'data-code="balance_would_go_negative"' in response.content
    check()


def test_waste_without_a_witness_or_password_shows_errors_next_to_fields(
    client, nurse, drawn_vial, unchanged
):
    check = unchanged(LedgerEntry)
    client.force_login(nurse)
    response = client.post(
        "/inventory/waste/", {"container_id": drawn_vial.pk, "quantity_ml": "0.3"}
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="id_witness_id_error"' in body
    assert 'id="id_witness_password_error"' in body
    check()


def test_waste_page_lists_only_containers_with_drug_drawn_up(client, nurse, vial):
    client.force_login(nurse)
    body = client.get("/inventory/waste/").content.decode()
    assert 'id="nothing-drawn"' in body
    assert f'<option value="{vial.pk}"' not in body


# --- counts and discrepancies ---------------------------------------------------------------


def test_spot_count_shortage_opens_a_discrepancy_listed_with_its_deadlines(client, nurse, vial):
    client.force_login(nurse)
    response = client.post(
        "/inventory/count/",
        {"business_time": "closing", f"counted_{vial.pk}": "9.2", "notes": "Spot count."},
    )
    assert response.status_code == 302
    discrepancy = Discrepancy.objects.get()
    assert discrepancy.discrepancy_ml == Decimal("-0.8")
    page = client.get("/inventory/").content.decode()
    assert f'id="discrepancy-{discrepancy.pk}"' in page


def test_count_with_no_amounts_is_refused_and_writes_nothing(client, nurse, vial, unchanged):
    check = unchanged(InventoryCount, LedgerEntry, Discrepancy)
    client.force_login(nurse)
    response = client.post("/inventory/count/", {"business_time": "closing"})
    assert response.status_code == 422
    assert b"at least one container" in response.content
    check()


def test_incomplete_complete_inventory_names_the_problem_and_writes_nothing(
    client, nurse, vial, unchanged
):
    other = receive(nurse, lot="KET-2403")[0]
    check = unchanged(InventoryCount, LedgerEntry, Discrepancy)
    client.force_login(nurse)
    response = client.post(
        "/inventory/count/",
        {"business_time": "closing", "complete": "on", f"counted_{vial.pk}": "10"},
    )
    assert response.status_code == 422
    assert b"A complete inventory counts every container" in response.content
    assert other.pk  # the uncounted container
    check()


def test_negative_counted_amount_is_shown_next_to_its_container(client, nurse, vial, unchanged):
    check = unchanged(InventoryCount)
    client.force_login(nurse)
    response = client.post(
        "/inventory/count/", {"business_time": "closing", f"counted_{vial.pk}": "-1"}
    )
    assert response.status_code == 422
    assert f'id="id_counted_{vial.pk}_error"'.encode() in response.content
    check()


def test_theft_cannot_be_closed_before_the_dea_reports_are_recorded(client, nurse, vial, unchanged):
    discrepancy = _shortage(nurse, vial)
    url = f"/inventory/discrepancies/{discrepancy.pk}/"
    client.force_login(nurse)
    response = client.post(
        url,
        {"action": "classify", "classification": "theft", "notes": "Vial tampered with."},
    )
    assert response.status_code == 302
    check = unchanged(Discrepancy)
    refused = client.post(url, {"action": "close", "closing_notes": "Police report filed."})
    assert refused.status_code == 409
    body = refused.content.decode()
    assert 'data-code="dea_notice_not_recorded"' in body
    assert 'data-code="form_106_not_recorded"' in body
    check()
    today = timezone.localdate().isoformat()
    closed = client.post(
        url,
        {
            "action": "close",
            "closing_notes": "Police report filed.",
            "dea_notice_sent_on": today,
            "form_106_filed_on": today,
        },
    )
    assert closed.status_code == 302
    assert Discrepancy.objects.get(pk=discrepancy.pk).status == "closed"


def test_classification_without_notes_is_shown_next_to_the_field(client, nurse, vial, unchanged):
    discrepancy = _shortage(nurse, vial)
    check = unchanged(Discrepancy)
    client.force_login(nurse)
    response = client.post(
        f"/inventory/discrepancies/{discrepancy.pk}/",
        {"action": "classify", "classification": "loss", "notes": ""},
    )
    assert response.status_code == 422
    assert b'id="id_notes_error"' in response.content
    check()


# --- the ledger -----------------------------------------------------------------------------


def test_ledger_links_a_correction_and_the_entry_it_corrects(client, nurse, vial):
    receipt = LedgerEntry.objects.get(container=vial, kind="receive")
    correction = services.record_correction(
        actor=nurse, entry_id=receipt.pk, quantity_ml=Decimal("-0.5"), reason="Mis-keyed size."
    )
    client.force_login(nurse)
    body = client.get("/inventory/ledger/", {"container_id": vial.pk}).content.decode()
    assert f'data-corrects="{receipt.pk}"' in body
    assert f'data-corrected-by="{correction.pk}"' in body
    assert "Mis-keyed size." in body


def test_ledger_filters_by_movement_and_pages(client, nurse):
    receive(nurse, container_count=3)
    client.force_login(nurse)
    body = client.get("/inventory/ledger/", {"kind": "waste"}).content.decode()
    assert "No entries match." in body
    page = client.get("/inventory/ledger/", {"kind": "receive"}).content.decode()
    assert page.count('id="entry-') == 3


def test_ledger_pages_beyond_fifty_entries(client, nurse):
    receive(nurse, container_count=55)
    client.force_login(nurse)
    first = client.get("/inventory/ledger/").content.decode()
    assert first.count('id="entry-') == 50
    assert "page=1" in first
    second = client.get("/inventory/ledger/", {"page": "1"}).content.decode()
    assert second.count('id="entry-') == 5


def test_ledger_filter_errors_are_shown_next_to_the_field(client, nurse):
    client.force_login(nurse)
    response = client.get(
        "/inventory/ledger/", {"since": "2026-02-01", "until": "2026-01-01", "kind": "gift"}
    )
    assert response.status_code == 422
    assert b'id="id_until_error"' in response.content
    assert b'id="id_kind_error"' in response.content


def test_ledger_htmx_filter_returns_only_the_entries_region(client, nurse, vial):
    client.force_login(nurse)
    response = client.get("/inventory/ledger/", {"kind": "receive"}, HTTP_HX_REQUEST="true")
    assert b'id="entries"' in response.content
    assert b"<html" not in response.content


def test_ledger_page_queries_do_not_grow_with_entries(client, nurse):
    client.force_login(nurse)
    (container,) = receive(nurse)
    for _ in range(4):
        services.draw_for_session(
            actor=nurse, container_id=container.pk, quantity_ml=Decimal("0.1")
        )
    with CaptureQueriesContext(connection) as five:
        assert client.get("/inventory/ledger/").content.count(b'id="entry-') == 5
    receive(nurse, container_count=45)
    with CaptureQueriesContext(connection) as fifty:
        assert client.get("/inventory/ledger/").content.count(b'id="entry-') == 50
    assert len(fifty) == len(five)
