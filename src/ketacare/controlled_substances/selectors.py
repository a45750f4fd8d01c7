"""Reads of the controlled-substance ledger, all limited to the actor's clinic and audited
once per request (the ledger names patients in administration entries)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone

from ketacare.access import NotFound
from ketacare.accounts.models import User
from ketacare.accounts.permissions import ROLE_PERMISSIONS, Permission, require_permission
from ketacare.audit.services import record_read
from ketacare.clinical.controlled import ledger as core
from ketacare.controlled_substances.mappers import ledger_policy_for
from ketacare.controlled_substances.models import (
    Discrepancy,
    DiscrepancyStatus,
    InventoryCount,
    LedgerEntry,
    StockContainer,
)


def list_ledger(
    actor: User,
    *,
    container_id: int | None = None,
    kind: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[LedgerEntry], int]:
    """One page of ledger entries, newest first; ``since``/``until`` bound ``occurred_at``
    (inclusive)."""
    require_permission(actor, Permission.MANAGE_INVENTORY)
    qs: QuerySet[LedgerEntry] = LedgerEntry.objects.filter(clinic_id=actor.clinic_id)
    if container_id is not None:
        qs = qs.filter(container_id=container_id)
    if kind:
        qs = qs.filter(kind=kind)
    if since is not None:
        qs = qs.filter(occurred_at__gte=since)
    if until is not None:
        qs = qs.filter(occurred_at__lte=until)
    total = qs.count()
    page = list(
        qs.select_related("container", "created_by", "witness", "patient", "corrects")
        .prefetch_related(Prefetch("corrections", queryset=LedgerEntry.objects.order_by("id")))
        .order_by("-occurred_at", "-id")[offset : offset + limit]
    )
    record_read(
        actor=actor,
        target=("controlled_substances.LedgerEntry", "list"),
        summary=f"controlled-substance ledger: {total} matched, {len(page)} shown",
    )
    return page, total


def _with_balances(qs: QuerySet[StockContainer]) -> QuerySet[StockContainer]:
    latest = LedgerEntry.objects.filter(container=OuterRef("pk")).order_by("-sequence")
    return qs.annotate(
        balance_ml=Subquery(latest.values("balance_after_ml")[:1]),
        drawn_ml=Subquery(latest.values("drawn_after_ml")[:1]),
    )


@dataclass(frozen=True, slots=True)
class ContainerBalanceRead:
    container: StockContainer
    balance_ml: Decimal
    drawn_ml: Decimal
    expired: bool

    @property
    def balance_mg(self) -> Decimal:
        return self.balance_ml * self.container.concentration_mg_per_ml


def list_balances(
    actor: User, *, include_empty: bool = False, as_of: datetime | None = None
) -> list[ContainerBalanceRead]:
    """Each container's stock and drawn-up quantity after its latest entry."""
    require_permission(actor, Permission.MANAGE_INVENTORY)
    today = timezone.localtime(as_of or timezone.now()).date()
    qs = _with_balances(
        StockContainer.objects.filter(clinic_id=actor.clinic_id).select_related("supplier")
    ).order_by("drug", "expires_on", "id")
    rows = [
        ContainerBalanceRead(c, c.balance_ml, c.drawn_ml, today > c.expires_on)
        for c in qs
        if include_empty or c.balance_ml > 0 or c.drawn_ml > 0
    ]
    record_read(
        actor=actor,
        target=("controlled_substances.StockContainer", "balances"),
        summary=f"controlled-substance balances: {len(rows)} containers",
    )
    return rows


@dataclass(frozen=True, slots=True)
class InventoryStatusRead:
    last_complete_inventory_on: date | None
    last_complete_inventory_id: int | None
    interval_years: int
    due_on: date | None
    overdue: bool
    days_overdue: int
    alert_code: str | None
    alert_message: str | None


def inventory_status(actor: User, *, as_of: datetime | None = None) -> InventoryStatusRead:
    """When the last complete inventory was taken and whether the next one is overdue
    (21 CFR 1304.11: within 2 years; 1 year where the clinic's state requires it)."""
    require_permission(actor, Permission.MANAGE_INVENTORY)
    now = timezone.localtime(as_of or timezone.now())
    policy = ledger_policy_for(actor.clinic_id)
    last = (
        InventoryCount.objects.filter(clinic_id=actor.clinic_id, complete=True)
        .order_by("-counted_at", "-id")
        .first()
    )
    if last is None:
        return InventoryStatusRead(
            None,
            None,
            policy.inventory_interval_years,
            None,
            True,
            0,
            "no_complete_inventory",
            "No complete inventory is recorded; take an initial inventory (21 CFR 1304.11).",
        )
    status = core.inventory_overdue(timezone.localtime(last.counted_at), as_of=now, policy=policy)
    return InventoryStatusRead(
        status.last_complete_inventory_on,
        last.pk,
        policy.inventory_interval_years,
        status.due_on,
        status.overdue,
        status.days_overdue,
        "inventory_overdue" if status.overdue else None,
        (
            f"The last complete inventory was on {status.last_complete_inventory_on}; the next "
            f"was due by {status.due_on} ({status.days_overdue} days overdue)."
        )
        if status.overdue
        else None,
    )


