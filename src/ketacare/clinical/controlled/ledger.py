"""Controlled-substance ledger arithmetic (ketamine and esketamine are Schedule III).

Implements reference §5 and rules 26, 28, 29, 30:

- A per-container running balance in mL and mg over immutable entries: receive, draw (into a
  syringe), administer, waste (residue after a dose), return (to the supplier or a reverse
  distributor) and count adjustment. Continuing records must be complete and accurate
  (21 CFR 1304.21, S44), so the ledger can never go negative.
- ``apply`` refuses, with non-overridable blockers: a balance that would go negative, drawing,
  administering or receiving an expired lot, and waste without a second witness when the clinic
  requires one (default on; a federal wastage-witness rule was NOT FOUND, reference rule 30).
  A witness who is also the actor is invalid input.
- ``reconcile``: expected vs counted stock, with a clinic tolerance (default 0 mL: every
  difference is a discrepancy to investigate; no published tolerance exists).
- ``loss_theft_deadlines``: written notice to DEA within 1 business day of discovery and DEA
  Form 106 within 45 days (88 FR 40707, S48a).
- ``inventory_overdue``: a complete inventory at least every 2 years (21 CFR 1304.11, S47),
  configurable to 1 year for states that require annual inventories.

Deliberately NOT done:
- Federal holidays are NOT skipped when counting business days (no holiday calendar is cited
  here): only Saturdays and Sundays are skipped. A Monday holiday therefore gives an earlier,
  never a later, deadline than the rule allows.
- Whether a discrepancy is "theft or significant loss" is a registrant's judgment (DEA lists
  factors); the core reports the discrepancy and never classifies it.
- Licensure of the witness is checked by the service layer (permissions), not here.
- Drawn drug is never returned to a vial (sterility): unused drawn drug is wasted.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from ketacare.clinical.controlled.references import (
    CFR_1304_11_INVENTORY,
    CFR_1304_21,
    DEA_THEFT_LOSS_RULE_2023,
    WASTAGE_WITNESS_POLICY,
)
from ketacare.clinical.errors import GateBlocked, InvalidClinicalInput, require
from ketacare.clinical.gates import Finding, GateDecision
from ketacare.clinical.sources import cited

THEFT_LOSS_NOTICE_BUSINESS_DAYS = cited(
    "THEFT_LOSS_NOTICE_BUSINESS_DAYS", 1, "business days", DEA_THEFT_LOSS_RULE_2023
)
DEA_FORM_106_DAYS = cited("DEA_FORM_106_DAYS", 45, "days", DEA_THEFT_LOSS_RULE_2023)
BIENNIAL_INVENTORY_YEARS = cited("BIENNIAL_INVENTORY_YEARS", 2, "years", CFR_1304_11_INVENTORY)
ANNUAL_INVENTORY_YEARS = cited("ANNUAL_INVENTORY_YEARS", 1, "years", CFR_1304_11_INVENTORY)
WASTE_WITNESS_REQUIRED_DEFAULT = cited(
    "WASTE_WITNESS_REQUIRED_DEFAULT", True, "flag", WASTAGE_WITNESS_POLICY
)

_SATURDAY = 5


class EntryKind(StrEnum):
    RECEIVE = "receive"
    DRAW = "draw"
    ADMINISTER = "administer"
    WASTE = "waste"
    RETURN = "return"
    ADJUST = "adjust"  # after a physical count; signed quantity, reason required


@dataclass(frozen=True, slots=True)
class LedgerPolicy:
    waste_witness_required: bool = WASTE_WITNESS_REQUIRED_DEFAULT
    # No published tolerance: 0 mL means every count difference is a discrepancy.
    count_tolerance_ml: Decimal = Decimal(0)
    inventory_interval_years: int = BIENNIAL_INVENTORY_YEARS

    def __post_init__(self) -> None:
        require(
            isinstance(self.count_tolerance_ml, Decimal) and self.count_tolerance_ml >= 0,
            "invalid_policy",
            "The count tolerance must be a Decimal of 0 mL or more.",
            field="count_tolerance_ml",
        )
        require(
            self.inventory_interval_years in (ANNUAL_INVENTORY_YEARS, BIENNIAL_INVENTORY_YEARS),
            "invalid_policy",
            "The inventory interval is 1 year (state rule) or 2 years (federal).",
            field="inventory_interval_years",
        )


def _aware(value: object, name: str) -> None:
    require(
        isinstance(value, datetime) and value.tzinfo is not None and value.utcoffset() is not None,
        "naive_datetime",
        f"{name} must be a timezone-aware datetime.",
        field=name,
    )


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One movement of one container. Quantities in mL; mg follow from the concentration
    recorded when the container was received. ``quantity_ml`` is signed only for ADJUST."""

    entry_id: str
    kind: EntryKind
    container_id: str
    occurred_at: datetime
    quantity_ml: Decimal
    actor_id: str
    witness_id: str | None = None
    # RECEIVE only:
    drug: str | None = None
    lot: str | None = None
    concentration_mg_per_ml: Decimal | None = None
    expires_on: date | None = None
    # ADJUST (required) or any entry (optional):
    reason: str | None = None

    def __post_init__(self) -> None:
        code = "invalid_ledger_entry"
        require(bool(self.entry_id), code, "A ledger entry needs an id.", field="entry_id")
        require(isinstance(self.kind, EntryKind), code, "Unknown entry kind.", field="kind")
        require(bool(self.container_id), code, "Name the container.", field="container_id")
        require(bool(self.actor_id), code, "Name who made the entry.", field="actor_id")
        _aware(self.occurred_at, "occurred_at")
        q = self.quantity_ml
        require(
            isinstance(q, Decimal) and q.is_finite(),
            code,
            "The quantity must be a Decimal number of mL.",
            field="quantity_ml",
        )
        if self.kind is EntryKind.ADJUST:
            require(q != 0, code, "An adjustment must change the balance.", field="quantity_ml")
            require(
                bool(self.reason and self.reason.strip()),
                "adjustment_reason_required",
                "A count adjustment needs a written reason.",
                field="reason",
            )
        else:
            require(q > 0, code, "The quantity must be more than 0 mL.", field="quantity_ml")
        if self.witness_id is not None:
            require(
                self.witness_id != self.actor_id,
                "witness_same_as_actor",
                "The witness must be a different person from the one making the entry.",
                field="witness_id",
            )
        if self.kind is EntryKind.RECEIVE:
            c = self.concentration_mg_per_ml
            require(
                isinstance(c, Decimal) and c.is_finite() and c > 0,
                code,
                "A receipt records the concentration in mg/mL.",
                field="concentration_mg_per_ml",
            )
            require(bool(self.drug), code, "A receipt names the drug.", field="drug")
            require(bool(self.lot), code, "A receipt records the lot number.", field="lot")
            require(
                isinstance(self.expires_on, date) and not isinstance(self.expires_on, datetime),
                code,
                "A receipt records the lot's expiry date.",
                field="expires_on",
            )

    @property
    def quantity_mg_if_received(self) -> Decimal | None:
        if self.concentration_mg_per_ml is None:
            return None
        return self.quantity_ml * self.concentration_mg_per_ml


