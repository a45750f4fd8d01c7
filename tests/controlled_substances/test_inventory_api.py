from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from ledger_helpers import PASSWORD, VALID_DEA

from ketacare.controlled_substances.models import LedgerEntry, StockContainer, Supplier


def receipt_body(**overrides):
    body = {
        "drug": "racemic_ketamine",
        "concentration_mg_per_ml": "50",
        "description": "10 mL multi-dose vial",
        "size_ml": "10",
        "lot": "KET-9",
        "expires_on": (timezone.localdate() + timedelta(days=200)).isoformat(),
        "container_count": 2,
        "supplier": {"name": "Cardinal", "address": "Dublin OH", "dea_number": VALID_DEA},
    }
    body.update(overrides)
    return body


def test_receipt_returns_201_with_each_container(api, nurse):
    response = api(nurse).post("/inventory/receipts", receipt_body())
    assert response.status_code == 201, response.content
    containers = response.json()["containers"]
    assert len(containers) == 2
    assert containers[0]["supplier"]["dea_number"] == VALID_DEA


def test_expired_lot_answers_409_with_the_blocker_and_writes_nothing(api, nurse, unchanged):
    check = unchanged(StockContainer, LedgerEntry, Supplier)
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = api(nurse).post("/inventory/receipts", receipt_body(expires_on=yesterday))
    assert response.status_code == 409
    (blocker,) = response.json()["details"]["blockers"]
    assert blocker["code"] == "lot_expired"
    assert blocker["overridable"] is False  # ledger gates have no override, not even a prescriber's
    check()


@pytest.mark.parametrize(
    "change",
    [
        {"supplier": {"name": "C", "address": "A", "dea_number": "BB1388567"}},  # check digit
        {"size_ml": "-1"},
        {"drug": "morphine"},
        {"unexpected": 1},
    ],
)
def test_invalid_receipt_answers_422_and_writes_nothing(api, nurse, unchanged, change):
    check = unchanged(StockContainer, LedgerEntry, Supplier)
    response = api(nurse).post("/inventory/receipts", receipt_body(**change))
    assert response.status_code == 422
    check()


def test_therapist_cannot_waste(api, therapist, vial):
    response = api(therapist).post("/inventory/waste", {"container_id": vial.pk})
    assert response.status_code == 403


def test_waste_through_the_api_with_the_witness_password_and_code(
    api, nurse, prescriber, vial, otp
):
    client = api(nurse)
    draw = client.post("/inventory/draws", {"container_id": vial.pk, "quantity_ml": "1"})
    assert draw.status_code == 201, draw.content
    body = {"container_id": vial.pk, "quantity_ml": "1", "witness_id": prescriber.pk}
    refused = client.post("/inventory/waste", {**body, "witness_password": "nope"})
    assert refused.status_code == 409
    assert refused.json()["details"]["blockers"][0]["code"] == "witness_not_verified"
    no_code = client.post("/inventory/waste", {**body, "witness_password": PASSWORD})
    assert no_code.status_code == 409
    assert no_code.json()["details"]["blockers"][0]["code"] == "witness_second_factor_required"
    right = otp(prescriber)
    wrong = client.post(
        "/inventory/waste",
        {**body, "witness_password": PASSWORD,
         "witness_otp": f"{(int(right) + 1) % 1_000_000:06d}"},
    )  # fmt: skip
    assert wrong.json()["details"]["blockers"][0]["code"] == "witness_not_verified"
    assert not LedgerEntry.objects.filter(kind="waste").exists()
    done = client.post(
        "/inventory/waste", {**body, "witness_password": PASSWORD, "witness_otp": right}
    )
    assert done.status_code == 201, done.content
    assert "witness_password" not in done.json()
    assert "witness_otp" not in done.json()
    assert done.json()["witness_id"] == prescriber.pk


def test_a_witness_who_gave_a_code_in_the_last_15_minutes_needs_no_new_one(
    api, nurse, prescriber, vial
):
    import time_machine

    from ketacare.accounts.models import User

    # The clinic's default step-up limit is 15 minutes: at 15:00 still fresh, at 15:01 not.
    with time_machine.travel(timezone.now(), tick=False):
        client = api(nurse)
        client.post("/inventory/draws", {"container_id": vial.pk, "quantity_ml": "1"})
        body = {"container_id": vial.pk, "quantity_ml": "0.2", "witness_id": prescriber.pk,
                "witness_password": PASSWORD}  # fmt: skip
        fresh = timezone.now() - timedelta(minutes=15)
        User.objects.filter(pk=prescriber.pk).update(second_factor_at=fresh)
        assert client.post("/inventory/waste", body).status_code == 201
        stale = fresh - timedelta(seconds=1)
        User.objects.filter(pk=prescriber.pk).update(second_factor_at=stale)
        late = client.post("/inventory/waste", body)
        assert late.status_code == 409
        blocker = late.json()["details"]["blockers"][0]["code"]
        assert blocker == "witness_second_factor_required"