def list_discrepancies(actor: User, *, include_closed: bool = False) -> list[Discrepancy]:
    """Open discrepancies (oldest first) with their deadlines; closed ones on request."""
    require_permission(actor, Permission.MANAGE_INVENTORY)
    qs = Discrepancy.objects.filter(clinic_id=actor.clinic_id)
    if not include_closed:
        qs = qs.filter(status=DiscrepancyStatus.OPEN)
    rows = list(qs.select_related("container").order_by("discovered_at", "id"))
    record_read(
        actor=actor,
        target=("controlled_substances.Discrepancy", "list"),
        summary=f"controlled-substance discrepancies: {len(rows)}",
    )
    return rows


def access_discrepancy(actor: User, discrepancy_id: int) -> Discrepancy:
    """One discrepancy of the actor's clinic, with its container and count line."""
    require_permission(actor, Permission.MANAGE_INVENTORY)
    found = (
        Discrepancy.objects.filter(pk=discrepancy_id)
        .filter(clinic_id=actor.clinic_id)
        .select_related("container", "count_line__count", "classified_by", "closed_by")
        .first()
    )
    if found is None:
        raise NotFound("discrepancy")
    record_read(actor=actor, target=found, summary="controlled-substance discrepancy")
    return found


def list_witnesses(actor: User, permission: Permission = Permission.WITNESS_WASTE) -> list[User]:
    """Active staff of the actor's clinic, other than the actor, whose role holds
    ``permission`` (who may be named as a waste or count witness). Reference data: no
    patient data, no audit."""
    roles = [role for role, perms in ROLE_PERMISSIONS.items() if permission in perms]
    return list(
        User.objects.filter(clinic_id=actor.clinic_id, is_active=True, role__in=roles)
        .exclude(pk=actor.pk)
        .order_by("last_name", "first_name", "username")
    )


def access_count(actor: User, count_id: int) -> InventoryCount:
    require_permission(actor, Permission.MANAGE_INVENTORY)
    found = (
        InventoryCount.objects.filter(pk=count_id, clinic_id=actor.clinic_id)
        .prefetch_related("lines__discrepancy")
        .first()
    )
    if found is None:
        raise NotFound("inventory count")
    record_read(actor=actor, target=found, summary="inventory count")
    return found


def list_session_ledger(actor: User, session) -> list[LedgerEntry]:
    """Every ledger movement of one treatment session (its administration, any waste of what
    was drawn for it), oldest first, for its printed controlled-substance record (one audited
    read; the session itself was accessed by the caller)."""
    require_permission(actor, Permission.MANAGE_INVENTORY)
    entries = list(
        LedgerEntry.objects.filter(clinic_id=actor.clinic_id, session_id=session.pk)
        .select_related("container", "created_by", "witness", "patient")
        .order_by("occurred_at", "id")
    )
    record_read(
        actor=actor,
        target=session,
        patient_id=session.patient_id,
        summary=f"controlled-substance record of the session: {len(entries)} entries",
    )
    return entries


@dataclass(frozen=True, slots=True)
class DayRecords:
    """The controlled-substance records of one clinic day, for the printed forms: the day's
    administrations, witnessed wastes and other movements, and the counts up to that day."""

    since: datetime
    until: datetime
    administrations: list[LedgerEntry]
    wastes: list[LedgerEntry]
    other: list[LedgerEntry]
    counts: list[InventoryCount]


def list_day_records(
    actor: User, *, since: datetime, until: datetime, counts: int = 5
) -> DayRecords:
    """The ledger movements with ``since <= occurred_at < until`` and the clinic's latest
    ``counts`` inventory counts made before ``until`` (one audited read)."""
    require_permission(actor, Permission.MANAGE_INVENTORY)
    entries = list(
        LedgerEntry.objects.filter(
            clinic_id=actor.clinic_id, occurred_at__gte=since, occurred_at__lt=until
        )
        .select_related("container", "created_by", "witness", "patient")
        .order_by("occurred_at", "id")
    )
    latest = list(
        InventoryCount.objects.filter(clinic_id=actor.clinic_id, counted_at__lt=until)
        .select_related("created_by", "witness")
        .prefetch_related("lines__container")
        .order_by("-counted_at", "-id")[:counts]
    )
    record_read(
        actor=actor,
        target=("controlled_substances.LedgerEntry", "day records"),
        summary=f"controlled-substance records {since:%Y-%m-%d}: {len(entries)} entries, "
        f"{len(latest)} counts",
    )
    return DayRecords(
        since=since,
        until=until,
        administrations=[e for e in entries if e.kind == "administer"],
        wastes=[e for e in entries if e.kind == "waste"],
        other=[e for e in entries if e.kind not in ("administer", "waste")],
        counts=latest,
    )