@dataclass(frozen=True, slots=True)
class ContainerBalance:
    """Where one container's drug is: in stock, drawn up (in hand), or out by each route."""

    container_id: str
    drug: str
    lot: str
    concentration_mg_per_ml: Decimal
    expires_on: date
    stock_ml: Decimal
    drawn_ml: Decimal = Decimal(0)
    received_ml: Decimal = Decimal(0)
    administered_ml: Decimal = Decimal(0)
    wasted_ml: Decimal = Decimal(0)
    returned_ml: Decimal = Decimal(0)
    adjusted_ml: Decimal = Decimal(0)
    last_entry_at: datetime | None = None

    @property
    def stock_mg(self) -> Decimal:
        return self.stock_ml * self.concentration_mg_per_ml

    @property
    def drawn_mg(self) -> Decimal:
        return self.drawn_ml * self.concentration_mg_per_ml


@dataclass(frozen=True, slots=True)
class LedgerBalance:
    containers: tuple[ContainerBalance, ...] = ()
    entry_ids: frozenset[str] = frozenset()

    def get(self, container_id: str) -> ContainerBalance | None:
        for c in self.containers:
            if c.container_id == container_id:
                return c
        return None

    def _with(self, updated: ContainerBalance, entry_id: str) -> LedgerBalance:
        others = tuple(c for c in self.containers if c.container_id != updated.container_id)
        ordered = tuple(sorted((*others, updated), key=lambda c: c.container_id))
        return LedgerBalance(ordered, self.entry_ids | {entry_id})


