from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from ledger_helpers import receive

from ketacare.clinical.errors import GateBlocked, InvalidClinicalInput
from ketacare.controlled_substances import selectors, services
from ketacare.controlled_substances.models import (
    Discrepancy,
    EntryKind,
    InventoryCount,
    InventoryCountLine,
    LedgerEntry,
)


def count(actor, *lines, complete=True, as_of=None, **kwargs):
    return services.record_inventory_count(
        actor=actor,
        business_time="closing",
        complete=complete,
        lines=[{"container_id": c.pk, "counted_ml": Decimal(ml)} for c, ml in lines],
        as_of=as_of,
        **kwargs,
    )


def test_balanced_complete_inventory_opens_no_discrepancy(nurse, vial, kit):
    recorded = count(nurse, (vial, "10"), (kit, "0.4"))
    assert [line.status for line in recorded.lines.order_by("id")] == ["balanced", "balanced"]
    assert Discrepancy.objects.count() == 0
    assert selectors.inventory_status(nurse).overdue is False


def test_shortage_adjusts_the_ledger_to_the_count_and_opens_a_discrepancy(nurse, vial):
    recorded = count(nurse, (vial, "9.5"))
    line = recorded.lines.get()
    assert (line.expected_ml, line.counted_ml, line.discrepancy_ml) == (10, Decimal("9.5"), -0.5)
    adjustment = LedgerEntry.objects.get(kind=EntryKind.COUNT_ADJUSTMENT)
    assert adjustment.count_line_id == line.pk
    assert (adjustment.quantity_ml, adjustment.balance_after_ml) == (Decimal("-0.5"), 9.5)
    discrepancy = line.discrepancy
    assert discrepancy.discrepancy_mg == Decimal("-25")  # -0.5 mL x 50 mg/mL
    assert discrepancy.status == "open"
    assert discrepancy.classification == "unexplained"


def test_complete_inventory_must_count_every_container_with_drug_left(nurse, vial, kit, unchanged):
    check = unchanged(InventoryCount, InventoryCountLine, LedgerEntry, Discrepancy)
    with pytest.raises(InvalidClinicalInput) as exc:
        count(nurse, (vial, "10"))
    assert exc.value.code == "inventory_incomplete"
    assert exc.value.details["container_ids"] == [kit.pk]
    check()


def test_spot_count_may_cover_one_container(nurse, vial, kit):
    recorded = count(nurse, (vial, "10"), complete=False)
    assert recorded.complete is False


def test_count_witness_cannot_be_the_counter(nurse, vial, unchanged):
    check = unchanged(InventoryCount, LedgerEntry)
    with pytest.raises(InvalidClinicalInput) as exc:
        count(nurse, (vial, "10"), witness_id=nurse.pk)
    assert exc.value.code == "witness_same_as_actor"
    check()


# 88 FR 40707 (S48a): written notice within 1 business day of discovery (weekends skipped,
# federal holidays not), DEA Form 106 within 45 calendar days.
@pytest.mark.parametrize(
    ("discovered", "notice_due", "form_106_due"),
    [
        (date(2025, 1, 9), date(2025, 1, 10), date(2025, 2, 23)),  # Thursday -> Friday
        (date(2025, 1, 10), date(2025, 1, 13), date(2025, 2, 24)),  # Friday -> Monday
        (date(2025, 1, 11), date(2025, 1, 13), date(2025, 2, 25)),  # Saturday -> Monday
    ],
)
def test_discrepancy_deadlines_follow_the_day_of_discovery(
    nurse, discovered, notice_due, form_106_due
):
    (container,) = receive(nurse, as_of=datetime(2025, 1, 2, 9, tzinfo=UTC))
    when = datetime.combine(discovered, datetime.min.time(), tzinfo=UTC) + timedelta(hours=17)
    line = count(nurse, (container, "9"), as_of=when).lines.get()
    assert line.discrepancy.written_notice_due_on == notice_due
    assert line.discrepancy.form_106_due_on == form_106_due


@pytest.fixture
def discrepancy(nurse, vial):
    return count(nurse, (vial, "9")).lines.get().discrepancy