def test_balance_lists_containers_and_the_inventory_alert(api, nurse, vial):
    response = api(nurse).get("/inventory/balance")
    assert response.status_code == 200
    data = response.json()
    (item,) = data["items"]
    assert item["container"]["id"] == vial.pk
    assert (Decimal(item["balance_ml"]), Decimal(item["balance_mg"])) == (10, 500)
    assert data["inventory"]["alert_code"] == "no_complete_inventory"


def test_ledger_is_filtered_by_kind_and_container_and_paginated(api, nurse, vial, kit):
    client = api(nurse)
    client.post("/inventory/draws", {"container_id": vial.pk, "quantity_ml": "1"})
    all_entries = client.get("/inventory/ledger").json()
    assert all_entries["total"] == 3
    draws = client.get("/inventory/ledger", kind="draw").json()
    assert [e["kind"] for e in draws["items"]] == ["draw"]
    of_kit = client.get("/inventory/ledger", container_id=kit.pk).json()
    assert [e["container_id"] for e in of_kit["items"]] == [kit.pk]
    page = client.get("/inventory/ledger", limit=1, offset=1).json()
    assert (len(page["items"]), page["total"]) == (1, 3)
    future = (timezone.now() + timedelta(days=1)).isoformat()
    assert client.get("/inventory/ledger", since=future).json()["total"] == 0


def test_count_discrepancy_deadlines_via_the_api(api, nurse):
    client = api(nurse)
    receipt = receipt_body(container_count=1, received_at="2025-01-06T09:00:00+00:00")
    (container,) = client.post("/inventory/receipts", receipt).json()["containers"]
    # Discovered Friday 2025-01-10: written notice by Monday 2025-01-13 (1 business day);
    # Form 106 by 2025-02-24 (45 days). 88 FR 40707 (S48a).
    response = client.post(
        "/inventory/counts",
        {
            "business_time": "closing",
            "complete": True,
            "counted_at": "2025-01-10T17:00:00+00:00",
            "lines": [{"container_id": container["id"], "counted_ml": "8"}],
        },
    )
    assert response.status_code == 201, response.content
    discrepancy_id = response.json()["lines"][0]["discrepancy_id"]
    (listed,) = client.get("/inventory/discrepancies").json()
    assert listed["id"] == discrepancy_id
    assert (listed["written_notice_due_on"], listed["form_106_due_on"]) == (
        "2025-01-13",
        "2025-02-24",
    )
    classified = client.post(
        f"/inventory/discrepancies/{discrepancy_id}/classify",
        {"classification": "significant_loss", "notes": "Broken vial not logged"},
    )
    assert classified.json()["reportable"] is True
    blocked = client.post(
        f"/inventory/discrepancies/{discrepancy_id}/close", {"closing_notes": "done"}
    )
    assert blocked.status_code == 409
    closed = client.post(
        f"/inventory/discrepancies/{discrepancy_id}/close",
        {
            "closing_notes": "Notice and Form 106 filed",
            "dea_notice_sent_on": "2025-01-13",
            "form_106_filed_on": "2025-02-20",
        },
    )
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    assert client.get("/inventory/discrepancies").json() == []


def test_outsider_gets_404_for_another_clinics_discrepancy(api, nurse, outsider, vial):
    client = api(nurse)
    count = client.post(
        "/inventory/counts",
        {
            "business_time": "opening",
            "complete": True,
            "lines": [{"container_id": vial.pk, "counted_ml": "9"}],
        },
    ).json()
    discrepancy_id = count["lines"][0]["discrepancy_id"]
    response = api(outsider).post(
        f"/inventory/discrepancies/{discrepancy_id}/classify",
        {"classification": "loss", "notes": "x"},
    )
    assert response.status_code == 404


def test_outsider_cannot_draw_from_another_clinics_container(api, outsider, vial, unchanged):
    check = unchanged(LedgerEntry)
    response = api(outsider).post("/inventory/draws", {"container_id": vial.pk, "quantity_ml": "1"})
    assert response.status_code == 404
    check()