def _negative(entry: LedgerEntry, where: str, available: Decimal) -> Finding:
    return Finding(
        "balance_would_go_negative",
        f"{entry.kind.value.capitalize()} of {entry.quantity_ml} mL from container "
        f"{entry.container_id} is more than the {available} mL {where}.",
        CFR_1304_21,
        overridable=False,
        data=(("available_ml", str(available)), ("quantity_ml", str(entry.quantity_ml))),
    )


def _arithmetic(entry: LedgerEntry, balance: LedgerBalance) -> ContainerBalance | Finding:
    """The new container state, or the negative-balance blocker. Refuses malformed sequences."""
    require(
        entry.entry_id not in balance.entry_ids,
        "duplicate_ledger_entry",
        "This ledger entry was already recorded.",
        entry_id=entry.entry_id,
    )
    current = balance.get(entry.container_id)
    if entry.kind is EntryKind.RECEIVE:
        require(
            current is None,
            "container_already_received",
            f"Container {entry.container_id} is already in the ledger.",
            container_id=entry.container_id,
        )
        assert entry.concentration_mg_per_ml is not None
        assert entry.expires_on is not None
        return ContainerBalance(
            container_id=entry.container_id,
            drug=entry.drug or "",
            lot=entry.lot or "",
            concentration_mg_per_ml=entry.concentration_mg_per_ml,
            expires_on=entry.expires_on,
            stock_ml=entry.quantity_ml,
            received_ml=entry.quantity_ml,
            last_entry_at=entry.occurred_at,
        )
    if current is None:
        raise InvalidClinicalInput(
            "unknown_container",
            f"Container {entry.container_id} has no receipt in the ledger.",
            {"container_id": entry.container_id},
        )
    require(
        current.last_entry_at is None or entry.occurred_at >= current.last_entry_at,
        "ledger_entry_out_of_order",
        f"The entry for container {entry.container_id} is dated before its last entry.",
        entry_id=entry.entry_id,
    )
    q = entry.quantity_ml
    at = entry.occurred_at
    match entry.kind:
        case EntryKind.DRAW:
            if q > current.stock_ml:
                return _negative(entry, "in stock", current.stock_ml)
            return replace(
                current,
                stock_ml=current.stock_ml - q,
                drawn_ml=current.drawn_ml + q,
                last_entry_at=at,
            )
        case EntryKind.ADMINISTER:
            if q > current.drawn_ml:
                return _negative(entry, "drawn up", current.drawn_ml)
            return replace(
                current,
                drawn_ml=current.drawn_ml - q,
                administered_ml=current.administered_ml + q,
                last_entry_at=at,
            )
        case EntryKind.WASTE:
            if q > current.drawn_ml:
                return _negative(entry, "drawn up", current.drawn_ml)
            return replace(
                current,
                drawn_ml=current.drawn_ml - q,
                wasted_ml=current.wasted_ml + q,
                last_entry_at=at,
            )
        case EntryKind.RETURN:
            if q > current.stock_ml:
                return _negative(entry, "in stock", current.stock_ml)
            return replace(
                current,
                stock_ml=current.stock_ml - q,
                returned_ml=current.returned_ml + q,
                last_entry_at=at,
            )
        case EntryKind.ADJUST:
            if current.stock_ml + q < 0:
                return _negative(entry, "in stock", current.stock_ml)
            return replace(
                current,
                stock_ml=current.stock_ml + q,
                adjusted_ml=current.adjusted_ml + q,
                last_entry_at=at,
            )
    raise InvalidClinicalInput("invalid_ledger_entry", "Unknown entry kind.")  # pragma: no cover


