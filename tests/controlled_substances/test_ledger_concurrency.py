"""Parallel administrations from one container never overdraw it.

Each thread has its own database connection and transaction. On PostgreSQL the container row
lock (``select_for_update``) serialises them; on SQLite the IMMEDIATE transaction does. A
thread that meets a busy SQLite database ("database is locked") retries, as a client would;
the assertions are about the ledger's invariant, never about timing.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from django.db import IntegrityError, OperationalError, connections, transaction
from ledger_helpers import receive

from ketacare.clinical.errors import GateBlocked
from ketacare.controlled_substances import mappers, services
from ketacare.controlled_substances.models import EntryKind, LedgerEntry

THREADS = 8
DOSE_MG = Decimal("10")  # 0.2 mL at 50 mg/mL


def _administer(nurse, patient, container_id, outcomes, barrier):
    try:
        barrier.wait()
        for _ in range(200):
            try:
                with transaction.atomic():
                    services.record_administration_from_stock(
                        actor=nurse,
                        container_id=container_id,
                        dose_mg=DOSE_MG,
                        patient=patient,
                        session_id=None,
                        as_of=None,
                    )
                outcomes.append("given")
                return
            except GateBlocked as exc:
                outcomes.append(exc.decision.codes)
                return
            except (OperationalError, IntegrityError) as exc:
                # SQLite busy/locked, or a lost race the database itself refused: retry.
                if isinstance(exc, OperationalError) and "locked" not in str(exc):
                    raise
                time.sleep(0.01)
        outcomes.append("gave up")
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_parallel_administrations_never_overdraw_one_container(nurse, patient):
    # 1 mL x 50 mg/mL = 50 mg: exactly 5 doses of 10 mg are affordable; 8 are attempted.
    (container,) = receive(nurse, size_ml=Decimal("1"), description="1 mL ampoule")
    affordable = 5
    outcomes: list = []
    barrier = threading.Barrier(THREADS)
    threads = [
        threading.Thread(target=_administer, args=(nurse, patient, container.pk, outcomes, barrier))
        for _ in range(THREADS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert outcomes.count("given") == affordable
    refused = [o for o in outcomes if o != "given"]
    assert refused == [("balance_would_go_negative",)] * (THREADS - affordable)

    rows = list(LedgerEntry.objects.filter(container=container).order_by("sequence"))
    assert [r.sequence for r in rows] == list(range(1, len(rows) + 1))
    assert all(r.balance_after_ml >= 0 and r.drawn_after_ml >= 0 for r in rows)
    administered = sum(r.quantity_ml for r in rows if r.kind == EntryKind.ADMINISTER)
    assert administered == Decimal("1.0")  # 5 x 0.2 mL
    assert (rows[-1].balance_after_ml, rows[-1].drawn_after_ml) == (0, 0)
    # The recorded balances agree with a replay of the entries through the core.
    replayed = mappers.core_balance(container, rows).get(str(container.pk))
    assert replayed.stock_ml == rows[-1].balance_after_ml
    assert replayed.administered_ml == administered
