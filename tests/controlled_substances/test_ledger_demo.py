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
