"""The synthetic registry (`ketacare seed`) is realistic enough to measure with: its ledger
replays through the clinical core to the stored balances, every dose is one administration,
its outcome rates computed in SQL match the same definitions computed row by row, it is
deterministic for a seed, and the audit chain still verifies."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from ketacare.audit.models import AuditEntry
from ketacare.audit.services import verify_chain
from ketacare.controlled_substances.mappers import core_balance
from ketacare.controlled_substances.models import EntryKind, LedgerEntry, StockContainer
from ketacare.demo.registry import seed_registry
from ketacare.measures.models import Assessment, SafetyAlert
from ketacare.measures.selectors import outcome_rates_by_protocol
from ketacare.treatment.models import Course, DoseAdministration, TreatmentSession


def test_seeded_ledger_replays_through_the_core_to_the_stored_balances(db):
    seed_registry(patients=25, seed=3, progress=False)
    entries = defaultdict(list)
    for row in LedgerEntry.objects.order_by("container_id", "sequence"):
        entries[row.container_id].append(row)
    containers = StockContainer.objects.in_bulk()
    assert entries
    for container_id, rows in entries.items():
        assert [r.sequence for r in rows] == list(range(1, len(rows) + 1))
        replayed = core_balance(containers[container_id], rows).get(str(container_id))
        assert (replayed.stock_ml, replayed.drawn_ml) == (
            rows[-1].balance_after_ml,
            rows[-1].drawn_after_ml,
        )
        assert replayed.drawn_ml == 0  # everything drawn up was given or wasted


def test_every_seeded_dose_is_one_administration_of_its_dose_from_its_container(db):
    seed_registry(patients=25, seed=4, progress=False)
    given = {e.session_id: e for e in LedgerEntry.objects.filter(kind=EntryKind.ADMINISTER)}
    doses = list(DoseAdministration.objects.all())
    assert doses
    assert len(given) == len(doses)
    for dose in doses:
        entry = given[dose.session_id]
        assert entry.quantity_mg == dose.dose_mg
        assert entry.container_id == dose.container_id
    discharged = TreatmentSession.objects.filter(state="discharged").count()
    assert discharged == len(doses)


def test_sql_outcome_rates_match_first_and_latest_phq9_per_patient(db):
    seed_registry(patients=60, seed=5, progress=False)
    scores = defaultdict(list)
    for row in Assessment.objects.filter(instrument="phq9").order_by("taken_at", "id"):
        scores[row.patient_id].append(row.total)
    expected = defaultdict(lambda: [0, 0, 0, 0])
    for course in Course.objects.all():
        counts = expected[course.protocol_code]
        counts[0] += 1
        totals = scores.get(course.patient_id, [])
        if len(totals) < 2:
            continue
        first, latest = totals[0], totals[-1]
        counts[1] += 1
        # response: at least 50% below the first score; remission: PHQ-9 of 4 or less
        counts[2] += Decimal(latest) <= Decimal(first) * Decimal("0.5")
        counts[3] += latest <= 4
    rates = outcome_rates_by_protocol()
    assert {r.protocol_code: [r.courses, r.measured, r.responders, r.remitters] for r in rates} == (
        dict(expected)
    )
    # The archetypes give both outcomes and their absence.
    assert all(0 < r.responders < r.measured and 0 < r.remitters < r.measured for r in rates)


def test_same_seed_gives_the_same_registry_and_the_audit_chain_verifies(db):
    seed_registry(patients=15, seed=9, progress=False)
    first = list(Assessment.objects.order_by("id").values_list("total", "taken_at"))
    alerts = SafetyAlert.objects.count()
    seed_registry(patients=15, seed=9, progress=False)
    second = list(Assessment.objects.order_by("id").values_list("total", "taken_at"))[len(first) :]
    assert [t for t, _ in second] == [t for t, _ in first]
    assert SafetyAlert.objects.count() == 2 * alerts
    assert AuditEntry.objects.filter(summary="synthetic registry seeded").count() == 2
    assert verify_chain().ok