def test_theft_cannot_be_closed_until_the_dea_notice_and_form_106_are_recorded(
    nurse, discrepancy, unchanged
):
    services.classify_discrepancy(
        actor=nurse, discrepancy_id=discrepancy.pk, classification="theft", notes="Vial tampered"
    )
    check = unchanged(Discrepancy)
    with pytest.raises(GateBlocked) as exc:
        services.close_discrepancy(
            actor=nurse, discrepancy_id=discrepancy.pk, closing_notes="Reported"
        )
    assert [b.code for b in exc.value.decision.blockers] == [
        "dea_notice_not_recorded",
        "form_106_not_recorded",
    ]
    check()
    closed = services.close_discrepancy(
        actor=nurse,
        discrepancy_id=discrepancy.pk,
        closing_notes="Reported to the Field Division; Form 106 filed",
        dea_notice_sent_on=date.today(),
        form_106_filed_on=date.today(),
    )
    assert closed.status == "closed"
    assert closed.reportable


def test_unexplained_discrepancy_closes_with_notes_only(nurse, discrepancy):
    closed = services.close_discrepancy(
        actor=nurse, discrepancy_id=discrepancy.pk, closing_notes="Recount: spillage logged"
    )
    assert closed.status == "closed"
    with pytest.raises(GateBlocked) as exc:
        services.classify_discrepancy(
            actor=nurse, discrepancy_id=discrepancy.pk, classification="loss", notes="late"
        )
    assert exc.value.decision.codes == ("discrepancy_closed",)


def test_closing_without_notes_is_invalid_input(nurse, discrepancy, unchanged):
    check = unchanged(Discrepancy)
    with pytest.raises(InvalidClinicalInput) as exc:
        services.close_discrepancy(actor=nurse, discrepancy_id=discrepancy.pk, closing_notes=" ")
    assert exc.value.code == "closing_notes_required"
    check()


# 21 CFR 1304.11(c) via S47: a new complete inventory within 2 years of the last; due on the
# same calendar date two years later, overdue from the day after.
@pytest.mark.parametrize(
    ("days_after_due", "overdue"),
    [(-1, False), (0, False), (1, True)],
    ids=["2-years-minus-1-day", "at-2-years", "2-years-plus-1-day"],
)
def test_inventory_overdue_alert_at_two_years(nurse, days_after_due, overdue):
    (container,) = receive(nurse, as_of=datetime(2024, 3, 1, 9, tzinfo=UTC))
    count(nurse, (container, "10"), as_of=datetime(2024, 3, 4, 17, tzinfo=UTC))
    as_of = datetime(2026, 3, 4, 12, tzinfo=UTC) + timedelta(days=days_after_due)
    status = selectors.inventory_status(nurse, as_of=as_of)
    assert status.due_on == date(2026, 3, 4)
    assert status.overdue is overdue
    assert status.alert_code == ("inventory_overdue" if overdue else None)


def test_clinic_in_an_annual_inventory_state_is_alerted_after_one_year(nurse, clinic_admin):
    services.record_ledger_settings(
        actor=clinic_admin,
        inventory_interval_years=1,
        waste_witness_required=True,
        count_tolerance_ml=Decimal(0),
    )
    (container,) = receive(nurse, as_of=datetime(2024, 3, 1, 9, tzinfo=UTC))
    count(nurse, (container, "10"), as_of=datetime(2024, 3, 4, 17, tzinfo=UTC))
    status = selectors.inventory_status(nurse, as_of=datetime(2025, 3, 5, 12, tzinfo=UTC))
    assert (status.due_on, status.overdue) == (date(2025, 3, 4), True)


def test_no_complete_inventory_at_all_is_an_alert(nurse, vial):
    status = selectors.inventory_status(nurse)
    assert (status.overdue, status.alert_code) == (True, "no_complete_inventory")


def test_administration_from_stock_is_dated_when_the_treatment_app_recorded_the_dose(
    nurse, vial, session
):
    recorded_at = timezone.now() - timedelta(minutes=30)
    entry = services.record_administration_from_stock(
        actor=nurse,
        container_id=vial.pk,
        dose_mg=Decimal("28"),
        patient=session.patient,
        session_id=session.pk,
        as_of=recorded_at,
    )
    assert (entry.kind, entry.session_id, entry.patient_id) == (
        "administer",
        session.pk,
        session.patient_id,
    )
    assert entry.occurred_at == recorded_at
