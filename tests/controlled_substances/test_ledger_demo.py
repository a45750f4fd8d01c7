from __future__ import annotations

import random
from types import SimpleNamespace

from ledger_helpers import PASSWORD

from ketacare.controlled_substances import selectors
from ketacare.controlled_substances.demo import seed_demo
from ketacare.controlled_substances.models import Discrepancy, EntryKind, LedgerEntry


def test_demo_stock_room_reconciles_with_one_closed_discrepancy(
    monkeypatch, nurse, prescriber, patient
):
    monkeypatch.setenv("KETACARE_DEMO_PASSWORD", PASSWORD)
    ctx = SimpleNamespace(
        clinic=nurse.clinic,
        users={"nurse": nurse, "prescriber": prescriber},
        patients=[patient],
        rng=random.Random(1),
        extra={},
    )
    seed_demo(ctx)
    assert len(ctx.extra["controlled_substances"]["ketamine_container_ids"]) == 4
    assert LedgerEntry.objects.filter(kind=EntryKind.WASTE, witness=prescriber).count() == 3
    status = selectors.inventory_status(nurse)
    assert status.overdue is False  # last complete inventory about 20 months ago
    (discrepancy,) = Discrepancy.objects.all()
    assert (discrepancy.status, discrepancy.classification) == ("closed", "loss")
    # Nothing is left drawn up: every prepared syringe was wasted.
    assert all(b.drawn_ml == 0 for b in selectors.list_balances(nurse, include_empty=True))


def test_full_demo_doses_come_out_of_stock_and_the_ledger_reconciles(db, monkeypatch):
    from collections import defaultdict
    from decimal import Decimal

    from ketacare.controlled_substances.models import InventoryCountLine, StockContainer
    from ketacare.demo.seed import seed_demo_clinic
    from ketacare.treatment.models import DoseAdministration

    monkeypatch.setenv("KETACARE_DEMO_PASSWORD", PASSWORD)
    assert seed_demo_clinic(password=PASSWORD)
    doses = list(DoseAdministration.objects.select_related("session"))
    assert doses
    # Every dose given in the demo is one administration from a container of the dose's lot.
    given = LedgerEntry.objects.filter(kind=EntryKind.ADMINISTER).select_related("container")
    by_session = defaultdict(list)
    for entry in given:
        by_session[entry.session_id].append(entry)
    for dose in doses:
        (entry,) = by_session[dose.session_id]
        assert entry.quantity_mg == dose.dose_mg
        assert entry.patient_id == dose.session.patient_id
        assert entry.container.lot == dose.lot_number
        assert entry.occurred_at >= dose.started_at
    assert len(given) == len(doses)
    # balance = received - administered - wasted - returned (+ count adjustments), and what
    # was drawn up was all given or wasted.
    sign = {
        EntryKind.RECEIVE: 1,
        EntryKind.ADMINISTER: -1,
        EntryKind.WASTE: -1,
        EntryKind.RETURN: -1,
        EntryKind.COUNT_ADJUSTMENT: 1,
    }
    for container in StockContainer.objects.all():
        entries = list(container.entries.order_by("sequence"))
        stock = sum((sign.get(e.kind, 0) * e.quantity_ml for e in entries), Decimal(0))
        assert stock == entries[-1].balance_after_ml, container
        assert entries[-1].drawn_after_ml == 0, container
        assert [e.sequence for e in entries] == list(range(1, len(entries) + 1))
        times = [e.occurred_at for e in entries]
        assert times == sorted(times), container
    # The complete inventory matched the ledger on every line.
    complete = InventoryCountLine.objects.filter(count__complete=True)
    assert complete.exists()
    assert {line.status for line in complete} == {"balanced"}