def balance(entries: Sequence[LedgerEntry]) -> LedgerBalance:
    """Replay recorded entries (in recorded order) into per-container balances.

    Arithmetic only: expiry and witness rules were checked by ``apply`` when each entry was
    written. A sequence that would go negative is corrupt and raises ``InvalidClinicalInput``."""
    state = LedgerBalance()
    for index, entry in enumerate(entries):
        require(
            isinstance(entry, LedgerEntry),
            "invalid_ledger_entry",
            "Ledger entries must be LedgerEntry values.",
            index=index,
        )
        result = _arithmetic(entry, state)
        if isinstance(result, Finding):
            raise InvalidClinicalInput(
                "ledger_corrupt_negative_balance",
                f"The recorded ledger goes negative at entry {entry.entry_id}; "
                "investigate before recording anything else.",
                {"entry_id": entry.entry_id, "container_id": entry.container_id},
            )
        state = state._with(result, entry.entry_id)
    return state


def check_entry(
    entry: LedgerEntry, current: LedgerBalance, *, as_of: datetime, policy: LedgerPolicy
) -> GateDecision:
    """Blockers for writing ``entry`` now: negative balance, expired lot, missing witness.
    None of them can be overridden."""
    _aware(as_of, "as_of")
    require(
        entry.occurred_at <= as_of,
        "ledger_entry_in_future",
        "A ledger entry cannot be dated in the future.",
        entry_id=entry.entry_id,
    )
    blockers: list[Finding] = []
    result = _arithmetic(entry, current)
    if isinstance(result, Finding):
        blockers.append(result)
    container = result if isinstance(result, ContainerBalance) else current.get(entry.container_id)
    today = as_of.date()
    if (
        entry.kind in (EntryKind.RECEIVE, EntryKind.DRAW, EntryKind.ADMINISTER)
        and container is not None
        and today > container.expires_on
    ):
        blockers.append(
            Finding(
                "lot_expired",
                f"Lot {container.lot} expired on {container.expires_on.isoformat()}; it may "
                "not be received, drawn or administered. Return or destroy it instead.",
                CFR_1304_21,
                overridable=False,
                data=(("expires_on", container.expires_on.isoformat()),),
            )
        )
    if entry.kind is EntryKind.WASTE and policy.waste_witness_required and not entry.witness_id:
        blockers.append(
            Finding(
                "waste_witness_required",
                "Waste must be witnessed by a second licensed staff member (clinic policy).",
                WASTAGE_WITNESS_POLICY,
                overridable=False,
            )
        )
    return GateDecision(tuple(blockers))


def apply(
    entry: LedgerEntry, current: LedgerBalance, *, as_of: datetime, policy: LedgerPolicy
) -> LedgerBalance:
    """The balance after ``entry``; raises ``GateBlocked`` (nothing applied) if refused."""
    decision = check_entry(entry, current, as_of=as_of, policy=policy)
    if not decision.allowed:
        raise GateBlocked(decision)
    result = _arithmetic(entry, current)
    assert isinstance(result, ContainerBalance)
    return current._with(result, entry.entry_id)


class CountStatus(StrEnum):
    BALANCED = "balanced"
    SHORTAGE = "shortage"
    SURPLUS = "surplus"


@dataclass(frozen=True, slots=True)
class Reconciliation:
    container_id: str
    expected_ml: Decimal
    counted_ml: Decimal
    discrepancy_ml: Decimal  # counted - expected (negative = shortage)
    discrepancy_mg: Decimal
    status: CountStatus
    within_tolerance: bool
    decision: GateDecision  # warnings only; a discrepancy is investigated, never auto-closed

    @property
    def requires_investigation(self) -> bool:
        return not self.within_tolerance


