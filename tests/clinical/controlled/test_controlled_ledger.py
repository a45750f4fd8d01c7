"""Controlled-substance ledger arithmetic, reconciliation and DEA deadlines (§5, rules 26-30)."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from ketacare.clinical.controlled.ledger import (
    CountStatus,
    EntryKind,
    LedgerBalance,
    LedgerEntry,
    LedgerPolicy,
    apply,
    balance,
    check_entry,
    inventory_overdue,
    loss_theft_deadlines,
    reconcile,
)
from ketacare.clinical.errors import GateBlocked, InvalidClinicalInput

D = Decimal
T0 = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)  # a Monday
POLICY = LedgerPolicy()


def receipt(expires_on=date(2026, 1, 31), ml="10"):
    # One 10 mL vial of ketamine 100 mg/mL = 1000 mg.
    return LedgerEntry(
        "e1",
        EntryKind.RECEIVE,
        "vial-1",
        T0,
        D(ml),
        actor_id="nurse-a",
        drug="ketamine HCl",
        lot="LOT42",
        concentration_mg_per_ml=D("100"),
        expires_on=expires_on,
    )


def entry(n, kind, ml, minutes=10, **kw):
    kw.setdefault("actor_id", "nurse-a")
    return LedgerEntry(f"e{n}", kind, "vial-1", T0 + timedelta(minutes=minutes), D(ml), **kw)


def test_receive_draw_administer_waste_leaves_stock_in_ml_and_mg():
    entries = [
        receipt(),
        entry(2, EntryKind.DRAW, "0.4", 10),
        entry(3, EntryKind.ADMINISTER, "0.35", 20),
        entry(4, EntryKind.WASTE, "0.05", 30, witness_id="nurse-b"),
    ]
    vial = balance(entries).get("vial-1")
    # 10 - 0.4 = 9.6 mL in stock = 960 mg; 0.35 + 0.05 = 0.4 mL left the syringe.
    assert (vial.stock_ml, vial.stock_mg) == (D("9.6"), D("960.0"))
    assert (vial.drawn_ml, vial.administered_ml, vial.wasted_ml) == (D("0"), D("0.35"), D("0.05"))


def test_apply_builds_the_same_balance_as_replay():
    entries = [receipt(), entry(2, EntryKind.DRAW, "0.4"), entry(3, EntryKind.ADMINISTER, "0.4")]
    state = LedgerBalance()
    for e in entries:
        state = apply(e, state, as_of=T0 + timedelta(hours=1), policy=POLICY)
    assert state == balance(entries)


# The ledger never goes negative (21 CFR 1304.21 complete and accurate records).
@pytest.mark.parametrize(("ml", "blocked"), [("9.99", False), ("10", False), ("10.01", True)])
def test_draw_boundary_at_the_stock_on_hand(ml, blocked):
    state = balance([receipt()])
    decision = check_entry(
        entry(2, EntryKind.DRAW, ml), state, as_of=T0 + timedelta(hours=1), policy=POLICY
    )
    assert ("balance_would_go_negative" in decision.codes) is blocked


@pytest.mark.parametrize(
    "kind", [EntryKind.ADMINISTER, EntryKind.WASTE, EntryKind.RETURN, EntryKind.ADJUST]
)
def test_no_movement_can_take_a_container_below_zero(kind):
    state = balance([receipt(), entry(2, EntryKind.DRAW, "0.5")])
    ml = "-9.6" if kind is EntryKind.ADJUST else "9.6"
    e = entry(3, kind, ml, witness_id="nurse-b", reason="count")
    with pytest.raises(GateBlocked) as err:
        apply(e, state, as_of=T0 + timedelta(hours=1), policy=POLICY)
    assert err.value.decision.codes == ("balance_would_go_negative",)


def test_refused_entry_leaves_the_balance_unchanged():
    state = balance([receipt()])
    with pytest.raises(GateBlocked):
        apply(entry(2, EntryKind.DRAW, "11"), state, as_of=T0 + timedelta(hours=1), policy=POLICY)
    assert state.get("vial-1").stock_ml == D("10")


def test_recorded_ledger_that_goes_negative_is_reported_as_corrupt():
    with pytest.raises(InvalidClinicalInput) as err:
        balance([receipt(), entry(2, EntryKind.ADMINISTER, "0.1")])
    assert err.value.code == "ledger_corrupt_negative_balance"


# Lot expiry: usable through its expiry date, refused the day after.
@pytest.mark.parametrize(
    ("as_of_day", "blocked"),
    [(date(2025, 3, 9), False), (date(2025, 3, 10), False), (date(2025, 3, 11), True)],
)
def test_expired_lot_cannot_be_drawn(as_of_day, blocked):
    state = balance([receipt(expires_on=date(2025, 3, 10))])
    as_of = datetime(as_of_day.year, as_of_day.month, as_of_day.day, 9, tzinfo=UTC)
    decision = check_entry(entry(2, EntryKind.DRAW, "0.5"), state, as_of=as_of, policy=POLICY)
    assert ("lot_expired" in decision.codes) is blocked


def test_expired_lot_can_still_be_returned():
    state = balance([receipt(expires_on=date(2025, 3, 10))])
    later = datetime(2025, 4, 1, 9, tzinfo=UTC)
    after = apply(entry(2, EntryKind.RETURN, "10", 40000), state, as_of=later, policy=POLICY)
    assert after.get("vial-1").stock_ml == D("0")


def test_receiving_an_expired_lot_is_refused():
    decision = check_entry(
        receipt(expires_on=date(2025, 3, 2)), LedgerBalance(), as_of=T0, policy=POLICY
    )
    assert decision.codes == ("lot_expired",)


def test_waste_without_a_witness_is_refused_by_default():
    state = balance([receipt(), entry(2, EntryKind.DRAW, "0.5")])
    with pytest.raises(GateBlocked) as err:
        apply(entry(3, EntryKind.WASTE, "0.1"), state, as_of=T0 + timedelta(hours=1), policy=POLICY)
    assert err.value.decision.codes == ("waste_witness_required",)


def test_clinic_may_switch_the_waste_witness_off():
    state = balance([receipt(), entry(2, EntryKind.DRAW, "0.5")])
    after = apply(
        entry(3, EntryKind.WASTE, "0.1"),
        state,
        as_of=T0 + timedelta(hours=1),
        policy=LedgerPolicy(waste_witness_required=False),
    )
    assert after.get("vial-1").wasted_ml == D("0.1")


def test_witness_cannot_be_the_person_wasting():
    with pytest.raises(InvalidClinicalInput) as err:
        entry(3, EntryKind.WASTE, "0.1", witness_id="nurse-a")
    assert err.value.code == "witness_same_as_actor"


def test_adjustment_needs_a_reason():
    with pytest.raises(InvalidClinicalInput) as err:
        entry(2, EntryKind.ADJUST, "-0.1")
    assert err.value.code == "adjustment_reason_required"


def test_duplicate_entry_and_unknown_container_are_invalid_input():
    state = balance([receipt()])
    with pytest.raises(InvalidClinicalInput) as dup:
        check_entry(receipt(), state, as_of=T0, policy=POLICY)
    assert dup.value.code == "duplicate_ledger_entry"
    stray = LedgerEntry("e9", EntryKind.DRAW, "vial-9", T0, D("1"), actor_id="nurse-a")
    with pytest.raises(InvalidClinicalInput) as unknown:
        check_entry(stray, state, as_of=T0, policy=POLICY)
    assert unknown.value.code == "unknown_container"


def test_entry_dated_in_the_future_is_invalid_input():
    state = balance([receipt()])
    with pytest.raises(InvalidClinicalInput) as err:
        check_entry(entry(2, EntryKind.DRAW, "1", 120), state, as_of=T0, policy=POLICY)
    assert err.value.code == "ledger_entry_in_future"


# --- reconciliation ------------------------------------------------------------------------


# Default tolerance 0 mL (no published tolerance): any difference is a discrepancy.
@pytest.mark.parametrize(
    ("counted", "status", "codes"),
    [
        ("9.5", CountStatus.SHORTAGE, ["count_shortage"]),
        ("9.6", CountStatus.BALANCED, []),
        ("9.7", CountStatus.SURPLUS, ["count_surplus"]),
    ],
)
def test_count_against_expected_stock(counted, status, codes):
    vial = balance([receipt(), entry(2, EntryKind.RETURN, "0.4")]).get("vial-1")
    result = reconcile(vial, D(counted), policy=POLICY)
    assert result.status is status
    assert [w.code for w in result.decision.warnings] == codes
    # counted - expected, in mL and in mg at 100 mg/mL.
    assert result.discrepancy_mg == (D(counted) - D("9.6")) * 100


@pytest.mark.parametrize(("counted", "within"), [("9.49", False), ("9.5", True), ("9.6", True)])
def test_clinic_tolerance_boundary(counted, within):
    vial = balance([receipt(), entry(2, EntryKind.RETURN, "0.4")]).get("vial-1")
    result = reconcile(vial, D(counted), policy=LedgerPolicy(count_tolerance_ml=D("0.1")))
    assert result.within_tolerance is within
    assert result.requires_investigation is not within


def test_undocumented_drawn_drug_is_reported_at_count():
    vial = balance([receipt(), entry(2, EntryKind.DRAW, "0.4")]).get("vial-1")
    result = reconcile(vial, D("9.6"), policy=POLICY)
    assert [w.code for w in result.decision.warnings] == ["drawn_quantity_outstanding"]


# --- theft/loss deadlines (88 FR 40707): 1 business day, Form 106 within 45 days ------------


@pytest.mark.parametrize(
    ("discovered", "notice_due"),
    [
        (date(2025, 3, 3), date(2025, 3, 4)),  # Monday -> Tuesday
        (date(2025, 3, 6), date(2025, 3, 7)),  # Thursday -> Friday
        (date(2025, 3, 7), date(2025, 3, 10)),  # Friday -> Monday
        (date(2025, 3, 8), date(2025, 3, 10)),  # Saturday -> Monday
        (date(2025, 3, 9), date(2025, 3, 10)),  # Sunday -> Monday
    ],
)
def test_written_notice_is_due_the_next_business_day(discovered, notice_due):
    at = datetime(discovered.year, discovered.month, discovered.day, 16, tzinfo=UTC)
    deadlines = loss_theft_deadlines(at)
    assert deadlines.written_notice_due_on == notice_due
    # 3 March + 45 days = 17 April, and so on.
    assert deadlines.form_106_due_on == discovered + timedelta(days=45)


def test_form_106_deadline_worked_example():
    deadlines = loss_theft_deadlines(datetime(2025, 3, 7, 23, 30, tzinfo=UTC))
    # 7 March + 45 days: 24 days left in March, then 21 April.
    assert deadlines.form_106_due_on == date(2025, 4, 21)


def test_deadline_uses_the_local_date_of_discovery():
    # Friday 21:00 in New York is already Saturday in UTC; the local Friday counts.
    friday_evening = datetime(2025, 3, 7, 21, 0, tzinfo=ZoneInfo("America/New_York"))
    assert loss_theft_deadlines(friday_evening).discovered_on == date(2025, 3, 7)


# --- inventory age (21 CFR 1304.11: at least every 2 years; state option 1 year) -----------


@pytest.mark.parametrize(
    ("as_of_day", "overdue", "days_over"),
    [
        (date(2027, 3, 14), False, 0),  # 2 years minus a day
        (date(2027, 3, 15), False, 0),  # exactly 2 years: still within
        (date(2027, 3, 16), True, 1),  # 2 years plus a day
    ],
)
def test_biennial_inventory_boundary(as_of_day, overdue, days_over):
    as_of = datetime(as_of_day.year, as_of_day.month, as_of_day.day, 12, tzinfo=UTC)
    status = inventory_overdue(date(2025, 3, 15), as_of=as_of, policy=POLICY)
    assert status.due_on == date(2027, 3, 15)
    assert (status.overdue, status.days_overdue) == (overdue, days_over)


def test_annual_inventory_state_setting():
    as_of = datetime(2026, 3, 16, 12, tzinfo=UTC)
    status = inventory_overdue(
        date(2025, 3, 15), as_of=as_of, policy=LedgerPolicy(inventory_interval_years=1)
    )
    assert (status.due_on, status.overdue) == (date(2026, 3, 15), True)


def test_inventory_on_29_february_is_due_on_28_february():
    as_of = datetime(2026, 3, 1, tzinfo=UTC)
    status = inventory_overdue(date(2024, 2, 29), as_of=as_of, policy=POLICY)
    assert status.due_on == date(2026, 2, 28)
    assert status.overdue is True


def test_inventory_interval_other_than_one_or_two_years_is_refused():
    with pytest.raises(InvalidClinicalInput):
        LedgerPolicy(inventory_interval_years=3)
