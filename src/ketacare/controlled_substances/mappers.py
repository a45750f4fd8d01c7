"""Rows to core types: the ledger arithmetic lives in ``ketacare.clinical.controlled.ledger``."""

from __future__ import annotations

from collections.abc import Iterable

from ketacare.clinical.controlled import ledger as core
from ketacare.controlled_substances.models import (
    EntryKind,
    LedgerEntry,
    LedgerSettings,
    StockContainer,
)

KIND_TO_CORE = {
    EntryKind.RECEIVE: core.EntryKind.RECEIVE,
    EntryKind.DRAW: core.EntryKind.DRAW,
    EntryKind.ADMINISTER: core.EntryKind.ADMINISTER,
    EntryKind.WASTE: core.EntryKind.WASTE,
    EntryKind.RETURN: core.EntryKind.RETURN,
    EntryKind.COUNT_ADJUSTMENT: core.EntryKind.ADJUST,
}


def core_entry(row: LedgerEntry, container: StockContainer) -> core.LedgerEntry:
    receive = row.kind == EntryKind.RECEIVE
    return core.LedgerEntry(
        entry_id=str(row.pk),
        kind=KIND_TO_CORE[EntryKind(row.kind)],
        container_id=str(container.pk),
        occurred_at=row.occurred_at,
        quantity_ml=row.quantity_ml,
        actor_id=str(row.created_by_id),
        witness_id=str(row.witness_id) if row.witness_id else None,
        drug=container.drug if receive else None,
        lot=container.lot if receive else None,
        concentration_mg_per_ml=container.concentration_mg_per_ml if receive else None,
        expires_on=container.expires_on if receive else None,
        reason=row.reason or None,
    )


def core_balance(container: StockContainer, rows: Iterable[LedgerEntry]) -> core.LedgerBalance:
    """Replay the container's recorded entries (in sequence order) through the core."""
    return core.balance([core_entry(r, container) for r in rows])


def ledger_policy(settings_row: LedgerSettings | None) -> core.LedgerPolicy:
    if settings_row is None:
        return core.LedgerPolicy()
    return core.LedgerPolicy(
        waste_witness_required=settings_row.waste_witness_required,
        count_tolerance_ml=settings_row.count_tolerance_ml,
        inventory_interval_years=settings_row.inventory_interval_years,
    )


def ledger_policy_for(clinic_id: int) -> core.LedgerPolicy:
    """The clinic's ledger policy; the core's cited defaults when the clinic set none."""
    return ledger_policy(LedgerSettings.objects.filter(clinic_id=clinic_id).first())