def reconcile(
    expected: ContainerBalance, counted_ml: Decimal, *, policy: LedgerPolicy
) -> Reconciliation:
    """Compare a physical count of stock (mL) with the ledger's expected stock."""
    require(
        isinstance(counted_ml, Decimal) and counted_ml.is_finite() and counted_ml >= 0,
        "invalid_count",
        "The counted quantity must be a Decimal of 0 mL or more.",
        field="counted_ml",
    )
    diff = counted_ml - expected.stock_ml
    status = (
        CountStatus.BALANCED
        if diff == 0
        else CountStatus.SHORTAGE
        if diff < 0
        else CountStatus.SURPLUS
    )
    within = abs(diff) <= policy.count_tolerance_ml
    warnings: list[Finding] = []
    data = (("expected_ml", str(expected.stock_ml)), ("counted_ml", str(counted_ml)))
    if not within:
        if status is CountStatus.SHORTAGE:
            warnings.append(
                Finding(
                    "count_shortage",
                    f"Container {expected.container_id}: {-diff} mL less than the ledger. "
                    "Investigate; if this is theft or a significant loss, notify DEA in writing "
                    "within 1 business day and file Form 106 within 45 days.",
                    DEA_THEFT_LOSS_RULE_2023,
                    data=data,
                )
            )
        else:
            warnings.append(
                Finding(
                    "count_surplus",
                    f"Container {expected.container_id}: {diff} mL more than the ledger. "
                    "Investigate the records; an unrecorded movement is a record-keeping gap.",
                    CFR_1304_21,
                    data=data,
                )
            )
    if expected.drawn_ml > 0:
        warnings.append(
            Finding(
                "drawn_quantity_outstanding",
                f"{expected.drawn_ml} mL drawn from container {expected.container_id} is not yet "
                "recorded as administered or wasted.",
                CFR_1304_21,
                data=(("drawn_ml", str(expected.drawn_ml)),),
            )
        )
    return Reconciliation(
        container_id=expected.container_id,
        expected_ml=expected.stock_ml,
        counted_ml=counted_ml,
        discrepancy_ml=diff,
        discrepancy_mg=diff * expected.concentration_mg_per_ml,
        status=status,
        within_tolerance=within,
        decision=GateDecision(warnings=tuple(warnings)),
    )


@dataclass(frozen=True, slots=True)
class LossTheftDeadlines:
    discovered_on: date
    written_notice_due_on: date  # end of this day, clinic local time
    form_106_due_on: date
    note: str


def next_business_day(day: date) -> date:
    """The first Monday-Friday date after ``day`` (federal holidays are not skipped)."""
    nxt = day + timedelta(days=1)
    while nxt.weekday() >= _SATURDAY:
        nxt += timedelta(days=1)
    return nxt


def loss_theft_deadlines(discovered_at: datetime) -> LossTheftDeadlines:
    """Deadlines after discovering a theft or significant loss, in the timezone of
    ``discovered_at`` (pass clinic local time): written notice within 1 business day,
    DEA Form 106 within 45 calendar days."""
    _aware(discovered_at, "discovered_at")
    on = discovered_at.date()
    notice = on
    for _ in range(THEFT_LOSS_NOTICE_BUSINESS_DAYS):
        notice = next_business_day(notice)
    return LossTheftDeadlines(
        discovered_on=on,
        written_notice_due_on=notice,
        form_106_due_on=on + timedelta(days=DEA_FORM_106_DAYS),
        note="Business days skip Saturdays and Sundays only; federal holidays are not skipped, "
        "so the written-notice date may be earlier than the rule requires, never later.",
    )


@dataclass(frozen=True, slots=True)
class InventoryStatus:
    last_complete_inventory_on: date
    due_on: date
    overdue: bool
    days_overdue: int


def _add_years(day: date, years: int) -> date:
    year = day.year + years
    # 29 February falls back to 28 February in a non-leap year (stay within the interval).
    last = calendar.monthrange(year, day.month)[1]
    return day.replace(year=year, day=min(day.day, last))


def inventory_overdue(
    last_complete_inventory_at: date | datetime, *, as_of: datetime, policy: LedgerPolicy
) -> InventoryStatus:
    """Is a new complete inventory overdue? Due on the same date ``policy`` years later
    (federal: within two years; some states: one); overdue from the day after."""
    _aware(as_of, "as_of")
    if isinstance(last_complete_inventory_at, datetime):
        _aware(last_complete_inventory_at, "last_complete_inventory_at")
        last = last_complete_inventory_at.astimezone(as_of.tzinfo).date()
    else:
        require(
            isinstance(last_complete_inventory_at, date),
            "invalid_date",
            "Give the date of the last complete inventory.",
        )
        last = last_complete_inventory_at
    today = as_of.date()
    require(
        last <= today,
        "inventory_in_future",
        "The last inventory is dated in the future.",
        field="last_complete_inventory_at",
    )
    due = _add_years(last, policy.inventory_interval_years)
    late = (today - due).days
    return InventoryStatus(last, due, late > 0, max(late, 0))
